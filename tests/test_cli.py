"""The command line: validate's formats and exit codes, schema, the default command, --help."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import in_thread

from chatserve.cli import main, serve

ROOT = Path(__file__).resolve().parent.parent

BROKEN = """\
# yaml-language-server: $schema=../schemas/chatserve.schema.json
titel: Broken bot
chatbot:
  height: tall
title: One
title: Two
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.yaml", BROKEN)
    syntax = write(tmp_path, "syntax.yaml", "fn: bot.py:reply\ntitle: [unclosed\n")
    result = run("validate", broken, syntax)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:2:1: fn: missing required key",
        f"{broken}:2:1: titel: unknown key 'titel'; did you mean 'title'?",
        f"{broken}:4:3: chatbot.height: must be an integer or a CSS length such as '70vh', "
        "got 'tall'",
        f"{broken}:6:1: title: duplicate key 'title'; first defined at line 5",
        f"{syntax}:3:1: YAML syntax error: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 2)",
        "5 problem(s) in 2 of 2 file(s)",
    ]


def test_validate_imports_fn_unless_told_not_to(tmp_path: Path) -> None:
    config = write(tmp_path, "bot.yaml", "fn: nowhere.py:reply\n")
    result = run("validate", config)
    assert result.exit_code == 1
    assert f'{config}:1:1: fn: File "nowhere.py" not found' in result.output
    result = run("validate", "--no-import", config)
    assert (result.exit_code, result.output) == (0, "1 file(s) valid\n")


def test_validate_json_format(tmp_path: Path) -> None:
    config = write(tmp_path, "bot.yaml", "fn: a:b\ntheme: blue\n")
    result = run("validate", "--no-import", "--format", "json", config)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    [problem] = report["files"][0]["problems"]
    assert problem["file"] == config
    assert (problem["line"], problem["column"], problem["path"]) == (2, 1, "theme")


def test_a_missing_key_is_named_by_its_path_like_every_problem(tmp_path: Path) -> None:
    config = write(tmp_path, "bot.yaml", "title: x\nadditional_inputs: [{label: Name}]\n")
    result = run("validate", "--no-import", "--format", "json", config)
    problems = json.loads(result.output)["files"][0]["problems"]
    assert [(p["line"], p["column"], p["path"]) for p in problems] == [
        (1, 1, "fn"),
        (2, 21, "additional_inputs[0].type"),
    ]
    assert problems[0]["message"] == "missing required key"


def test_validate_github_format(tmp_path: Path) -> None:
    config = write(tmp_path, "bot.yaml", "fn: a:b\nautofocus: 3\n")
    result = run("validate", "--no-import", "--format", "github", config)
    assert result.output == (
        f"::error file={config},line=2,col=1,title=chatserve::"
        "autofocus: must be true/false, got int 3\n"
    )


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("validate").exit_code == 2
    assert run("validate", str(tmp_path / "missing.yaml")).exit_code == 2
    assert run("validate", "--format", "xml", str(tmp_path)).exit_code == 2


def test_shipped_configs_are_valid() -> None:
    configs = sorted(str(p) for p in (ROOT / "configs").glob("*.yaml"))
    assert len(configs) >= 5
    result = run("validate", *configs)
    assert (result.exit_code, result.output) == (0, f"{len(configs)} file(s) valid\n")


def test_shipped_configs_point_editors_at_the_schema() -> None:
    for path in (ROOT / "configs").glob("*.yaml"):
        first = path.read_text().splitlines()[0]
        schema = "chatserve-tests" if path.name.endswith(".tests.yaml") else "chatserve"
        assert first == f"# yaml-language-server: $schema=../schemas/{schema}.schema.json", path


@pytest.mark.parametrize(
    ("options", "name"),
    [((), "chatserve.schema.json"), (("--tests",), "chatserve-tests.schema.json")],
)
def test_schema_command_prints_the_committed_schema(options: tuple[str, ...], name: str) -> None:
    result = run("schema", *options)
    assert result.exit_code == 0
    assert result.output == (ROOT / "schemas" / name).read_text(), (
        f"schemas/{name} is stale: run `chatserve schema {' '.join(options)} > schemas/{name}`"
    )


