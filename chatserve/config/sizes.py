"""Sizes in bytes as configs write them: an integer, or text such as `10MB` or `512 KiB`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

# Units in any case spelled out, not re.IGNORECASE: the schema's pattern is this one, and JSON
# Schema patterns have no flags.
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgG][iI]?[bB]|[bB])?\s*$")
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9}
_SIZE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30}


def _size_schema(minimum: int) -> Callable[[dict[str, Any]], None]:
    def schema(prop: dict[str, Any]) -> None:
        prop["anyOf"] = [
            {"type": "integer", "minimum": minimum},
            {"type": "string", "pattern": _SIZE.pattern},
        ]

    return schema


ByteSize = Annotated[int | str, Field(json_schema_extra=_size_schema(1))]
"""Bytes as an integer, or a string such as `10MB` or `512 KiB`."""

ByteSizeOrZero = Annotated[int | str, Field(json_schema_extra=_size_schema(0))]
"""A `ByteSize`, or `0` for none."""


def parse_size(value: int | str) -> int:
    """`"10MB"` -> 10_000_000; raises ValueError with the accepted forms."""
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"must be a positive number of bytes, got {value}")
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"must be bytes as an integer or a size such as '10MB', got {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])
