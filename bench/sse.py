"""Read chatserve's event stream and check it against the wire contract.

Each event has an `event:` line and one `data:` line of JSON; the events are listed in the
description of `POST /api/chat` in the OpenAPI document (`/schema`).
"""

from __future__ import annotations

import json

REPLY_EVENTS = {"message", "delta", "replace"}
KNOWN_EVENTS = REPLY_EVENTS | {"outputs", "queue", "error", "done"}


def reply_started(body: bytes) -> bool:
    """Whether `body` holds a complete event that starts or extends the reply."""
    text = body.decode(errors="replace").replace("\r\n", "\n")
    complete = text[: text.rfind("\n\n") + 1]
    return any(name in REPLY_EVENTS for name, _ in parse_events(complete))


def contract_problems(events: list[tuple[str, str]], expected: str) -> list[str]:
    """Where a stream's events depart from the wire contract or from the expected reply."""
    names = [name for name, _ in events]
    problems = [f"unknown event {name!r}" for name in set(names) - KNOWN_EVENTS]
    if names[:1] != ["message"]:
        problems.append(f"first event is {names[:1]}, not message")
    if names[-1:] != ["done"]:
        problems.append(f"last event is {names[-1:]}, not done")
    try:
        content, final = replay(events)
    except (ValueError, LookupError, TypeError) as exc:
        return [*problems, f"an event's data does not have the documented shape ({exc!r})"]
    if content != expected:
        problems.append("message + deltas do not add up to the bot's reply")
    if final != expected:
        problems.append("done does not carry the bot's reply")
    return problems


def replay(events: list[tuple[str, str]]) -> tuple[str, str | None]:
    """Message 0's text as the events build it, and as `done` states it."""
    content, final = "", None
    for name, data in events:
        event = json.loads(data)
        if name in ("message", "replace") and event["index"] == 0:
            content = event["message"]["content"]
        elif name == "delta" and event["index"] == 0:
            content += event["text"]
        elif name == "done":
            final = event["messages"][0]["content"]
    return content, final


def parse_events(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of the complete events in a text/event-stream body."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name:  # a line starting with ":" is a comment
                fields[name] = value.removeprefix(" ")
        if fields:
            events.append((fields.get("event", "message"), fields.get("data", "")))
    return events
