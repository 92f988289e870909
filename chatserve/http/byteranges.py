"""`Range: bytes=...` (RFC 9110 §14): the part of a file a media player asks for to seek, or a
download asks for to resume.

One range is served as 206; anything else a server may ignore (several ranges, another unit,
a header it cannot read) gets the whole file, as a server that knows no ranges would send.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})", re.ASCII)


class Unsatisfiable(Exception):
    """The range starts past the end of the file (416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte of a `size`-byte file that a `Range` header asks for, clipped
    to the file; None to send the whole file. Raises Unsatisfiable (416)."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # `bytes=-N`: the last N bytes
        if int(last) == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - int(last)), size - 1
    if last and int(last) < int(first):
        return None  # not a valid range: ignored
    if int(first) >= size:
        raise Unsatisfiable
    return int(first), min(int(last), size - 1) if last else size - 1
