"""`chatserve validate`: check config files; report problems as text, JSON or GitHub annotations."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from chatserve.bot.load import load
from chatserve.config import source as yaml_source
from chatserve.config.loader import load_cases, load_config
from chatserve.errors import ConfigError, Problem
from chatserve.paths import schema_path
from chatserve.testing.cases import collect, is_tests_file, written_cases

# What marks a YAML file as a chatserve config for `--configs-only`: a `*.chatserve.yaml` name,
# the schema comment `chatserve init` writes, or a top-level `fn:` key (found in the text, so
# that a file with a syntax error is still checked).
_CONFIG_NAME = re.compile(r"\.chatserve\.ya?ml$")
_CONFIG_TEXT = re.compile(
    r"^(#\s*yaml-language-server:\s*\$schema=\S*chatserve\.schema\.json|fn\s*:)", re.M
)


_SCHEMA_COMMENT = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.M)


def stale_schemas(paths: Iterable[str]) -> list[str]:
    """A note for each schema file on disk that a config's schema comment names (the copy
    `chatserve init` wrote) and that is not this release's schema: editors would check the
    config against old rules."""
    from chatserve.config.schema import schema_text

    notes, seen = [], set()
    for path in paths:
        try:
            found = _SCHEMA_COMMENT.search(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if found is None or "://" in found.group(1):
            continue
        schema = os.path.normpath(os.path.join(os.path.dirname(path), found.group(1)))
        if schema in seen or not os.path.isfile(schema):
            continue
        seen.add(schema)
        tests = schema.endswith(TESTS_SCHEMA)
        if Path(schema).read_text(encoding="utf-8", errors="replace") != schema_text(tests=tests):
            notes.append(
                f"note: {schema} is not this chatserve's schema, so editors check {path} "
                f"against old rules; refresh it: chatserve schema {'--tests ' * tests}"
                f"--write {schema}"
            )
    return notes


def looks_like_config(path: str) -> bool:
    """Whether `path` is a chatserve config by its name, its schema comment or a top-level `fn:`."""
    if _CONFIG_NAME.search(path):
        return True
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # let check() report why it cannot be read
    return _CONFIG_TEXT.search(text) is not None


SCHEMA, TESTS_SCHEMA = "chatserve.schema.json", "chatserve-tests.schema.json"


def check(path: str, *, import_fn: bool = True) -> list[Problem]:
    """Every problem in one config file (or tests file: `*.tests.yaml`); an empty list means
    it is valid. A tests file is checked on its own: its cases' inputs and files are checked
    with the config that names it.

    A file chatserve accepts is also checked against the published JSON Schema, the one
    editors use, so that the two can never disagree unnoticed.
    """
    schema = SCHEMA
    try:
        if is_tests_file(path):
            load_cases(Path(path), path)
            schema = TESTS_SCHEMA
        elif import_fn:
            collect(load(path))  # the cases too: their inputs and files need the bot
        else:
            written_cases(load_config(path))
    except ConfigError as exc:
        return exc.problems
    return schema_problems(path, schema)


def schema_problems(path: str, schema: str = SCHEMA) -> list[Problem]:
    """Where the published schema rejects a file: one problem per place, quoting no value
    (values under `server:` may be secrets)."""
    data, source, _ = yaml_source.read(Path(path), display_name=path)
    problems = []
    errors = _validator(schema).iter_errors(data)
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        if error.validator in ("required", "additionalProperties"):
            message = error.message  # names keys, never values
        else:
            rule = "/".join(str(part) for part in error.schema_path)
            message = f"the published JSON Schema rejects this value ({rule}), though it loads"
        problems.append(source.problem(tuple(error.absolute_path), message))
    return sorted(problems, key=lambda p: (p.line, p.column))


@functools.cache
def _validator(name: str) -> Any:
    schema = json.loads(schema_path(name).read_text())
    return jsonschema.validators.validator_for(schema)(schema)


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
        return "".join(p.annotation() + "\n" for p in problems)
    lines = [str(p) for p in problems]
    invalid = sum(1 for found in results.values() if found)
    if invalid:
        lines.append(f"{len(problems)} problem(s) in {invalid} of {len(results)} file(s)")
    else:
        lines.append(f"{len(results)} file(s) valid")
    return "\n".join(lines) + "\n"
