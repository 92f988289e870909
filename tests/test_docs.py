"""The README stays true: its commands, its YAML reference and its example output.

Set CHATSERVE_UPDATE_DOCS=1 to rewrite the generated README sections instead of failing.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import in_thread

from chatserve.cli import main
from chatserve.cli.export import CSV_COLUMNS
from chatserve.config.schema import markdown_reference

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)


def test_first_two_commands_install_and_run_the_demo_then_the_tests() -> None:
    first, second = shell_blocks(README.read_text())[:2]
    assert first.endswith("pip install -e . && chatserve configs/bot.yaml")
    assert second.endswith("pip install -e '.[test]' && pytest")


def test_ci_runs_the_readme_test_command() -> None:
    second = shell_blocks(README.read_text())[1]
    assert second in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize(("marker", "model"), [("reference", None), ("tests-reference", "Case")])
def test_yaml_references_match_the_schema(marker: str, model: str | None) -> None:
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    text = README.read_text()
    current = text[text.index(start) + len(start) : text.index(end)]
    expected = markdown_reference(model)
    if current != expected and os.environ.get("CHATSERVE_UPDATE_DOCS"):
        README.write_text(text.replace(start + current + end, start + expected + end))
        return
    assert current == expected, f"README's {marker} is stale: CHATSERVE_UPDATE_DOCS=1 pytest"


def test_validate_example_output_is_real(tmp_path: Path, monkeypatch) -> None:
    block = re.search(r"```text\n\$ (chatserve validate .*?)\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    command, output = block.group(1), block.group(2)
    (tmp_path / "broken.yaml").write_text(
        textwrap.dedent(
            """\
            # yaml-language-server: $schema=../schemas/chatserve.schema.json
            titel: Broken bot
            chatbot:
              height: tall
            title: One
            title: Two
            autofocus: 3
            """
        )
    )
    (tmp_path / "syntax.yaml").write_text("fn: bot.py:reply\ntitle: [unclosed\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, command.split()[1:])
    assert result.output == output


def test_the_testing_example_and_its_output_are_real(tmp_path: Path, monkeypatch) -> None:
    text = README.read_text()
    section = text[text.index("## Testing bots") : text.index("## YAML reference")]
    python = re.search(r"```python\n# bot.py\n(.*?)```", section, re.S)
    config = re.search(r"```yaml\n(fn: .*?)```", section, re.S)
    shown = re.search(r"```text\n\$ (chatserve test .*?)\n(.*?)```", section, re.S)
    assert python and config and shown
    (tmp_path / "bot.py").write_text(python.group(1))
    (tmp_path / "bot.yaml").write_text(config.group(1))
    monkeypatch.chdir(tmp_path)
    # in a thread: the command runs an event loop, and Playwright's may be running in this one
    result = in_thread(lambda: CliRunner().invoke(main, shown.group(1).split()[1:]))
    assert result.exit_code == 1
    seconds = re.compile(r"\d+\.\d\d s")
    assert seconds.sub("0.00 s", result.output) == seconds.sub("0.00 s", shown.group(2))


def test_configs_named_in_the_readme_exist() -> None:
    names = re.findall(r"`(\w+\.yaml)`", README.read_text())
    assert len(names) >= 5
    for name in names:
        assert (ROOT / "configs" / name).is_file(), name


def test_the_data_flow_names_every_package_and_only_real_ones() -> None:
    flow = re.search(r"- \*\*Data flow.*?\n(?=- )", README.read_text(), flags=re.S)
    named = set(re.findall(r"`(\w+/|\w+\.py)`", flow.group()))
    packages = {
        f"{p.name}/" for p in (ROOT / "chatserve").iterdir() if (p / "__init__.py").exists()
    }
    assert packages <= named
    for name in named - {"web/"}:
        assert (ROOT / "chatserve" / name.rstrip("/")).exists(), name


@pytest.mark.parametrize(
    ("language", "name"),
    [("nginx", "nginx.conf"), ("caddyfile", "Caddyfile"), ("ini", "chatserve.service")],
)
def test_the_deploying_examples_are_the_files_in_deploy(language: str, name: str) -> None:
    [block] = re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)
    assert block == (ROOT / "deploy" / name).read_text()


def test_ci_snippets_are_valid_yaml_and_name_real_hooks_and_reports() -> None:
    import yaml

    blocks = re.findall(r"```yaml\n(# \.[^\n]+\n.*?)```", README.read_text(), flags=re.S)
    snippets = [yaml.safe_load(block) for block in blocks]
    workflows = [s for s in snippets if "jobs" in s]
    pre_commits = [s for s in snippets if "repos" in s]
    assert len(workflows) == 2 and len(pre_commits) == 2
    validate = workflows[0]["jobs"]["validate"]["steps"]
    test = workflows[1]["jobs"]["test"]["steps"]
    assert validate[-1]["run"].startswith("chatserve validate --format github")
    runs = [step.get("run", "") for step in test]
    assert any(run.startswith("chatserve validate --format github") for run in runs)
    [tested] = [run for run in runs if run.startswith("chatserve test")]
    report = re.search(r"--junit-xml (\S+)", tested)
    assert report and "--format github" in tested
    uploads = [step for step in test if step.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads[0]["with"]["path"] == report.group(1)
    assert uploads[0]["if"] == "always()"  # the report of a failed run is the one wanted
    shipped = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for config in pre_commits:
        assert {hook["id"] for hook in config["repos"][0]["hooks"]} <= shipped


def test_every_command_and_route_is_documented(client) -> None:
    text = README.read_text()
    for name in main.commands:
        assert f"`chatserve {name}" in text, name
    api = text[text.index("## HTTP API") : text.index("## The web page")]
    for route in client("fn: bot.py:echo\n").app.routes:
        path = re.sub(r"{(\w+_)?(\w+):\w+}", r"{\2}", route.path)
        if path.startswith(("/schema/", "/assets")):
            continue  # the OpenAPI UIs, the page's own files
        assert f" {path}`" in api, path


def test_the_export_sample_has_the_real_columns() -> None:
    sample = README.read_text().split("$ chatserve flags bot.yaml\n", 1)[1]
    assert sample.splitlines()[0] == ",".join(CSV_COLUMNS)
