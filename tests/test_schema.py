"""The JSON Schema: generated from the models, valid, and agreeing with the loader."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from chatserve import __version__
from chatserve.cli.validate import looks_like_config
from chatserve.config.models import Config
from chatserve.config.schema import json_schema, schema_url
from chatserve.config.schema import tests_schema as cases_schema

ROOT = Path(__file__).resolve().parent.parent

SCHEMA = json_schema()
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
"""Made once: `jsonschema.validate` checks the schema itself again on every call."""
TESTS_SCHEMA = cases_schema()
TESTS_VALIDATOR = jsonschema.validators.validator_for(TESTS_SCHEMA)(TESTS_SCHEMA)


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_is_published_per_minor_release() -> None:
    assert (
        schema_url("0.1.0")
        == schema_url("0.1.7")
        == ("https://chatserve.dev/schemas/0.1/chatserve.schema.json")
    )
    assert schema_url("1.2.0").endswith("/1.2/chatserve.schema.json")
    assert SCHEMA["$id"] == schema_url(__version__)


def test_the_schemastore_entry_names_this_release_and_the_files_validate_checks() -> None:
    entry = json.loads((ROOT / "schemas" / "catalog.json").read_text())
    release = ".".join(__version__.split(".")[:2])
    assert entry["versions"][release] == SCHEMA["$id"]
    assert entry["url"] == schema_url().replace(f"/{release}/", "/latest/")
    for name in ("bot.chatserve.yaml", "configs/support.chatserve.yml"):
        assert any(fnmatch.fnmatch(Path(name).name, pattern) for pattern in entry["fileMatch"])
        assert looks_like_config(name)  # the pre-commit hooks check what editors match
    for name in ("bot.yaml", "chatserve.yaml", "x.chatserve.json"):
        assert not any(fnmatch.fnmatch(name, pattern) for pattern in entry["fileMatch"])


def test_every_key_has_a_description() -> None:
    def walk(schema: dict, where: str) -> None:
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{where}.{name} has no description"

    walk(SCHEMA, "config")
    for name, definition in SCHEMA["$defs"].items():
        walk(definition, name)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_satisfy_the_schema(path: Path) -> None:
    validator = TESTS_VALIDATOR if path.name.endswith(".tests.yaml") else VALIDATOR
    validator.validate(yaml.safe_load(path.read_text()))


def test_the_tests_schema_is_valid_and_defines_cases_as_the_config_schema_does() -> None:
    jsonschema.Draft202012Validator.check_schema(TESTS_SCHEMA)
    assert TESTS_SCHEMA["$id"] == schema_url(name="chatserve-tests.schema.json")
    for name, definition in TESTS_SCHEMA["$defs"].items():
        assert definition == SCHEMA["$defs"][name]
    assert SCHEMA["properties"]["tests"]["anyOf"][0]["items"] == TESTS_SCHEMA["items"]


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
