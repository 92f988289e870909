"""The JSON Schema of config files, generated from the models (`chatserve schema`)."""

from __future__ import annotations

import json
from typing import Any

from chatserve import __version__
from chatserve.config.environment import REFERENCE
from chatserve.config.inputs import INPUT_TYPES
from chatserve.config.models import Config
from chatserve.config.outputs import OUTPUT_TYPES
from chatserve.config.server import Settings, scalar_types
from chatserve.ui.texts import english

SCHEMA_ROOT = "https://chatserve.dev/schemas"
SCHEMA_NAME = "chatserve.schema.json"
TESTS_SCHEMA_NAME = "chatserve-tests.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_url(release: str = __version__, name: str = SCHEMA_NAME) -> str:
    """Where the schema of a release's configs is published: one URL per minor release
    (`.../schemas/0.1/chatserve.schema.json`): a patch release never changes the schema."""
    major, minor = release.split(".")[:2]
    return f"{SCHEMA_ROOT}/{major}.{minor}/{name}"


_AS_TEXT = {
    int: r"^\s*[+-]?[0-9]+(_[0-9]+)*(\.0+)?\s*$",
    float: r"^\s*[+-]?([0-9]+(_[0-9]+)*(\.([0-9]+(_[0-9]+)*)?)?|\.[0-9]+(_[0-9]+)*)"
    r"([eE][+-]?[0-9]+)?\s*$",
    bool: "^("
    + "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)
        for word in ("true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0")
    )
    + ")$",
}
"""Text that `server:` settings read as a number or a boolean (pydantic's lax parsing)."""


def json_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    _shortcuts(schema)
    _someone_signs_in(schema)
    _page_texts(schema)
    _interpolated(schema)
    return {"$schema": DRAFT, "$id": schema_url(), **schema}


def tests_schema() -> dict[str, Any]:
    """The JSON Schema of a tests file (the one `tests:` names): a list of cases, defined as
    in the config's schema."""
    defs = json_schema()["$defs"]
    used: dict[str, Any] = {}
    todo = ["Case"]
    while todo:
        name = todo.pop()
        if name not in used:
            used[name] = defs[name]
            todo += [ref.rsplit("/", 1)[1] for ref in _refs(defs[name])]
    return {
        "$schema": DRAFT,
        "$id": schema_url(name=TESTS_SCHEMA_NAME),
        "title": "chatserve tests",
        "description": "The cases `chatserve test` runs, in the file a config's `tests:` names.",
        "type": "array",
        "items": {"$ref": "#/$defs/Case"},
        "$defs": dict(sorted(used.items())),
    }


def _refs(node: Any) -> list[str]:
    """Every `$ref` in a part of a schema."""
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if "$ref" in node else []
    return own + [ref for value in node.values() for ref in _refs(value)]


def _shortcuts(schema: dict[str, Any]) -> None:
    """What `Config`'s before-validators accept besides the models' own shape: a single path
    for a list of them, and a bare type name for an additional input or output."""
    props = schema["properties"]
    for name in ("css_paths", "head_paths"):
        prop = props[name]
        prop["anyOf"] = [{"type": "array", "items": prop.pop("items")}, {"type": "string"}]
        del prop["type"]
    for name, kinds in (("additional_inputs", INPUT_TYPES), ("additional_outputs", OUTPUT_TYPES)):
        props[name]["items"] = {"anyOf": [props[name]["items"], {"enum": list(kinds)}]}


def _someone_signs_in(schema: dict[str, Any]) -> None:
    """`server.auth` needs a user, a token or a provider (`AuthConfig._someone`), and a
    provider an allow-list (`OidcConfig._someone`)."""
    defs = schema["$defs"]
    defs["AuthConfig"]["anyOf"] = [
        *_one_of_lists("users", "tokens"),
        {"required": ["oidc"], "properties": {"oidc": {"type": "object"}}},
    ]
    defs["OidcConfig"]["anyOf"] = _one_of_lists(
        "allowed_domains", "allowed_emails", "allowed_groups"
    )


def _one_of_lists(*keys: str) -> list[dict[str, Any]]:
    return [{"required": [key], "properties": {key: {"minItems": 1}}} for key in keys]


