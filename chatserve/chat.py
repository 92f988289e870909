"""`POST /api/<api_name>` (`/api/chat` by default): one turn of the conversation, as JSON
or as a stream of events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any, Literal

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Stream

import chatserve
from chatserve.bot import Bot
from chatserve.clients import owner_of
from chatserve.errors import Error
from chatserve.examplecache import Answer, Example, ExampleCache
from chatserve.files import FileRefused
from chatserve.history import History, UnknownFile
from chatserve.inputs import InvalidInput
from chatserve.messages import Message, Replies, ReplyError, changes
from chatserve.openapi import ChatOperation
from chatserve.queue import QueueFull, Ticket
from chatserve.request import from_http
from chatserve.runner import Run
from chatserve.wire import (
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    MultimodalMessage,
    check_limits,
)

logger = logging.getLogger("chatserve")

FLUSH_INTERVAL = 0.015
"""After sending, wait this long (or until the function ends) before sending again."""

CACHE_HEADER = "Chatserve-Cache"
"""On the answer to an example with `cache_examples`: `hit` (from the cache) or `miss`
(computed now, and cached)."""

Keep = Callable[[list[Any], list[Any]], Awaitable[None]]
"""Called with a turn's final messages and outputs when it ends well."""

GENERIC_FAILURE = "Something went wrong while answering. The server log has the details."

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

DESCRIPTION = """\
Sends the user's message, the history and the additional inputs' values to the chat function
and answers with the messages this turn added and the additional outputs' values.

With `"stream": true` the answer is `text/event-stream`; each event's `data` is one line of JSON:

| event | data | meaning |
|---|---|---|
| `queue` | `{"position"}` | waiting for a free slot (`concurrency_limit`); 1 is next |
| `message` | `{"index", "message"}` | starts message *index* of this turn |
| `delta` | `{"index", "text"}` | appends `text` to message *index* |
| `replace` | `{"index", "message"}` | replaces message *index* |
| `outputs` | `[value, ...]` | the additional outputs' current values |
| `error` | `{"message"}` | the chat function failed; the text is meant for the user |
| `done` | `{"messages", "outputs"}` | always last: the final messages of this turn |

The first chunk is sent at once; later ones are coalesced to at most one every ~15 ms.
Closing the connection stops the chat function (generators are closed, `finally` runs).
Files are named by the ids `POST /api/upload` returned, never by paths.

With `cache_examples`, an example sent with an empty history is answered from the cache
(header `Chatserve-Cache: hit`; a generator's reply is replayed as a quick stream) or computed
and cached (`Chatserve-Cache: miss`).
"""


class ChatFailed(HTTPException):
    """A `chatserve.Error` from the chat function, answered as JSON."""

    status_code = 422


def chat_request(request: Request[Any, Any, Any]) -> chatserve.Request:
    """What the chat function may see of `request` (a `chatserve.Request` parameter)."""
    client = request.client.host if request.client else None
    return from_http(request.scope.get("user"), client, request.headers)


def chat_path(api_name: str | Literal[False]) -> str:
    """The chat route's path; with `api_name: false` the page still needs one."""
    return f"/api/{api_name or 'chat'}"


def chat_route(api_name: str | Literal[False]) -> HTTPRouteHandler:
    """The chat handler at its configured path; `false` leaves it out of the OpenAPI document."""
    return post(
        chat_path(api_name),
        summary="Chat",
        description=DESCRIPTION,
        status_code=200,
        operation_class=ChatOperation,
        include_in_schema=api_name is not False,
        responses={
            200: ResponseSpec(ChatResponse, description="JSON answer, or `text/event-stream`"),
            413: ResponseSpec(ErrorResponse, description="Request body too large"),
            422: ResponseSpec(ErrorResponse, description="Invalid request, or a `chatserve.Error`"),
            500: ResponseSpec(ErrorResponse, description="The chat function failed"),
            503: ResponseSpec(ErrorResponse, description="Too many chats waiting"),
        },
    )(_chat)


async def _chat(request: Request[Any, Any, State], data: JSONBody[ChatRequest]) -> Response[Any]:
    state = request.app.state
    served = state.holder.current
    bot: Bot = served.bot
    owner = owner_of(request)
    text = data.message if isinstance(data.message, str) else data.message.text
    check_limits(data.history, data.inputs, text)
    history = History(state.holder.files, owner)
    try:
        message = message_argument(bot, data.message, history)
        past = [msgspec.to_builtins(m) for m in data.history]
        past = (
            history.pairs(past) if bot.config.chatbot.type == "tuples" else history.messages(past)
        )
        inputs = bot.check_inputs(data.inputs)
    except (UnknownFile, InvalidInput) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    cache = served.examples
    example = cache.match(message, inputs) if cache and not data.history else None
    keep: Keep | None = None
    if example is not None:
        answer = cache.answer(example)
        if answer is not None:
            return _cached(answer, data.stream)
        keep = partial(_keep_answer, cache, example, owner)
    try:
        ticket = state.holder.line.join()
    except QueueFull as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None

    def start() -> Run:
        fn = bot.fn_for(chat_request(request))
        return Run(fn, bot.kind, (message, past, *inputs), state.executor)

    replies = Replies(state.holder.files, owner, list(bot.config.additional_outputs))
    headers = {CACHE_HEADER: "miss"} if keep else {}
    if data.stream:
        turn = _events(ticket, start, replies, bot.config.fn, keep)
        return Stream(turn, media_type="text/event-stream", headers=STREAM_HEADERS | headers)
    response = await _answer(ticket, start, replies, bot.config.fn, keep)
    response.headers.update(headers)
    return response


