"""The HTTP API's request and response bodies, and the limits that protect the server.

These msgspec structs are decoded by Litestar and described in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

MAX_BODY_BYTES = 1024 * 1024
MAX_MESSAGE_CHARS = 100_000
MAX_HISTORY_MESSAGES = 1_000
MAX_JSON_DEPTH = 32


class Option(msgspec.Struct, forbid_unknown_fields=True):
    """A preset reply offered under a message; clicking it sends `value`."""

    value: str
    label: str | None = None


class Message(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One chat message, as the chat function's `history` carries it."""

    role: Literal["user", "assistant"]
    content: str
    metadata: dict[str, Any] | None = None
    options: list[Option] | None = None


class ChatRequest(msgspec.Struct, forbid_unknown_fields=True):
    """One turn of the conversation."""

    message: Annotated[str, msgspec.Meta(description="The user's new message.")]
    history: Annotated[
        list[Message],
        msgspec.Meta(description="The conversation so far, oldest first, as the client keeps it."),
    ] = []
    inputs: Annotated[
        list[Any],
        msgspec.Meta(description="Values of the additional inputs, in order."),
    ] = []
    stream: Annotated[
        bool,
        msgspec.Meta(description="Answer as `text/event-stream` instead of one JSON object."),
    ] = False


class ChatResponse(msgspec.Struct):
    """The messages this turn added."""

    messages: list[Message]
    outputs: list[Any] = []


class ErrorDetail(msgspec.Struct):
    message: str


class ErrorResponse(msgspec.Struct):
    """Every non-2xx answer of the API."""

    error: ErrorDetail


class MessageEvent(msgspec.Struct):
    """`event: message`: starts message `index` of this turn."""

    index: int
    message: Message


class DeltaEvent(msgspec.Struct):
    """`event: delta`: appends `text` to message `index`."""

    index: int
    text: str


class ReplaceEvent(msgspec.Struct):
    """`event: replace`: replaces message `index` entirely."""

    index: int
    message: Message


class ErrorEvent(msgspec.Struct):
    """`event: error`: the chat function failed; `message` is meant for the user."""

    message: str


class DoneEvent(msgspec.Struct):
    """`event: done`: always last; the final messages of this turn."""

    messages: list[Message]


def depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a decoded JSON value, counting no further than `limit + 1`."""
    level, frontier = 0, [value]
    while frontier and level <= limit:
        level += 1
        frontier = [
            child
            for item in frontier
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return level
