"""Where the packaged web UI and JSON Schema live: inside the wheel, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = {"web": _PACKAGE.parent / "web" / "dist", "schemas": _PACKAGE.parent / "schemas"}


def _resource(name: str) -> Path:
    packaged = _PACKAGE / name  # placed there by the wheel build
    return packaged if packaged.is_dir() else _CHECKOUT[name]


def web_dir() -> Path:
    return _resource("web")


def schema_path(name: str = "chatserve.schema.json") -> Path:
    """A published schema: the config's, or (`chatserve-tests.schema.json`) a tests file's."""
    return _resource("schemas") / name
