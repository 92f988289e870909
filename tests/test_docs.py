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


def test_yaml_reference_matches_the_schema() -> None:
    start, end = "<!-- reference:start -->\n", "<!-- reference:end -->"
    text = README.read_text()
    current = text[text.index(start) + len(start) : text.index(end)]
    expected = markdown_reference()
    if current != expected and os.environ.get("CHATSERVE_UPDATE_DOCS"):
        README.write_text(text.replace(start + current + end, start + expected + end))
        return
    assert current == expected, "README's YAML reference is stale: CHATSERVE_UPDATE_DOCS=1 pytest"


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


def test_ci_snippets_are_valid_yaml_and_call_validate() -> None:
    import yaml

    blocks = re.findall(r"```yaml\n(# \.[^\n]+\n.*?)```", README.read_text(), flags=re.S)
    workflow, pre_commit = (yaml.safe_load(block) for block in blocks)
    steps = workflow["jobs"]["validate"]["steps"]
    assert steps[-1]["run"].startswith("chatserve validate --format github")
    [hook] = pre_commit["repos"][0]["hooks"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] in {h["id"] for h in hooks}


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
