"""The paced floor: the least a Litestar app can do to stream a reply that a model paces.

`bench/floor.py`'s events (`message`, one `delta` per token, `done`: chatserve's wire format),
with `DELAY` seconds (default 0.04) of `asyncio.sleep` before each delta, as the chat function
in `bench/paced_bot.py` waits before each token.

    python -m uvicorn paced_floor:app --app-dir bench --port 8001

`TOKENS` (default 50) sets the length of the reply; a message that is a number asks for that
many tokens instead, as in `bench/paced_bot.py`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from floor import ChatRequest, events
from litestar import Litestar, get, post
from litestar.response import ServerSentEvent, ServerSentEventMessage


def words(message: str) -> list[str]:
    """The reply's tokens: "token0", "token1", … (`TOKENS` of them, or `message` if a number)."""
    count = int(message) if message.isdigit() else int(os.environ.get("TOKENS", "50"))
    return [f"token{i}" for i in range(count)]


async def paced(
    messages: AsyncIterator[ServerSentEventMessage], delay: float
) -> AsyncIterator[ServerSentEventMessage]:
    """`messages`, waiting `delay` seconds before each delta."""
    async for message in messages:
        if message.event == "delta":
            await asyncio.sleep(delay)
        yield message


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@post("/api/chat", status_code=200)
async def chat(data: ChatRequest) -> ServerSentEvent:
    delay = float(os.environ.get("DELAY", "0.04"))
    return ServerSentEvent(paced(events(words(data.message)), delay))


app = Litestar([healthz, chat])