@pytest.mark.server  # a fresh interpreter, to see what it imports
def test_python_dash_m_and_help_are_light() -> None:
    code = (
        "import sys, runpy; sys.argv = ['chatserve', '--help']\n"
        "try:\n    runpy.run_module('chatserve', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('litestar', 'pydantic', 'uvicorn', 'yaml') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Usage: chatserve" in result.stdout
    assert "HEAVY []" in result.stdout


def test_init_writes_a_working_bot(tmp_path: Path) -> None:
    folder = tmp_path / "mybot"
    result = run("init", str(folder))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"next: chatserve {folder / 'bot.yaml'}"
    config = folder / "bot.yaml"
    assert config.read_text().startswith("# yaml-language-server: $schema=chatserve.schema.json")
    schema = (ROOT / "schemas" / "chatserve.schema.json").read_text()
    assert (folder / "chatserve.schema.json").read_text() == schema
    assert run("validate", str(config)).output == "1 file(s) valid\n"
    tested = in_thread(lambda: run("test", str(config)))  # it runs an event loop of its own
    assert tested.exit_code == 0, tested.output
    assert tested.output.splitlines()[-1].startswith("2 passed, 0 failed")
    again = run("init", str(folder))
    assert again.exit_code == 1
    assert "already exist(s)" in again.output


def test_validate_says_when_the_schema_copy_init_made_is_out_of_date(tmp_path: Path) -> None:
    folder = tmp_path / "mybot"
    run("init", str(folder))
    config, copy = str(folder / "bot.yaml"), folder / "chatserve.schema.json"
    assert run("validate", "--no-import", config).stderr == ""
    copy.write_text(copy.read_text().replace('"title": "Title"', '"title": "An old title"'))
    stale = run("validate", "--no-import", "--format", "json", config)
    assert stale.exit_code == 0 and json.loads(stale.stdout)["valid"]  # stdout stays parseable
    assert stale.stderr == (
        f"note: {copy} is not this chatserve's schema, so editors check {config} against old "
        f"rules; refresh it: chatserve schema --write {copy}\n"
    )
    assert run("schema", "--write", str(copy)).exit_code == 0
    assert run("validate", "--no-import", config).stderr == ""


@pytest.mark.parametrize(("option", "package"), [("--loop", "uvloop"), ("--http", "httptools")])
def test_asking_for_a_fast_implementation_that_is_not_installed_is_a_usage_error(
    monkeypatch, option: str, package: str
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == package else find_spec(name)
    )
    result = CliRunner().invoke(
        main, ["serve", str(ROOT / "configs" / "bot.yaml"), option, package]
    )
    assert result.exit_code == 2
    assert f"{package} is not installed (pip install {package})." in result.output


def test_short_help_and_examples() -> None:
    for args in (["-h"], ["serve", "-h"]):
        result = run(*args)
        assert result.exit_code == 0 and "Examples:" in result.output, args
    assert "[env var: CHATSERVE_PORT, PORT;" in " ".join(run("serve", "--help").output.split())


def test_a_mistyped_command_gets_a_suggestion_not_a_missing_file() -> None:
    result = run("serv", "bot.yaml")
    assert result.exit_code == 2
    assert "No such command 'serv'. Did you mean 'serve'?" in result.output


def test_serve_options_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    config = write(tmp_path, "bot.yaml", "fn: a:b\n")

    def options() -> dict:
        return serve.make_context("serve", [config]).params

    assert options()["port"] is None  # the config's server.port then
    monkeypatch.setenv("PORT", "9123")  # as container platforms set it
    assert options()["port"] == 9123
    monkeypatch.setenv("CHATSERVE_PORT", "9124")
    monkeypatch.setenv("CHATSERVE_RELOAD", "false")
    monkeypatch.setenv("CHATSERVE_LOOP", "asyncio")
    assert [options()[name] for name in ("port", "reload", "loop")] == [9124, False, "asyncio"]
    assert serve.make_context("serve", [config, "--port", "9125"]).params["port"] == 9125


def test_other_commands_options_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    config = write(tmp_path, "bot.yaml", "fn: a:b\ntheme: blue\n")
    monkeypatch.setenv("CHATSERVE_VALIDATE_FORMAT", "github")
    monkeypatch.setenv("CHATSERVE_VALIDATE_NO_IMPORT", "1")
    assert run("validate", config).output.startswith("::error file=")


def test_schema_write_refreshes_a_copy(tmp_path: Path) -> None:
    copy = tmp_path / "chatserve.schema.json"
    copy.write_text('{"stale": true}')
    result = run("schema", "--write", str(copy))
    assert result.exit_code == 0
    assert copy.read_text() == (ROOT / "schemas" / "chatserve.schema.json").read_text()


def test_an_env_file_fills_the_environment_first(tmp_path: Path, monkeypatch) -> None:
    for name in ("CI_TOKEN", "CHATSERVE_PORT"):  # unset now, and again after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    config = write(
        tmp_path,
        "bot.yaml",
        'fn: a:b\nserver: {auth: {tokens: [{name: ci, token: "${CI_TOKEN}"}]}}\n',
    )
    unset = run("validate", "--no-import", config)
    assert unset.exit_code == 1 and "'CI_TOKEN' is not set" in unset.output
    env = tmp_path / ".env"
    env.write_text("# secrets\nexport CI_TOKEN='a-token-of-twenty-chars'\nCHATSERVE_PORT=9126\n")
    assert run("validate", "--env-file", str(env), "--no-import", config).exit_code == 0
    params = serve.make_context("serve", [config, "--env-file", str(env)]).params
    assert params["port"] == 9126  # options may come from it too
    monkeypatch.setenv("CHATSERVE_PORT", "9127")
    params = serve.make_context("serve", [config, "--env-file", str(env)]).params
    assert params["port"] == 9127  # what the environment already says wins
