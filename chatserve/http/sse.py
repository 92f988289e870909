"""Server-sent events, as the chat route, the OpenAI route and live reload send them."""

from __future__ import annotations

from typing import Any

import msgspec

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""Sent with every event stream: no cache, and no proxy buffering (nginx) holds events back."""


def sse(data: Any, event: str | None = None, id: int | None = None) -> bytes:
    """One event: `data` as JSON, unless it is bytes already (JSON never holds a raw newline,
    so one `data:` line always suffices), with its `event:` name and `id:` when given."""
    head = _HEADS.get(event) or _head(event)
    if id is not None:
        head = b"id: %d\n" % id + head
    body = data if isinstance(data, bytes) else msgspec.json.encode(data)
    return b"".join((head, body, b"\n\n"))


_HEADS: dict[str | None, bytes] = {}
"""Each event name's lines up to its data, made once: a streamed reply sends one per token."""


def _head(event: str | None) -> bytes:
    head = (b"" if event is None else b"event: " + event.encode() + b"\n") + b"data: "
    _HEADS[event] = head
    return head
