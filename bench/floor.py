"""The floor: the least a Litestar app can do to stream the benchmark's reply.

It speaks the same wire format as chatserve's `POST /api/chat` for the bot in
`configs/bench.py`: `event: message` starts the reply, one `event: delta` per token follows, and
`event: done` carries the final text. It is the idiomatic `ServerSentEvent` over an async
generator, with no validation beyond decoding the body, no coalescing and no web UI, so the
difference between it and chatserve is what chatserve's features cost.

    python -m uvicorn floor:app --app-dir bench --port 8001
    python bench/floor.py --port 8001

`TOKENS` (default 200) sets the length of the reply.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator

import msgspec
from litestar import Litestar, MediaType, get, post
from litestar.response import ServerSentEvent, ServerSentEventMessage

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Benchmark</title></head>
<body><h1>Benchmark</h1></body>
</html>
"""


class ChatRequest(msgspec.Struct):
    """The body chatserve's UI sends; the floor decodes it and ignores it."""

    message: str
    history: list[dict[str, object]] = []
    stream: bool = True


def tokens() -> list[str]:
    """The reply's tokens: "token0", "token1", … up to `TOKENS`."""
    return [f"token{i}" for i in range(int(os.environ.get("TOKENS", "200")))]


def sse(event: str, data: object) -> ServerSentEventMessage:
    return ServerSentEventMessage(event=event, data=msgspec.json.encode(data))


async def events(words: list[str]) -> AsyncIterator[ServerSentEventMessage]:
    """The reply as chatserve's stream events, one delta per token; the deltas add up to it."""
    yield sse("message", {"index": 0, "message": {"role": "assistant", "content": ""}})
    for i, word in enumerate(words):
        yield sse("delta", {"index": 0, "text": f" {word}" if i else word})
    final = {"role": "assistant", "content": " ".join(words)}
    yield sse("done", {"messages": [final]})


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/", media_type=MediaType.HTML)
async def index() -> str:
    return PAGE


@post("/api/chat", status_code=200)
async def chat(data: ChatRequest) -> ServerSentEvent:
    return ServerSentEvent(events(tokens()))


app = Litestar([healthz, index, chat])


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)
