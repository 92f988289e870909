"""Config file -> validated `Config`, or one `ConfigError` listing every problem in the file."""

from __future__ import annotations

import dataclasses
import difflib
import json
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from chatserve.config import source as yaml_source
from chatserve.config.base import ConfigModel
from chatserve.config.cases import Case
from chatserve.config.checks import config_problems
from chatserve.config.environment import interpolate_server
from chatserve.config.models import Config
from chatserve.config.source import BOOLEAN_WORDS, Key, RawScalar, Source, dotted
from chatserve.errors import ConfigError, Problem


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
    interpolation = interpolate_server(data, source)
    problems += interpolation.problems
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        # A value still holding an unset `${VAR}` is wrong for that reason alone.
        unset_at = {problem.path for problem in interpolation.problems}
        problems += [p for p in _problems(exc, data, source) if p.path not in unset_at]
    else:
        config._source = source
        for problem in config_problems(config, Path(source.file).resolve().parent):
            problems.append(_explained(problem, data, source))
    problems += _boolean_choices(data, source)
    if problems:
        problems = [interpolation.unquoted(problem) for problem in problems]
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    return config


class _Cases(ConfigModel):
    tests: list[Case]


def load_cases(path: Path, display_name: str) -> tuple[list[Case], Source]:
    """Read a tests file (the one `tests:` names): a list of cases, and where each came from.
    Problems are reported at their place in it (`[1].turns[0].user: ...`)."""
    data, source, problems = yaml_source.read(path, display_name=display_name)
    if not isinstance(data, list):
        message = f"a tests file holds a list of cases, got {_describe(data)}"
        raise ConfigError([source.problem((), message)])
    under = dataclasses.replace(
        source,
        positions={("tests", *key): at for key, at in source.positions.items()},
        scalars={("tests", *key): raw for key, raw in source.scalars.items()},
    )
    cases: list[Case] = []
    try:
        cases = _Cases.model_validate({"tests": data}).tests
    except ValidationError as exc:
        found = _problems(exc, {"tests": data}, under)
        problems += [dataclasses.replace(p, path=p.path.removeprefix("tests")) for p in found]
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    return cases, source


def _problems(exc: ValidationError, data: dict[str, Any], source: Source) -> list[Problem]:
    """One problem per location; a union's failed branches merge into one message."""
    by_path: dict[Key, list[dict[str, Any]]] = {}
    for error in exc.errors():
        by_path.setdefault(_data_path(error, data), []).append(error)
    # A union whose mapping branch found a deeper mistake need not also say "must be a string".
    deeper = {path[:i] for path in by_path for i in range(len(path))}
    problems = []
    for path, errors in by_path.items():
        if path in deeper and all(
            e["type"] in _EXPECTED or e["type"] == "literal_error" for e in errors
        ):
            continue
        kind = errors[0]["type"]
        if kind == "missing":
            for error in errors:  # at the mapping that lacks it, named by its own path
                missing = (*path, error["loc"][-1])
                problems.append(source.problem(missing, "missing required key"))
        elif kind == "extra_forbidden":
            problems.append(source.problem(path, _unknown_key(path)))
        elif kind == "union_tag_not_found":
            tag = errors[0]["ctx"]["discriminator"].strip("'")
            problems.append(source.problem((*path, tag), _missing_tag(path, tag)))
        else:
            problems.append(_wrong_value(path, errors, source))
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


def _value_at(data: Any, path: Key) -> Any:
    for part in path:
        data = data[part]
    return data


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


def _missing_tag(path: Key, key: str) -> str:
    """A mapping in a list of `type`d mappings (an additional input) that names no type."""
    kinds = [
        repr(kind)
        for model in _models_at(path)
        if key in model.model_fields
        for kind in typing.get_args(model.model_fields[key].annotation)
    ]
    return f"missing required key; expected one of {', '.join(kinds)}"


def _fields_at(path: Key) -> list[str]:
    """Field names of the model(s) found at `path`, for "did you mean" hints."""
    return list(dict.fromkeys(name for model in _models_at(path) for name in model.model_fields))


def _models_at(path: Key) -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = [Config]
    for part in path:
        if isinstance(part, int):
            continue  # list items: `_models_in` already looked inside `list[...]`
        annotations = [m.model_fields[part].annotation for m in models if part in m.model_fields]
        models = [model for a in annotations for model in _models_in(a)]
    return models


def _secret(path: Key) -> bool:
    """Whether the key at `path` holds a secret (a field kept out of reprs: passwords, tokens,
    keys)."""
    if not path or not isinstance(path[-1], str):
        return False
    fields = [model.model_fields.get(path[-1]) for model in _models_at(path[:-1])]
    return any(field is not None and not field.repr for field in fields)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold: through unions, lists and `Annotated`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "bool_parsing": "true/false",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}


