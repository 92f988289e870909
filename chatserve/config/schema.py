"""The JSON Schema of config files, generated from the models (`chatserve schema`)."""

from __future__ import annotations

import json
from typing import Any

from chatserve.config.models import Config

SCHEMA_ID = "https://chatserve.dev/schemas/chatserve.schema.json"


def json_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema exactly as committed in `schemas/chatserve.schema.json`."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def markdown_reference() -> str:
    """The README's YAML reference: one table row per key, from the schema's descriptions."""
    schema = json_schema()
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    rows += _rows(schema, schema["$defs"], "")
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


def _nested(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The model whose keys are listed below this one (a mapping, a list of them, or a
    mapping or null), and what joins their names: `.` or `[].`."""
    options = [option for option in prop.get("anyOf", ()) if option.get("type") != "null"]
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
    if "anyOf" in prop:
        return " \\| ".join(_type(p) for p in prop["anyOf"])
    names = {"string": "string", "integer": "integer", "boolean": "bool", "null": "null"}
    if prop.get("type") == "array":
        return f"list of {_type(prop['items'])}"
    return names.get(prop.get("type", ""), str(prop.get("type", "any")))


def _default(value: Any) -> str:
    if value is None or isinstance(value, dict):  # a mapping's defaults are in its own rows
        return ""
    return f"`{json.dumps(value)}`"
