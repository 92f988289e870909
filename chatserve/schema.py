"""The JSON Schema of config files, generated from the models (`chatserve schema`)."""

from __future__ import annotations

import json
from typing import Any

from chatserve.config import Config

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
        nested = _nested(prop, defs)
        kind = "mapping" if nested else _type(prop)
        default = "required" if name in required else _default(prop.get("default"), nested)
        description = " ".join(prop["description"].split())
        rows.append(f"| `{key}` | {kind} | {default} | {description} |")
        if nested:
            rows += _rows(nested, defs, f"{key}.")
    return rows


def _nested(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    ref = prop.get("$ref")
    return defs[ref.rsplit("/", 1)[1]] if ref else None


def _type(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "$ref" in prop:
        return "mapping"
    if "anyOf" in prop:
        return " \\| ".join(_type(p) for p in prop["anyOf"])
    names = {"string": "string", "integer": "integer", "boolean": "bool", "null": "null"}
    if prop.get("type") == "array":
        return f"list of {_type(prop['items'])}"
    return names.get(prop.get("type", ""), str(prop.get("type", "any")))


def _default(value: Any, nested: dict[str, Any] | None) -> str:
    if nested is not None or value is None:
        return ""
    return f"`{json.dumps(value)}`"
