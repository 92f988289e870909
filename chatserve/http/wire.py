"""The HTTP API's request and response bodies, and the limits that protect the server.

These msgspec structs are decoded by Litestar and described in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar.exceptions import HTTPException

MAX_BODY_BYTES = 1024 * 1024
MAX_MESSAGE_CHARS = 100_000
MAX_HISTORY_MESSAGES = 1_000
MAX_JSON_DEPTH = 32


class Option(msgspec.Struct, forbid_unknown_fields=True):
    """A preset reply offered under a message; clicking it sends `value`."""

    value: str
    label: str | None = None


class Message(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One chat message: text (Markdown), a file `{"file": FileData}` or a component
    `{"component": "image"|"audio"|"video"|"file"|"html"|"plot"|"gallery", ...}`."""

    role: Literal["user", "assistant"]
    content: str | dict[str, Any]
    metadata: dict[str, Any] | None = None
    options: list[Option] | None = None


class MultimodalMessage(msgspec.Struct, forbid_unknown_fields=True):
    """A message with files, for bots with `multimodal: true`."""

    text: str = ""
    files: Annotated[
        list[str], msgspec.Meta(description="Ids from `POST /api/upload` (never paths).")
    ] = []


class ChatRequest(msgspec.Struct, forbid_unknown_fields=True):
    """One turn of the conversation."""

    message: Annotated[
        str | MultimodalMessage,
        msgspec.Meta(description="The user's new message: text, or `{text, files}`."),
    ]
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
    conversation_id: Annotated[
        str | None,
        msgspec.Meta(
            description="With `save_history: server`: the saved conversation this turn goes "
            "on (`GET /api/conversations`); null starts one, whose id the answer gives."
        ),
    ] = None


class ChatResponse(msgspec.Struct):
    """The messages this turn added, and the additional outputs' values."""

    messages: list[Message]
    outputs: list[Any] = []
    conversation_id: str | None = None
    """With `save_history: server`: the saved conversation, with this turn in it."""


class UploadedFile(msgspec.Struct):
    id: str
    name: str
    size: int
    mime_type: str
    url: str


class UploadResponse(msgspec.Struct):
    """The stored files, in the order they were sent."""

    files: list[UploadedFile]


class ErrorDetail(msgspec.Struct):
    message: str
    request_id: str | None = None
    """The request's id (as in its `X-Request-ID` header and the server's log)."""


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


class QueueEvent(msgspec.Struct):
    """`event: queue`: the turn waits for a slot; `position` 1 is next."""

    position: int


OutputsEvent = Annotated[
    list[Any],
    msgspec.Meta(
        title="OutputsEvent",
        description="`event: outputs`: the current values of all additional outputs.",
    ),
]


class DoneEvent(msgspec.Struct):
    """`event: done`: always last; the final messages of this turn and the outputs."""

    messages: list[Message]
    outputs: list[Any]
    conversation_id: str | None = None
    """With `save_history: server`: the saved conversation, with this turn in it."""


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


def check_limits(history: list[Message], inputs: list[Any], message: str = "") -> None:
    """Refuse (422) what no route takes in: a `message` over `MAX_MESSAGE_CHARS`, a `history`
    over `MAX_HISTORY_MESSAGES`, or free-form values (inputs, contents, metadata) nested deeper
    than `MAX_JSON_DEPTH`."""
    if len(message) > MAX_MESSAGE_CHARS:
        raise HTTPException(
            status_code=422,
            detail=f"The message has {len(message):,} characters; the limit is "
            f"{MAX_MESSAGE_CHARS:,}.",
        )
    if len(history) > MAX_HISTORY_MESSAGES:
        raise HTTPException(
            status_code=422,
            detail=f"The history has {len(history):,} messages; the limit is "
            f"{MAX_HISTORY_MESSAGES:,}.",
        )
    free_form = [inputs, *([m.content, m.metadata] for m in history)]
    if depth(free_form) > MAX_JSON_DEPTH:
        raise HTTPException(
            status_code=422, detail=f"The request nests deeper than {MAX_JSON_DEPTH} levels."
        )
