"""`POST /api/chat`: one turn of the conversation, as JSON or as a stream of events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Stream

from chatserve.errors import Error
from chatserve.messages import Message, changes, to_messages
from chatserve.openapi import ChatOperation
from chatserve.runner import Run
from chatserve.wire import (
    MAX_HISTORY_MESSAGES,
    MAX_JSON_DEPTH,
    MAX_MESSAGE_CHARS,
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    depth,
)

logger = logging.getLogger("chatserve")

FLUSH_INTERVAL = 0.015
"""After sending, wait this long (or until the function ends) before sending again."""

GENERIC_FAILURE = "Something went wrong while answering. The server log has the details."

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

DESCRIPTION = """\
Sends the user's message and the history to the chat function and answers with the messages
this turn added.

With `"stream": true` the answer is `text/event-stream`; each event's `data` is one line of JSON:

| event | data | meaning |
|---|---|---|
| `message` | `{"index", "message"}` | starts message *index* of this turn |
| `delta` | `{"index", "text"}` | appends `text` to message *index* |
| `replace` | `{"index", "message"}` | replaces message *index* |
| `error` | `{"message"}` | the chat function failed; the text is meant for the user |
| `done` | `{"messages"}` | always last: the final messages of this turn |

The first chunk is sent at once; later ones are coalesced to at most one every ~15 ms.
Closing the connection stops the chat function (generators are closed, `finally` runs).
"""


class ChatFailed(HTTPException):
    """A `chatserve.Error` from the chat function, answered as JSON."""

    status_code = 422


@post(
    "/api/chat",
    status_code=200,
    operation_class=ChatOperation,
    summary="Chat",
    description=DESCRIPTION,
    responses={
        200: ResponseSpec(ChatResponse, description="JSON answer, or `text/event-stream`"),
        413: ResponseSpec(ErrorResponse, description="Request body too large"),
        422: ResponseSpec(ErrorResponse, description="Invalid request, or a `chatserve.Error`"),
        500: ResponseSpec(ErrorResponse, description="The chat function failed"),
    },
)
async def chat(request: Request[Any, Any, State], data: JSONBody[ChatRequest]) -> Response[Any]:
    state = request.app.state
    bot = state.holder.current.bot
    _check_limits(data)
    if data.inputs:
        raise HTTPException(
            status_code=422, detail=f"This bot takes no additional inputs, got {len(data.inputs)}."
        )
    history = [msgspec.to_builtins(message) for message in data.history]
    run = Run(bot.fn, bot.kind, (data.message, history), state.executor)
    if data.stream:
        return Stream(
            _events(run, bot.config.fn), media_type="text/event-stream", headers=STREAM_HEADERS
        )
    try:
        reply = await run.result()
        messages = to_messages(reply)
    except Error as exc:
        raise ChatFailed(detail=exc.message) from None
    except Exception:
        logger.exception("The chat function %s failed", bot.config.fn)
        raise HTTPException(status_code=500, detail=GENERIC_FAILURE) from None
    finally:
        run.stop()
    return Response(
        msgspec.json.encode({"messages": messages, "outputs": []}), media_type="application/json"
    )


def _check_limits(data: ChatRequest) -> None:
    if len(data.message) > MAX_MESSAGE_CHARS:
        raise HTTPException(
            status_code=422,
            detail=f"The message has {len(data.message):,} characters; the limit is "
            f"{MAX_MESSAGE_CHARS:,}.",
        )
    if len(data.history) > MAX_HISTORY_MESSAGES:
        raise HTTPException(
            status_code=422,
            detail=f"The history has {len(data.history):,} messages; the limit is "
            f"{MAX_HISTORY_MESSAGES:,}.",
        )
    free_form = [data.inputs, *(m.metadata for m in data.history if m.metadata)]
    if depth(free_form) > MAX_JSON_DEPTH:
        raise HTTPException(
            status_code=422, detail=f"The request nests deeper than {MAX_JSON_DEPTH} levels."
        )


async def _events(run: Run, fn_name: str) -> AsyncIterator[bytes]:
    """The stream of one turn: changes as they come, then `error` if it failed, then `done`.

    A disconnect (the Stop button) cancels or closes this generator; `finally` stops the run.
    """
    sent: list[Message] = []
    try:
        try:
            async for reply in run.updates():
                messages = to_messages(reply)
                chunk = b"".join(_event(name, data) for name, data in changes(sent, messages))
                sent = messages
                if chunk:
                    yield chunk
                    await run.settle(FLUSH_INTERVAL)
        except Error as exc:
            yield _event("error", {"message": exc.message})
        except Exception:
            logger.exception("The chat function %s failed", fn_name)
            yield _event("error", {"message": GENERIC_FAILURE})
        yield _event("done", {"messages": sent})
    finally:
        run.stop()


def _event(name: str, data: Any) -> bytes:
    # JSON never contains a raw newline, so one `data:` line always suffices.
    return b"event: " + name.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"
