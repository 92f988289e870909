"""The wheel carries the built web UI, the schema, its license and type marker, finds them once
installed, and installs into a clean venv where it validates every config."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.server  # pip builds the wheel in a child process

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(built), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = built.glob("chatserve-*.whl")
    return wheel


def test_wheel_contains_the_web_ui_and_schema_and_uses_them(wheel: Path, tmp_path: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "chatserve/web/index.html" in names
    assert "chatserve/schemas/chatserve.schema.json" in names
    assert any(n.startswith("chatserve/web/assets/") and n.endswith(".js") for n in names)
    assert not [n for n in names if "node_modules" in n or "/src/" in n]

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = (
        "from chatserve.paths import web_dir, schema_path\n"
        "from chatserve.ui.bundle import WebUI\n"
        "from chatserve.ui.texts import english\n"
        "print(web_dir().parent.parent == __import__('pathlib').Path.cwd())\n"
        "print(schema_path().is_file(), len(WebUI().assets) > 0, 'composer.send' in english())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"]


def test_the_wheel_says_what_it_needs_and_ships_its_license(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "chatserve/py.typed" in names
    assert any(name.endswith("/licenses/LICENSE") for name in names)
    [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
    lines = archive.read(metadata).decode().splitlines()
    requires = [
        line.split(":", 1)[1].split(";")[0].strip()
        for line in lines
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    urls = dict(
        line.split(": ", 1)[1].split(", ", 1) for line in lines if line.startswith("Project-URL:")
    )
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues"}
    # The repository the README's pre-commit example names, where the hooks live.
    repository = re.search(r"- repo: (\S+)\n    rev:", (ROOT / "README.md").read_text()).group(1)
    assert all(url.startswith(repository) for url in urls.values())
    declared = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in requires}
    assert {"litestar", "rich", "filelock", "click", "msgspec"} <= declared
    assert "httpx" not in declared  # only the tests use it
    assert "litestar<3,>=2.23" in requires  # below its next major


def test_the_wheel_installs_into_a_clean_venv_and_validates_every_config(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*install, str(wheel)], check=True, timeout=300, capture_output=True)
    configs = sorted(str(path) for path in (ROOT / "configs").glob("*.yaml"))
    result = subprocess.run(
        [str(venv / "bin" / "chatserve"), "validate", *configs],
        cwd=tmp_path,  # not the repository: the installed package, nothing else
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith(f"{len(configs)} file(s) valid\n")