def _wrong_value(path: Key, errors: list[dict[str, Any]], source: Source) -> Problem:
    """What the value at `path` should have been, and what it is."""
    value, raw = errors[0]["input"], source.scalars.get(path)
    if isinstance(value, str) and _secret(path) and errors[0]["type"] != "value_error":
        # Messages reach CI logs: never quote a secret (validators of one never do).
        return source.problem(path, f"{errors[0]['msg']}, got {len(value)} characters")
    for error in errors:
        if error["type"] == "value_error":
            return _validator_problem(path, str(error["ctx"]["error"]), value, source)
        if error["type"] == "union_tag_invalid":
            tag, expected = error["ctx"]["tag"], error["ctx"]["expected_tags"]
            close = difflib.get_close_matches(str(tag), expected.replace("'", "").split(", "), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown type {tag!r}; expected one of {expected}{hint}"
        elif error["type"] == "literal_error":
            message = f"must be one of {error['ctx']['expected']}, {_got(value, raw)}"
        elif error["type"] == "too_short":
            least = error["ctx"]["min_length"]
            message = f"needs at least {least} item{'s' if least > 1 else ''}, got none"
            if value:
                message = f"needs at least {least} items, got {len(value)}"
        elif error["type"] in ("greater_than_equal", "less_than_equal"):
            wanted = error["msg"].replace("Input should be", "must be")
            message = _with_reading(f"{wanted}, got {value!r}", value, raw)
        else:
            continue
        return source.problem(path, message)
    expected = [_EXPECTED[e["type"]] for e in errors if e["type"] in _EXPECTED]
    if not expected:
        return source.problem(path, f"{errors[0]['msg']}, {_got(value, raw)}")
    unique = list(dict.fromkeys(expected))
    if "a number" in unique and "an integer" in unique:
        unique.remove("an integer")  # `float | int`: any number will do
    text_ok = "a string" in unique
    if "a list" in unique and isinstance(value, str) and raw is not None:
        got = f"got {_describe(value)} (for a list of one, write [{_as_written(raw)}])"
    else:
        got = _got(value, raw, text_ok=text_ok)
    unique = [_a_mapping(path) if wanted == "a mapping" else wanted for wanted in unique]
    return source.problem(path, f"must be {_either(unique)}, {got}")


def _validator_problem(path: Key, message: str, value: Any, source: Source) -> Problem:
    """A validator's own message, at the key it names when it checked a whole mapping.

    Validators of a mapping start their messages with the key at fault ("value 3 is not one
    of the choices [1, 2]", "minimum (5) must be below maximum (1)"): point at that key's line.
    """
    key = message.split(" ", 1)[0]
    if isinstance(value, dict) and key in value:
        at = (*path, key)
        message = _with_reading(message, value[key], source.scalars.get(at))
        return Problem(source.file, *source.locate(at), dotted(path), message)
    return source.problem(path, _with_reading(message, value, source.scalars.get(path)))


def _a_mapping(path: Key) -> str:
    """ "a mapping of keys (type, label, ...)": the keys allowed in a mapping at `path`."""
    models = _models_at(path)
    fields = list(dict.fromkeys(name for model in models for name in model.model_fields))
    if not fields:
        return "a mapping"
    if len(models) > 1 and "type" in fields:  # the key that tells the models apart comes first
        fields.insert(0, fields.pop(fields.index("type")))
    shown = fields if len(fields) <= 6 else [*fields[:5], "..."]
    return f"a mapping of keys ({', '.join(shown)})"


def _either(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def _got(value: Any, raw: RawScalar | None, *, text_ok: bool = False) -> str:
    """ "got <value>", saying what YAML made of an unquoted scalar when that may surprise."""
    hint = _yaml_reading(value, raw, text_ok=text_ok)
    if not hint:
        return f"got {_describe(value)}"
    return f"got {'null' if value is None else _describe(value)} ({hint})"


def _with_reading(message: str, value: Any, raw: RawScalar | None) -> str:
    hint = _yaml_reading(value, raw, text_ok=False)
    return f"{message} ({hint})" if hint else message


def _yaml_reading(value: Any, raw: RawScalar | None, *, text_ok: bool) -> str:
    """What YAML made of an unquoted scalar, when that may surprise, and how to keep it text
    when text would have done; empty otherwise."""
    reading = raw.reading(value) if raw else ""
    if not reading or not text_ok:
        return reading
    advice = f'write "{raw.text}" in quotes' if raw.text else 'write "" for empty text'
    return f"{reading}; {advice}"


def _as_written(raw: RawScalar) -> str:
    return raw.text if raw.plain else json.dumps(raw.text)


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


def _explained(problem: Problem, data: Any, source: Source) -> Problem:
    """A problem found after validation, with what YAML made of the scalar it points at."""
    key = next(
        (key for key in source.scalars if problem.path and dotted(key) == problem.path), None
    )
    if key is None:
        return problem
    message = _with_reading(problem.message, _value_at(data, key), source.scalars[key])
    return dataclasses.replace(problem, message=message)


def _boolean_choices(data: dict[str, Any], source: Source) -> list[Problem]:
    """An unquoted `yes`, `no`, `on` or `off` among an input's choices.

    A boolean is a valid choice, but `choices: [yes, no]` would show "True" and "False" and
    pass booleans to the chat function, while an editor reading the file as YAML 1.2 sees the
    words. Booleans written `true` and `false` say what they mean and stay allowed.
    """
    kinds = {
        model.model_fields["type"].default
        for model in _models_at(("additional_inputs",))
        if "choices" in model.model_fields
    }
    problems = []
    for key, raw in source.scalars.items():
        if key[:1] != ("additional_inputs",) or key[2:3] != ("choices",):
            continue
        declared = _value_at(data, key[:2])
        if not isinstance(declared, dict) or declared.get("type") not in kinds:
            continue
        value = _value_at(data, key)
        if raw.plain and raw.text in BOOLEAN_WORDS and isinstance(value, bool):
            word = _describe(value)
            message = (
                f"YAML reads an unquoted {raw.text!r} as the boolean {word}; "
                f'write "{raw.text}" in quotes for text, or {word} for a boolean'
            )
            problems.append(source.problem(key, message))
    return problems