def _cached(answer: Answer, stream: bool) -> Response[Any]:
    """An example's cached answer: as JSON, or replayed as a stream (quickly)."""
    headers = {CACHE_HEADER: "hit"}
    if stream:
        return Stream(
            _replay(answer), media_type="text/event-stream", headers=STREAM_HEADERS | headers
        )
    body = {"messages": answer.messages, "outputs": answer.outputs}
    return Response(msgspec.json.encode(body), media_type="application/json", headers=headers)


async def _replay(answer: Answer) -> AsyncIterator[bytes]:
    sent: list[Message] = []
    for frame in answer.frames():
        if sent:
            await asyncio.sleep(FLUSH_INTERVAL)
        yield b"".join(_event(name, data) for name, data in changes(sent, frame))
        sent = frame
    if answer.outputs:
        yield _event("outputs", answer.outputs)
    yield _event("done", {"messages": answer.messages, "outputs": answer.outputs})


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


def message_argument(bot: Bot, message: str | MultimodalMessage, history: History) -> Any:
    """The `message` argument: a string, or `{"text", "files": [paths]}` for multimodal bots."""
    if not bot.config.multimodal:
        if not isinstance(message, str):
            raise InvalidInput("This bot takes text messages; send `message` as a string.")
        return message
    if isinstance(message, str):
        return {"text": message, "files": []}
    if bot.config.textbox.file_count == "single" and len(message.files) > 1:
        raise InvalidInput(f"This bot takes one file per message, got {len(message.files)}.")
    return {"text": message.text, "files": [history.path(file_id) for file_id in message.files]}


async def _answer(
    ticket: Ticket, start: Callable[[], Run], replies: Replies, fn_name: str, keep: Keep | None
) -> Response[Any]:
    run = None
    try:
        await ticket.wait()
        run = start()
        response, outputs = replies.split(await run.result())
        body = {"messages": replies.messages(response), "outputs": outputs or []}
        if keep is not None:
            await keep(body["messages"], body["outputs"])
    except Error as exc:
        _log_refusal(exc)
        raise ChatFailed(detail=exc.message) from None
    except Exception:
        logger.exception("The chat function %s failed", fn_name)
        raise HTTPException(status_code=500, detail=GENERIC_FAILURE) from None
    finally:
        if run is not None:
            run.stop()
        ticket.release()
    return Response(msgspec.json.encode(body), media_type="application/json")


async def _events(
    ticket: Ticket, start: Callable[[], Run], replies: Replies, fn_name: str, keep: Keep | None
) -> AsyncIterator[bytes]:
    """The stream of one turn: place in line, changes as they come, `error`, then `done`.

    A disconnect (the Stop button) cancels or closes this generator; `finally` stops the run
    and gives its slot to the next chat in line.
    """
    run = None
    sent: list[Message] = []
    outputs: list[Any] = [None] * len(replies.outputs)
    try:
        try:
            async for position in ticket.positions():
                yield _event("queue", {"position": position})
            run = start()
            async for reply in run.updates():
                response, new_outputs = replies.split(reply)
                messages = replies.messages(response)
                chunk = b"".join(_event(name, data) for name, data in changes(sent, messages))
                sent = messages
                if new_outputs is not None and new_outputs != outputs:
                    outputs = new_outputs
                    chunk += _event("outputs", outputs)
                if chunk:
                    yield chunk
                    await run.settle(FLUSH_INTERVAL)
            if keep is not None:
                await keep(sent, outputs)
        except Error as exc:
            _log_refusal(exc)
            yield _event("error", {"message": exc.message})
        except Exception:
            logger.exception("The chat function %s failed", fn_name)
            yield _event("error", {"message": GENERIC_FAILURE})
        yield _event("done", {"messages": sent, "outputs": outputs})
    finally:
        if run is not None:
            run.stop()
        ticket.release()


def _log_refusal(exc: Error) -> None:
    if isinstance(exc, FileRefused | ReplyError):  # the bot's doing: its author reads the log
        logger.warning("%s", exc.message)


def _event(name: str, data: Any) -> bytes:
    # JSON never contains a raw newline, so one `data:` line always suffices.
    return b"event: " + name.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"