def _page_texts(schema: dict[str, Any]) -> None:
    """`texts:` takes the page's keys (the English catalog's), each described by its English,
    so that an editor completes them (`_text_problems` checks the same)."""
    prop = schema["properties"]["texts"]
    prop["properties"] = {
        key: {"type": "string", "description": text} for key, text in english().items()
    }
    prop["additionalProperties"] = False


def _interpolated(schema: dict[str, Any]) -> None:
    """Under `server:` a value may be `${VAR}` text, and is read leniently once interpolated:
    every setting that is more than plain text also takes a reference (and, for numbers and
    booleans, their text). What the environment will hold, no schema can check."""
    for model in _subclasses(Settings):
        props = schema["$defs"][model.__name__]["properties"]
        for name, prop in props.items():
            takes = scalar_types(model.model_fields[name].annotation)
            if not takes or _plain_text(prop):
                continue
            texts = [] if str in takes else [_AS_TEXT[kind] for kind in _AS_TEXT if kind in takes]
            text = {"type": "string", "pattern": "|".join([*texts, REFERENCE]), "title": "${VAR}"}
            kept = {key: prop.pop(key) for key in _ABOUT if key in prop}
            branches = prop.pop("anyOf", None) or [dict(prop)]
            prop.clear()
            prop.update(anyOf=[*branches, text], **kept)


_ABOUT = ("title", "description", "default")
"""Keys that describe a property rather than constrain it."""


def _plain_text(prop: dict[str, Any]) -> bool:
    """Whether a property takes any string (or null): a reference needs no room of its own."""
    options = prop.get("anyOf", [{k: v for k, v in prop.items() if k not in _ABOUT}])
    return {"type": "string"} in options and all(
        option.get("type") in ("string", "null") for option in options
    )


def _subclasses(model: type[Settings]) -> list[type[Settings]]:
    return [sub for child in model.__subclasses__() for sub in (child, *_subclasses(child))]


def schema_text(*, tests: bool = False) -> str:
    """The schema exactly as committed in `schemas/chatserve.schema.json` (`tests`: the tests
    file's, `schemas/chatserve-tests.schema.json`)."""
    schema = tests_schema() if tests else json_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def markdown_reference(model: str | None = None) -> str:
    """The README's YAML reference: one table row per key, from the schema's descriptions
    (`model`: the keys of that definition only, such as a test case's)."""
    schema = json_schema()
    root = schema if model is None else schema["$defs"][model]
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    rows += _rows(root, schema["$defs"], "")
    return "\n".join(rows) + "\n"


def _rows(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[str]:
    rows = []
    required = set(schema.get("required", ()))
    for name, prop in schema["properties"].items():
        key = f"{prefix}{name}"
        nested, inner = _nested(prop, defs)
        kind = _type(prop)
        default = "required" if name in required else _default(prop.get("default"))
        description = " ".join(prop["description"].split())
        rows.append(f"| `{key}` | {kind} | {default} | {description} |")
        if nested:
            rows += _rows(nested, defs, f"{key}{inner}.")
    return rows


_PLAINER = ({"type": "null"}, {"type": "boolean"})


def _nested(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The model whose keys are listed below this one (a mapping, a list of them, or either
    of these or null, or a mapping or `true`), and what joins their names: `.` or `[].`."""
    options = [
        option
        for option in prop.get("anyOf", ())
        if option not in _PLAINER and option.get("title") != "${VAR}"
    ]
    if len(options) == 1:
        prop = options[0]
    if "$ref" in prop:
        return defs[prop["$ref"].rsplit("/", 1)[1]], ""
    if "$ref" in prop.get("items", {}):
        return defs[prop["items"]["$ref"].rsplit("/", 1)[1]], "[]"
    return None, ""


def _type(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "$ref" in prop:
        return "mapping"
    if prop.get("title") == "${VAR}":
        return "`${VAR}`"
    if "anyOf" in prop:
        return " \\| ".join(_type(p) for p in prop["anyOf"])
    names = {
        "string": "string",
        "integer": "integer",
        "boolean": "bool",
        "null": "null",
        "object": "mapping",
    }
    if prop.get("type") == "array":
        return f"list of {_type(prop['items'])}"
    return names.get(prop.get("type", ""), str(prop.get("type", "any")))


def _default(value: Any) -> str:
    if value is None or isinstance(value, dict):  # a mapping's defaults are in its own rows
        return ""
    return f"`{json.dumps(value)}`"
