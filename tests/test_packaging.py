"""The wheel carries the built web UI and the schema, and finds them once installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.server  # pip builds the wheel in a child process

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_web_ui_and_schema_and_uses_them(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("chatserve-*.whl")
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
        "print(web_dir().parent.parent == __import__('pathlib').Path.cwd())\n"
        "print(schema_path().is_file(), len(WebUI().assets) > 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True"]
