"""The base of every config model: unknown keys are errors, nothing changes once loaded, values
must already have the right type (YAML says what it means), and each field's docstring is its
description in the JSON Schema and the README's reference."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )
