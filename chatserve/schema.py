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
