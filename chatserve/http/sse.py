"""Server-sent events, as the chat route, the OpenAI route and live reload send them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.response import Stream
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Send

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie

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


class EventStream(Stream):
    """A `text/event-stream` response (with STREAM_HEADERS and `headers`) of the chunks
    `events` yields, each sent as it comes.

    As with Litestar's `Stream`, a client that goes away cancels the stream: `events` sees the
    CancelledError where it waits, and the response ends quietly. Unlike it, `events` runs with
    no task group around it and its chunks go straight to `send` (a streamed reply sends one
    per token), in a task of its own: each chunk resumes its few frames, not the middleware's.
    """

    def __init__(self, events: AsyncIterator[bytes], headers: Mapping[str, str] = {}) -> None:
        super().__init__(events, media_type="text/event-stream", headers=STREAM_HEADERS | headers)

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        status_code: int | None = None,
        **_: Any,
    ) -> ASGIResponse:
        return _ASGIEventStream(
            self.iterator,  # type: ignore[arg-type]  # what __init__ took
            background=self.background or background,
            cookies=[*self.cookies, *(cookies or ())],
            headers={**headers, **self.headers} if headers else self.headers,
            is_head_response=is_head_response,
            media_type=self.media_type,
            status_code=self.status_code or status_code,
        )


class _ASGIEventStream(ASGIResponse):
    """The body: `events` sent by one task, while another waits for the client to leave."""

    __slots__ = ("events", "gone")

    _should_set_content_length = False

    def __init__(self, events: AsyncIterator[bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events = events
        self.gone = False

    async def send_body(self, send: Send, receive: Receive) -> None:
        stream = asyncio.create_task(self._stream(send))
        listener = asyncio.create_task(self._listen(receive, stream))
        try:
            await stream
        except asyncio.CancelledError:
            if not self.gone:
                raise
        finally:  # a server that reports no disconnect after the response must not keep it
            listener.cancel()

    async def _stream(self, send: Send) -> None:
        async for chunk in self.events:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _listen(self, receive: Receive, stream: asyncio.Task[None]) -> None:
        """Cancel the stream when the client disconnects. The server reports the end of the
        response as a disconnect too, and the connection closed after an error: the stream has
        ended by then."""
        while (await receive())["type"] != "http.disconnect":
            pass
        if not stream.done():
            self.gone = True
            stream.cancel()
