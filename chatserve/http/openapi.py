"""OpenAPI for what Litestar cannot infer: the chat route's `text/event-stream` answer,
examples of its request, its answer and every event, and the routes' error answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

from chatserve.http.wire import (
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
    ErrorResponse,
    MessageEvent,
    OutputsEvent,
    QueueEvent,
    ReplaceEvent,
)

EVENTS = {
    "queue": QueueEvent,
    "message": MessageEvent,
    "delta": DeltaEvent,
    "replace": ReplaceEvent,
    "outputs": OutputsEvent,
    "error": ErrorEvent,
    "done": DoneEvent,
}
_REF = "#/components/schemas/{name}"


def errors(described: dict[int, str]) -> dict[int, ResponseSpec]:
    """A route's error answers, by status: each has the error body and says when it happens."""
    return {
        status: ResponseSpec(ErrorResponse, description=description)
        for status, description in described.items()
    }


_REPLY = {"role": "assistant", "content": "Hello! How can I help?"}
_FILE = {
    "id": "Xq3v9b1mQ0y2Zk8Jw4Hn7A",
    "url": "api/files/Xq3v9b1mQ0y2Zk8Jw4Hn7A",
    "name": "chart.png",
    "mime_type": "image/png",
    "size": 20480,
}
EVENT_EXAMPLES: dict[str, Any] = {
    "queue": {"position": 2},
    "message": {"index": 0, "message": {"role": "assistant", "content": "Hello!"}},
    "delta": {"index": 0, "text": " How can I help?"},
    "replace": {"index": 1, "message": {"role": "assistant", "content": {"file": _FILE}}},
    "outputs": ["Detected language: English"],
    "error": {"message": "I can't answer that."},
    "done": {"messages": [_REPLY], "outputs": []},
}
REQUEST_EXAMPLES = {
    "text": {"message": "Hi", "history": [], "stream": False},
    "streamed, with history and inputs": {
        "message": "And in French?",
        "history": [{"role": "user", "content": "Say hello"}, _REPLY],
        "inputs": ["You are a translator.", 0.7],
        "stream": True,
    },
    "multimodal": {"message": {"text": "What is in this picture?", "files": [_FILE["id"]]}},
}
RESPONSE_EXAMPLE = {"messages": [_REPLY], "outputs": []}
STREAM_EXAMPLE = "".join(
    f"event: {name}\ndata: {msgspec.json.encode(EVENT_EXAMPLES[name]).decode()}\n\n"
    for name in ("message", "delta", "done")
)


@dataclass
class ChatOperation(Operation):
    """The chat route's operation, with the event stream as a second 200 media type."""

    def __post_init__(self) -> None:
        schemas, components = msgspec.json.schema_components(EVENTS.values(), ref_template=_REF)
        events = [
            _convert(
                {
                    **_inline(schema, components),
                    "title": f"event: {name}",
                    "examples": [EVENT_EXAMPLES[name]],
                }
            )
            for name, schema in zip(EVENTS, schemas, strict=True)
        ]
        stream = Schema(
            type=OpenAPIType.STRING,
            description=(
                "Server-sent events. Each event is `event: <name>` and one `data:` line "
                "holding JSON; `oneOf` describes the data of each event name."
            ),
            one_of=events,
        )
        content = self.responses["200"].content  # type: ignore[index,union-attr]
        content["application/json"].example = RESPONSE_EXAMPLE
        content["text/event-stream"] = OpenAPIMediaType(schema=stream, example=STREAM_EXAMPLE)
        body = self.request_body.content["application/json"]  # type: ignore[union-attr]
        body.examples = {
            name: Example(summary=name, value=value) for name, value in REQUEST_EXAMPLES.items()
        }


def _inline(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The event's own schema rather than a reference to a component of its name."""
    if "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _convert(value: dict[str, Any]) -> Schema | Reference:
    """A JSON Schema dict (as msgspec writes it) as Litestar's spec objects."""
    if "$ref" in value:
        return Reference(ref=value["$ref"])
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        if name == "type":
            item = OpenAPIType(item)
        elif name == "properties":
            item = {k: _convert(v) for k, v in item.items()}
        elif name in ("any_of", "one_of", "all_of"):
            item = [_convert(v) for v in item]
        elif name == "items" and isinstance(item, dict):
            item = _convert(item)
        fields[name] = item
    return Schema(**fields)
