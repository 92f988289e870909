"""Sizes in bytes as configs write them: an integer, or text such as `10MB` or `512 KiB`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9}
_SIZE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30}

ByteSize = Annotated[
    int | str,
    Field(json_schema_extra={"pattern": _SIZE.pattern}),
]
"""Bytes as an integer, or a string such as `10MB` or `512 KiB`."""


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
