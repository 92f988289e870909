"""The JSON Schema: generated from the models, valid, and agreeing with the loader."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from chatserve.config.models import Config
from chatserve.config.schema import json_schema

ROOT = Path(__file__).resolve().parent.parent

SCHEMA = json_schema()
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
"""Made once: `jsonschema.validate` checks the schema itself again on every call."""


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_key_has_a_description() -> None:
    def walk(schema: dict, where: str) -> None:
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{where}.{name} has no description"

    walk(SCHEMA, "config")
    for name, definition in SCHEMA["$defs"].items():
        walk(definition, name)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_satisfy_the_schema(path: Path) -> None:
    VALIDATOR.validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize(
    "data",
    [
        {"title": "no fn"},
        {"fn": "a:b", "titel": "typo"},
        {"fn": "a:b", "theme": "blue"},
        {"fn": "a:b", "chatbot": {"height": "tall"}},
        {"fn": "a:b", "server": {"port": 70000}},
    ],
)
def test_schema_and_models_reject_the_same_mistakes(data: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)
    with pytest.raises(ValueError):
        Config.model_validate(data)
