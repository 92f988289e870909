"""`${VAR}` and `${VAR:-default}` in the `server:` block, read from the environment.

Only server settings are interpolated: they hold the secrets (passwords, tokens) and the
deployment's choices (port, root path), while the rest of a config is what users see and is
kept as written. `$${` stands for a literal `${`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from chatserve.errors import Problem
from chatserve.source import Key, Source

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate_server(
    data: dict[str, Any], source: Source, environ: Mapping[str, str] = os.environ
) -> list[Problem]:
    """Replace the references in `data["server"]` in place; one problem per unset variable."""
    problems: list[Problem] = []

    def walk(value: Any, path: Key) -> Any:
        if isinstance(value, str):
            return substitute(value, path)
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def substitute(text: str, path: Key) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.groups()
            if name is None:
                return "${"
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            problems.append(
                source.problem(
                    path,
                    f"environment variable {name!r} is not set "
                    f"(write ${{{name}:-default}} to give a default)",
                )
            )
            return match.group(0)  # kept as written, so that no second problem follows

        return _REFERENCE.sub(replace, text)

    if isinstance(data.get("server"), dict):
        data["server"] = walk(data["server"], ("server",))
    return problems
