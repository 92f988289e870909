"""`POST /api/<api_name>` (`/api/chat` by default): one turn of the conversation, as JSON
or as a stream of events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from chatserve.bot.load import Bot
from chatserve.bot.queue import QueueFull
from chatserve.bot.replies import Message, changes, file_refs, grown_text
from chatserve.config.models import Config
from chatserve.http.openapi import ChatOperation, errors
from chatserve.http.sse import EventStream, sse
from chatserve.http.wire import ChatRequest, ChatResponse, MultimodalMessage, check_limits
from chatserve.saving import HEADER as CONVERSATION_HEADER
from chatserve.saving import Saving, saving
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.stopping import CUT_SHORT, RunningChats, stopped
from chatserve.store.examples import Answer, Example, ExampleCache
from chatserve.turn import Refused, Turn, arguments, failure_message, queued

logger = logging.getLogger("chatserve")

FLUSH_INTERVAL = 0.015
"""After sending, wait this long (or until the function ends) before sending again."""

CACHE_HEADER = "Chatserve-Cache"
"""On the answer to an example with `cache_examples`: `hit` (from the cache) or `miss`
(computed now, and cached)."""

Keep = Callable[[list[Any], list[Any]], Awaitable[None]]
"""Called with a turn's final messages and outputs when it ends well."""

DESCRIPTION = """\
Sends the user's message, the history and the additional inputs' values to the chat function
and answers with the messages this turn added and the additional outputs' values.

With `"stream": true` the answer is `text/event-stream`; each event's `data` is one line of JSON:

| event | data | meaning |
|---|---|---|
| `queue` | `{"position"}` | in line for a slot (`concurrency_limit`, `worker_threads`); 1 is next |
| `message` | `{"index", "message"}` | starts message *index* of this turn |
| `delta` | `{"index", "text"}` | appends `text` to message *index* |
| `replace` | `{"index", "message"}` | replaces message *index* |
| `outputs` | `[value, ...]` | the additional outputs' current values |
| `error` | `{"message"}` | the function failed, or the server stopped first; for the user |
| `done` | `{"messages", "outputs", "conversation_id"?}` | always last: this turn's final messages |

The first chunk is sent at once; later ones are coalesced to at most one every ~15 ms.
Closing the connection stops the chat function (generators are closed, `finally` runs).
Files are named by the ids `POST /api/upload` returned, never by paths.

With `cache_examples`, an example sent with an empty history is answered from the cache
(header `Chatserve-Cache: hit`; a generator's reply is replayed as a quick stream) or computed
and cached (`Chatserve-Cache: miss`).

With `save_history: server` a turn is saved, when it ends, in a conversation of the client's
(the signed-in user's; without `server.auth`, the browser's): `conversation_id` names the one
to go on, null starts one. The answer names it: `conversation_id` in the JSON answer and in
`done`, and the header `Chatserve-Conversation`.
"""


def chat_route(config: Config) -> HTTPRouteHandler:
    """The chat handler at its configured path; `false` leaves it out of the OpenAPI document."""
    return post(
        config.chat_path,
        summary="Chat",
        description=DESCRIPTION,
        status_code=200,
        operation_class=ChatOperation,
        include_in_schema=config.api_name is not False,
        responses={
            200: ResponseSpec(ChatResponse, description="JSON answer, or `text/event-stream`"),
            **errors(
                {
                    403: "A `conversation_id` from a client with no session and no cookie",
                    404: "No such saved conversation (or not the client's)",
                    409: "The client keeps as many saved conversations as it may",
                    413: "Request body too large, or the saved conversation is",
                    422: "Invalid request, or a `chatserve.Error`",
                    429: "The client's bytes for the hour are spent (saved conversations)",
                    500: "The chat function failed",
                    503: "Too many chats waiting",
                }
            ),
        },
    )(_chat)


async def _chat(
    request: Request[Any, Any, State],
    data: JSONBody[ChatRequest],
    services: NamedDependency[Services],
) -> Response[Any]:
    served = services.served
    bot: Bot = served.bot
    owner = owner_of(request)
    text = data.message if isinstance(data.message, str) else data.message.text
    check_limits(data.history, data.inputs, text)
    history = [msgspec.to_builtins(message) for message in data.history]
    await services.files.prefetch(_file_ids(data.message, history), owner)
    try:
        args = arguments(bot, services.files, owner, data.message, history, data.inputs)
    except Refused as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    saved = await saving(request, services, bot, data)
    headers = {} if saved is None else {CONVERSATION_HEADER: saved.id}
    cache = served.examples
    example = cache.match(args.message, args.inputs) if cache and not data.history else None
    keep: Keep | None = None
    if example is not None:
        answer = cache.answer(example)
        if answer is not None:
            return await _cached(answer, data.stream, saved, headers)
        keep = partial(_keep_answer, cache, example, owner)
        headers[CACHE_HEADER] = "miss"
    try:
        turn = queued(request, services, bot, args, saved and saved.conversation)
    except QueueFull as exc:
        raise HTTPException(status_code=503, detail=str(exc), headers=exc.headers) from None
    if data.stream:
        return EventStream(_events(turn, keep, saved, services.chats), headers)
    response = await _answer(turn, keep, saved)
    response.headers.update(headers)
    return response


