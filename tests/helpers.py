"""Small helpers shared by test modules."""

from __future__ import annotations

import json
from typing import Any


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """`event:`/`data:` pairs of a text/event-stream body, data decoded as JSON."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def replay(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Apply message/delta/replace events the way a client does."""
    messages: list[dict[str, Any]] = []
    for name, data in events:
        if name in ("message", "replace"):
            if data["index"] == len(messages):
                messages.append(dict(data["message"]))
            else:
                messages[data["index"]] = dict(data["message"])
        elif name == "delta":
            messages[data["index"]]["content"] += data["text"]
    return messages


def run_async(make_coroutine):
    """Run a coroutine to completion in a thread of its own.

    Playwright's sync API keeps an event loop running in the test thread, where `asyncio.run`
    refuses to start another.
    """
    import asyncio
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
