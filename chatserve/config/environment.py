"""`${VAR}` and `${VAR:-default}` in the `server:` block, read from the environment.

Only server settings are interpolated: they hold the secrets (passwords, tokens) and the
deployment's choices (port, root path), while the rest of a config is what users see and is
kept as written. `$${` stands for a literal `${`.

A value taken from the environment is never quoted back: messages about it say "the value of
${VAR}", since it may be a secret and messages reach terminals, CI logs and server logs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chatserve.config.source import Key, Source, dotted
from chatserve.errors import Problem

REFERENCE = r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}"
"""`${VAR}` or `${VAR:-default}` (also the JSON Schema's pattern for such a value)."""
_REFERENCE = re.compile(r"\$\$\{|" + REFERENCE)  # `$${` is an escaped, literal `${`


@dataclass(frozen=True)
class Taken:
    """A value that took text from the environment: the value, how it was written, and what
    each variable gave."""

    value: str
    written: str
    variables: dict[str, str]

    def descriptions(self) -> dict[str, str]:
        """What replaces each way a message may quote the value, or a variable's part of it."""
        named = {name: f"the value of ${{{name}}}" for name in self.variables}
        single = len(named) == 1 and _REFERENCE.fullmatch(self.written)
        whole = next(iter(named.values())) if single else f"the value of {self.written!r}"
        parts = [(text, named[name]) for name, text in self.variables.items()]
        descriptions: dict[str, str] = {}
        for text, description in [(self.value, whole), *parts]:
            if text:  # an empty value tells nothing, and '' is common in messages
                descriptions[repr(text)] = descriptions[json.dumps(text)] = description
        return descriptions


@dataclass
class Interpolation:
    """What interpolating a config did: the unset variables, and the values it took from the
    environment, by path."""

    problems: list[Problem] = field(default_factory=list)
    taken: dict[Key, Taken] = field(default_factory=dict)

    def unquoted(self, problem: Problem) -> Problem:
        """`problem` with every quoted value from the environment it concerns described
        instead ("got the value of ${TOKEN}")."""
        descriptions: dict[str, str] = {}
        for key, taken in self.taken.items():
            if _concerns(problem.path, dotted(key)):
                descriptions |= taken.descriptions()
        message = problem.message
        for quoted in sorted(descriptions, key=len, reverse=True):  # a whole before its parts
            message = message.replace(quoted, descriptions[quoted])
        return problem if message == problem.message else replace(problem, message=message)


def interpolate_server(
    data: dict[str, Any], source: Source, environ: Mapping[str, str] = os.environ
) -> Interpolation:
    """Replace the references in `data["server"]` in place; report unset variables and what
    was taken."""
    result = Interpolation()

    def walk(value: Any, path: Key) -> Any:
        if isinstance(value, str):
            return substitute(value, path)
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def substitute(text: str, path: Key) -> str:
        variables: dict[str, str] = {}

        def resolve(match: re.Match[str]) -> str:
            name, default = match.groups()
            if name is None:
                return "${"
            if name in environ:
                variables[name] = environ[name]
                return environ[name]
            if default is not None:
                return default
            result.problems.append(
                source.problem(
                    path,
                    f"environment variable {name!r} is not set "
                    f"(write ${{{name}:-default}} to give a default)",
                )
            )
            return match.group(0)  # kept as written, so that no second problem follows

        value = _REFERENCE.sub(resolve, text)
        if variables:
            result.taken[path] = Taken(value, text, variables)
        return value

    if isinstance(data.get("server"), dict):
        data["server"] = walk(data["server"], ("server",))
    return result


def _concerns(problem_path: str, value_path: str) -> bool:
    """Whether a problem at `problem_path` may quote the value at `value_path`: the value's own
    problem, or a problem about a mapping or list holding it."""
    if not problem_path or value_path == problem_path:
        return True
    return value_path.startswith((problem_path + ".", problem_path + "["))
