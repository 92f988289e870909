"""`chatserve validate`: check config files; report problems as text, JSON or GitHub annotations."""

from __future__ import annotations

import json

from chatserve.bot.load import load
from chatserve.config.loader import load_config
from chatserve.errors import ConfigError, Problem


def check(path: str, *, import_fn: bool = True) -> list[Problem]:
    """Every problem in one config file; an empty list means it is valid."""
    try:
        if import_fn:
            load(path)
        else:
            load_config(path)
    except ConfigError as exc:
        return exc.problems
    return []


def report(results: dict[str, list[Problem]], fmt: str) -> str:
    """Render the problems of every checked file in `fmt` (text, json or github)."""
    problems = [problem for found in results.values() for problem in found]
    if fmt == "json":
        files = [
            {"file": path, "valid": not found, "problems": [p.as_dict() for p in found]}
            for path, found in results.items()
        ]
        return json.dumps({"valid": not problems, "files": files}, indent=2) + "\n"
    if fmt == "github":
        return "".join(_annotation(p) + "\n" for p in problems)
    lines = [str(p) for p in problems]
    invalid = sum(1 for found in results.values() if found)
    if invalid:
        lines.append(f"{len(problems)} problem(s) in {invalid} of {len(results)} file(s)")
    else:
        lines.append(f"{len(results)} file(s) valid")
    return "\n".join(lines) + "\n"


def _annotation(problem: Problem) -> str:
    # https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    message = f"{problem.path}: {problem.message}" if problem.path else problem.message
    message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return (
        f"::error file={problem.file},line={problem.line},col={problem.column},"
        f"title=chatserve::{message}"
    )
