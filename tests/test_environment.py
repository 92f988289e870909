"""`${VAR}` interpolation: inside `server:` only, located errors for unset variables, and
messages that describe a value from the environment without ever quoting it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError

CONFIG = """
    fn: a:b
    title: Costs ${PRICE}
    server:
      port: ${CHATSERVE_TEST_PORT:-8123}
      root_path: ${CHATSERVE_TEST_PREFIX}
      auth:
        users:
          - username: alice
            password: ${CHATSERVE_TEST_PASSWORD}
        tokens:
          - name: ci
            token: literal-$${not-a-variable}-token
"""


def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **environ: str):
    for name in ("CHATSERVE_TEST_PORT", "CHATSERVE_TEST_PREFIX", "CHATSERVE_TEST_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "bot.yaml"
    path.write_text(textwrap.dedent(CONFIG).lstrip())
    return load_config(path)


def test_server_values_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load(
        tmp_path,
        monkeypatch,
        CHATSERVE_TEST_PREFIX="/bot",
        CHATSERVE_TEST_PASSWORD="s3cret with $ and }",
    )
    assert config.server.port == 8123  # the default, read as an integer
    assert config.server.root_path == "/bot"
    assert config.server.auth.users[0].password == "s3cret with $ and }"
    assert config.server.auth.tokens[0].token == "literal-${not-a-variable}-token"
    assert config.title == "Costs ${PRICE}"  # outside server: kept as written


def test_a_set_variable_wins_over_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load(
        tmp_path,
        monkeypatch,
        CHATSERVE_TEST_PORT="9001",
        CHATSERVE_TEST_PREFIX="",
        CHATSERVE_TEST_PASSWORD="x",
    )
    assert config.server.port == 9001
    assert config.server.root_path == ""


def test_unset_variables_are_load_errors_at_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, monkeypatch)
    assert [(p.line, p.path, p.message) for p in caught.value.problems] == [
        (
            5,
            "server.root_path",
            "environment variable 'CHATSERVE_TEST_PREFIX' is not set "
            "(write ${CHATSERVE_TEST_PREFIX:-default} to give a default)",
        ),
        (
            9,
            "server.auth.users[0].password",
            "environment variable 'CHATSERVE_TEST_PASSWORD' is not set "
            "(write ${CHATSERVE_TEST_PASSWORD:-default} to give a default)",
        ),
    ]


SECRET = "sk-marker 'quoted' \"and\" 93f1"

LEAKY = """
    fn: bot.py:echo
    server:
      port: ${CHATSERVE_TEST_SECRET}
      root_path: /bot/${CHATSERVE_TEST_SECRET}
      forwarded_allow_ips: ${CHATSERVE_TEST_SECRET}
      cors_origins: [https://ok.example, "${CHATSERVE_TEST_SECRET}"]
      auth:
        users: [{username: "${CHATSERVE_TEST_SECRET}", password: x}]
        tokens: [{name: ci, token: "${CHATSERVE_TEST_SHORT}"}]
"""


@pytest.fixture
def leaky(write_config, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose `server:` values come from an environment holding secrets."""
    monkeypatch.setenv("CHATSERVE_TEST_SECRET", SECRET)
    monkeypatch.setenv("CHATSERVE_TEST_SHORT", "sk-short-93f1")
    return write_config(LEAKY)


def test_values_from_the_environment_are_described_never_quoted(leaky: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(leaky)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("server.port", "must be an integer, got the value of ${CHATSERVE_TEST_SECRET}"),
        (
            "server.root_path",
            "must be a path such as '/bot' (no query, no spaces), "
            "got the value of '/bot/${CHATSERVE_TEST_SECRET}'",
        ),
        (
            "server.forwarded_allow_ips",
            "must be a list, got the value of ${CHATSERVE_TEST_SECRET} "
            "(for a list of one, write [${CHATSERVE_TEST_SECRET}])",
        ),
        (
            "server.cors_origins",
            "an origin is scheme://host[:port] with no path, "
            "got the value of ${CHATSERVE_TEST_SECRET}",
        ),
        (
            "server.auth.users[0].username",
            "String should match pattern '^[^\\s:]+$', got the value of ${CHATSERVE_TEST_SECRET}",
        ),
        (
            "server.auth.tokens[0].token",
            "String should have at least 16 characters, got 13 characters",
        ),
    ]


def test_secrets_written_in_the_file_are_never_quoted(write_config) -> None:
    """A token, password or key is not repeated in a message (messages reach CI logs), even
    when it is written in the file itself."""
    config = write_config(
        """
        fn: bot.py:echo
        server:
          auth:
            tokens: [{name: ci, token: sk-short-93f1}]
            secret: sk-secret-93f1
        """
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (
            "server.auth.tokens[0].token",
            "String should have at least 16 characters, got 13 characters",
        ),
        ("server.auth.secret", "String should have at least 32 characters, got 14 characters"),
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "bot.yaml"],
        ["validate", "--no-import", "--format", "json", "bot.yaml"],
        ["validate", "--format", "github", "bot.yaml"],
        ["serve", "bot.yaml", "--port", "0"],
    ],
)
def test_the_command_line_never_prints_values_from_the_environment(
    leaky: Path, run_chatserve, command: list[str]
) -> None:
    result = run_chatserve(*command)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the value of ${CHATSERVE_TEST_SECRET}" in output
    for secret in ("sk-marker", "sk-short-93f1", "93f1"):
        assert secret not in output
