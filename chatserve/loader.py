"""Config file -> validated `Config`, or one `ConfigError` listing every problem in the file."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chatserve import source as yaml_source
from chatserve.checks import config_problems
from chatserve.config import Config
from chatserve.errors import ConfigError, Problem
from chatserve.source import Key, Source


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file; the path is shown as given in problems."""
    data, source, problems = yaml_source.read(Path(path), display_name=str(path))
    return validate(data, source, problems)


def validate(data: Any, source: Source, problems: Sequence[Problem] = ()) -> Config:
    """Validate parsed YAML against the models, reporting every problem at once.

    `problems` found while parsing (duplicate keys) are reported together with these.
    """
    problems = list(problems)
    if data is None:
        raise ConfigError([source.problem((), "file is empty; a config needs at least 'fn'")])
    if not isinstance(data, dict):
        raise ConfigError(
            [source.problem((), f"the top level must be a mapping of keys, got {_describe(data)}")]
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems += _problems(exc, data, source)
    else:
        config._source = source
        problems += config_problems(config, Path(source.file).resolve().parent)
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    return config


def _problems(exc: ValidationError, data: dict[str, Any], source: Source) -> list[Problem]:
    """One problem per location; a union's failed branches merge into one message."""
    by_path: dict[Key, list[dict[str, Any]]] = {}
    for error in exc.errors():
        by_path.setdefault(_data_path(error, data), []).append(error)
    # A union whose mapping branch found a deeper mistake need not also say "must be a string".
    deeper = {path[:i] for path in by_path for i in range(len(path))}
    problems = []
    for path, errors in by_path.items():
        if path in deeper and all(e["type"] in _EXPECTED for e in errors):
            continue
        kind = errors[0]["type"]
        if kind == "missing":
            for error in errors:
                problems.append(source.problem(path, f"missing required key {error['loc'][-1]!r}"))
        elif kind == "extra_forbidden":
            problems.append(source.problem(path, _unknown_key(path)))
        else:
            problems.append(source.problem(path, _wrong_value(errors)))
    return problems


def _data_path(error: dict[str, Any], data: Any) -> Key:
    """The error's location in the YAML data, without pydantic's union-branch tags.

    For a missing key the path is the mapping that lacks it: the key has no position.
    """
    path: list[str | int] = []
    node = data
    for part in error["loc"]:
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
        else:
            continue  # a union branch such as 'str' or 'function-after[...]'
        path.append(part)
    return tuple(path)


def _unknown_key(path: Key) -> str:
    key = path[-1]
    allowed = _fields_at(path[:-1])
    message = f"unknown key {key!r}"
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    if allowed:
        return f"{message}; expected one of: {', '.join(allowed)}"
    return message


def _fields_at(path: Key) -> list[str]:
    """Field names of the model(s) found at `path`, for "did you mean" hints."""
    models: list[type[BaseModel]] = [Config]
    for part in path:
        if isinstance(part, int):
            continue  # list items: `_models_in` already looked inside `list[...]`
        annotations = [m.model_fields[part].annotation for m in models if part in m.model_fields]
        models = [model for a in annotations for model in _models_in(a)]
    return list(dict.fromkeys(name for model in models for name in model.model_fields))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold: through unions, lists and `Annotated`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "none_required": "null",
}


def _wrong_value(errors: list[dict[str, Any]]) -> str:
    value = errors[0]["input"]
    for error in errors:
        if error["type"] == "value_error":
            return str(error["ctx"]["error"])
        if error["type"] == "union_tag_invalid":
            tag, expected = error["ctx"]["tag"], error["ctx"]["expected_tags"]
            close = difflib.get_close_matches(str(tag), expected.replace("'", "").split(", "), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"unknown type {tag!r}; expected one of {expected}{hint}"
        if error["type"] == "literal_error":
            return f"must be one of {error['ctx']['expected']}, got {_describe(value)}"
        if error["type"] in ("greater_than_equal", "less_than_equal"):
            return f"{error['msg'].replace('Input should be', 'must be')}, got {value!r}"
    expected = [_EXPECTED[e["type"]] for e in errors if e["type"] in _EXPECTED]
    if not expected:
        return f"{errors[0]['msg']}, got {_describe(value)}"
    unique = list(dict.fromkeys(expected))
    wanted = unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]
    return f"must be {wanted}, got {_describe(value)}"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}"