def _file_ids(message: str | MultimodalMessage, history: list[Any]) -> Iterator[Any]:
    """The ids of the files a turn names: its message's and its history's."""
    if not isinstance(message, str):
        yield from message.files
    yield from (ref["id"] for ref in file_refs(history))


async def _cached(
    answer: Answer, stream: bool, saved: Saving | None, headers: dict[str, str]
) -> Response[Any]:
    """An example's cached answer (saved at once): as JSON, or replayed as a stream
    (quickly)."""
    headers = {**headers, CACHE_HEADER: "hit"}
    body = {"messages": answer.messages, "outputs": answer.outputs}
    if saved is not None:
        body.update(await saved.finish(answer.messages))
    if stream:
        return EventStream(_replay(answer, body), headers)
    return Response(msgspec.json.encode(body), media_type="application/json", headers=headers)


async def _replay(answer: Answer, done: dict[str, Any]) -> AsyncIterator[bytes]:
    sent: list[Message] = []
    for frame in answer.frames():
        if sent:
            await asyncio.sleep(FLUSH_INTERVAL)
        yield _changed(sent, frame)
        sent = frame
    if answer.outputs:
        yield sse(answer.outputs, "outputs")
    yield sse(done, "done")


def _changed(sent: list[Message], current: list[Message]) -> bytes:
    """The events that turn the messages the client has into `current`."""
    if len(sent) == 1 == len(current):  # a reply of one message, streaming: its text grew
        suffix = grown_text(sent[0], current[0])
        if suffix is not None:
            return _first_delta(suffix) if suffix else b""
    return b"".join([sse(data, name) for name, data in changes(sent, current)])


def _first_delta(text: str) -> bytes:
    """`sse({"index": 0, "text": text}, "delta")`, with no dict to make and encode: a streamed
    reply sends one per token."""
    return b"".join((_FIRST_DELTA, msgspec.json.encode(text), b"}\n\n"))


_FIRST_DELTA = b'event: delta\ndata: {"index":0,"text":'


async def _keep_answer(
    cache: ExampleCache,
    example: Example,
    owner: str | None,
    messages: list[Any],
    outputs: list[Any],
) -> None:
    """Cache the answer an example just got (`cache_mode: lazy`, or not cached yet)."""
    try:
        await asyncio.to_thread(cache.store, example, owner, messages, outputs)
    except OSError as exc:
        logger.warning("The answer to example %d was not cached: %s", example.index + 1, exc)


async def _answer(turn: Turn, keep: Keep | None, saved: Saving | None) -> Response[Any]:
    try:
        reply = await turn.final()
        body = {"messages": reply.messages, "outputs": reply.outputs or []}
        if keep is not None:
            await keep(body["messages"], body["outputs"])
    except Exception as exc:
        readable, message = failure_message(exc, turn.bot.config.fn)
        # A `chatserve.Error` (or a reply chatserve refused) is the client's to read: 422.
        raise HTTPException(status_code=422 if readable else 500, detail=message) from None
    if saved is not None:
        body.update(await saved.finish(reply.messages))
    return Response(msgspec.json.encode(body), media_type="application/json")


async def _events(
    turn: Turn, keep: Keep | None, saved: Saving | None, chats: RunningChats
) -> AsyncIterator[bytes]:
    """The stream of one turn: place in line, changes as they come, `error`, then `done`.

    A disconnect (the Stop button) cancels or closes this generator; the turn then stops the
    chat function and gives its slot to the next chat in line. A server that stops gives it
    `server.shutdown_grace` seconds, then ends it with an `error` and its `done`. A turn that
    reaches its `done` is saved first (`save_history: server`), what came of a failed one too.
    """
    sent: list[Message] = []
    outputs: list[Any] = [None] * len(turn.replies.outputs)
    try:
        with chats.running():
            try:
                async for position in turn.positions():
                    yield sse({"position": position}, "queue")
                async with turn.streaming() as run:
                    async for value in run.updates(FLUSH_INTERVAL):
                        reply = turn.reply(value)
                        chunk = _changed(sent, reply.messages)
                        sent = reply.messages
                        if reply.outputs is not None and reply.outputs != outputs:
                            outputs = reply.outputs
                            chunk += sse(outputs, "outputs")
                        if chunk:
                            yield chunk
                if keep is not None:
                    await keep(sent, outputs)
            except Exception as exc:
                yield sse({"message": failure_message(exc, turn.bot.config.fn)[1]}, "error")
            except asyncio.CancelledError as exc:
                if not stopped(exc):
                    raise
                yield sse({"message": CUT_SHORT}, "error")
            done = {"messages": sent, "outputs": outputs}
            if saved is not None:
                done.update(await saved.finish(sent))
            yield sse(done, "done")
    finally:
        turn.release()
