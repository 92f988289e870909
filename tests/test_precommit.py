"""The hooks in `.pre-commit-hooks.yaml`, run by the real pre-commit on a repository of bots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from chatserve.cli import main

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
# What `pip install .` of a hook repository needs, as in the sdist.
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
SHIPPED_DIRS = ("chatserve", "schemas", "web/dist")

BOTS = {
    # Valid, marked by the schema comment; its chat function needs a package nobody installed.
    "valid/bot.yaml": "# yaml-language-server: $schema=chatserve.schema.json\n"
    "fn: bot.py:reply\ntitle: Echo\n",
    "valid/bot.py": "import numpy_not_installed_anywhere\n\n\n"
    "def reply(message, history):\n    return message\n",
    # Invalid, marked by its name only.
    "broken.chatserve.yaml": "title: Broken\ntitel: Oops\n",
    # Cases in a tests file beside the config: one passes, one fails.
    "tested/bot.yaml": "fn: bot.py:reply\ntests: bot.tests.yaml\n",
    "tested/bot.py": "def reply(message, history):\n    return message.upper()\n",
    "tested/bot.tests.yaml": "- name: shouts\n  turns:\n    - user: hi\n"
    "      expect: {equals: HI}\n"
    "- name: whispers\n  turns:\n    - user: HI\n      expect: {equals: hi}\n",
    # Not configs: must never be checked.
    ".github/workflows/ci.yml": "name: ci\non: [push]\njobs: {}\n",
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=git_env())


def git_env() -> dict[str, str]:
    # No user or system git config: the repositories here set what they need themselves.
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def commit_all(repo: Path) -> str:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict[str, str]:
    """`pre-commit run --all-files` with the three hooks: each hook's output by hook id, and
    "all"."""
    tmp = tmp_path_factory.mktemp("pre-commit")
    # The hook repository: this work tree's shipped files, committed (pre-commit clones a rev).
    hooks = tmp / "chatserve"
    hooks.mkdir()
    for name in SHIPPED:
        shutil.copy2(ROOT / name, hooks / name)
    for name in SHIPPED_DIRS:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / name, hooks / name, ignore=ignore)
    rev = commit_all(hooks)

    bots = tmp / "bots"
    for name, text in BOTS.items():
        (bots / name).parent.mkdir(parents=True, exist_ok=True)
        (bots / name).write_text(text)
    config = {
        "repos": [
            {
                "repo": str(hooks),
                "rev": rev,
                "hooks": [
                    {"id": "chatserve-validate"},
                    {"id": "chatserve-validate-import"},
                    {"id": "chatserve-test"},
                ],
            }
        ]
    }
    (bots / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    commit_all(bots)

    # The `language: system` hook finds chatserve on PATH, as in a developer's own environment.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**git_env(), "PRE_COMMIT_HOME": str(tmp / "cache"), "PATH": path}
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=bots,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    outputs = {"all": result.stdout}
    for section in result.stdout.split("- hook id: ")[1:]:
        hook_id, _, rest = section.partition("\n")
        outputs[hook_id] = rest
    return outputs


def test_the_hook_checks_configs_without_importing_their_chat_function(run) -> None:
    out = run["chatserve-validate"]
    assert "broken.chatserve.yaml:1:1: fn: missing required key" in out
    assert "broken.chatserve.yaml:2:1: titel: unknown key 'titel'; did you mean 'title'?" in out
    assert "numpy_not_installed_anywhere" not in out
    assert "valid/bot.yaml" not in out
    assert "2 problem(s) in 1 of" in out  # pre-commit may split the files among runs


def test_the_hooks_never_check_other_yaml(run) -> None:
    for name in ("ci.yml", ".pre-commit-config.yaml"):
        assert name not in run["all"]


def test_the_import_hook_imports_fn_in_the_developers_environment(run) -> None:
    out = run["chatserve-validate-import"]
    [line] = [line for line in out.splitlines() if line.startswith("valid/bot.yaml:")]
    assert "numpy_not_installed_anywhere" in line
    assert "broken.chatserve.yaml:1:1: fn: missing required key" in out


def test_the_test_hook_runs_the_cases_of_the_configs_with_cases(run) -> None:
    out = run["chatserve-test"]
    assert "PASS  tested/bot.yaml  shouts" in out
    assert "FAIL  tested/bot.yaml  whispers" in out
    assert "tested/bot.tests.yaml:8:16: expected the reply to be 'hi', got 'HI'" in out
    assert "1 passed, 1 failed" in out


def test_configs_only_checks_files_by_name_schema_comment_or_fn_key(tmp_path: Path) -> None:
    files = {
        "named.chatserve.yml": "titel: x\n",
        "commented.yaml": "# yaml-language-server: $schema=https://x/chatserve.schema.json\n[\n",
        "keyed.yaml": "fn: bot.py:reply\nchatbot: {height: tall}\n",
        "other.yaml": "name: ci\non: [push]\n",
        "nested.yaml": "job:\n  fn: x\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = CliRunner().invoke(
        main,
        ["validate", "--no-import", "--configs-only", "--format", "json"]
        + [str(tmp_path / name) for name in files],
    )
    assert result.exit_code == 1, result.output
    checked = [Path(f["file"]).name for f in yaml.safe_load(result.output)["files"]]
    assert checked == ["named.chatserve.yml", "commented.yaml", "keyed.yaml"]


def test_the_hooks_file_declares_the_three_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["chatserve-validate"]["entry"] == "chatserve validate --no-import --configs-only"
    assert hooks["chatserve-validate"]["language"] == "python"
    assert hooks["chatserve-validate-import"]["entry"] == "chatserve validate --configs-only"
    assert hooks["chatserve-validate-import"]["language"] == "system"
    assert hooks["chatserve-test"]["entry"] == "chatserve test --configs-only"
    assert hooks["chatserve-test"]["language"] == "system"  # it imports the bots
