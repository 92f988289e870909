"""`${VAR}` interpolation: inside `server:` only, located errors for unset variables."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chatserve.errors import ConfigError
from chatserve.loader import load_config

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
