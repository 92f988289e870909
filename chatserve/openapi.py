"""OpenAPI for what Litestar cannot infer: the chat route's `text/event-stream` answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Reference, Schema

from chatserve.wire import (
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
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


@dataclass
class ChatOperation(Operation):
    """The chat route's operation, with the event stream as a second 200 media type."""

    def __post_init__(self) -> None:
        schemas, components = msgspec.json.schema_components(EVENTS.values(), ref_template=_REF)
        events = [
            _convert({**_inline(schema, components), "title": f"event: {name}"})
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
        content["text/event-stream"] = OpenAPIMediaType(schema=stream)


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
