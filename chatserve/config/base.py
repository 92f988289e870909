"""The base of every config model: unknown keys are errors, nothing changes once loaded, values
must already have the right type (YAML says what it means), and each field's docstring is its
description in the JSON Schema and the README's reference."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any

from pydantic import BaseModel, ConfigDict


def describe_fields(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Give each property of a model's JSON Schema its field's docstring as `description`.

    What pydantic's `use_attribute_docstrings` would give, but read when a schema is made
    rather than when the models are built: that parses every model's source, a good part of
    each server's start-up, for descriptions only the schema shows.
    """
    for name, prop in schema.get("properties", {}).items():
        owner = next((k for k in model.__mro__ if name in vars(k).get("__annotations__", {})), None)
        description = None if owner is None else _docstrings(owner).get(name)
        if description is not None:
            prop["description"] = description


@functools.cache
def _docstrings(model: type) -> dict[str, str | None]:
    """Each field annotated in the body of `model`: the string literal right after it, if any."""
    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0].body
    found: dict[str, str | None] = {}
    for node, after in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            is_doc = (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            )
            found[node.target.id] = inspect.cleandoc(after.value.value) if is_doc else None
    return found


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, json_schema_extra=describe_fields
    )
