"""`/v1/chat/completions` and `/v1/models`: any bot, spoken to as an OpenAI-compatible model.

OpenAI `messages` map onto the chat function's arguments: the last message is `message`, the
user and assistant messages before it are `history` (system and tool messages are left out:
the bot's prompt is its own). The additional inputs' values come in the extra field `inputs`
(a file input's as a file ref or a base64 `data:` URL, stored as an upload).
A reply becomes one text: its messages joined by blank lines, files as Markdown links to
`/api/files/{id}` (images as Markdown images), thoughts left out. Errors have OpenAI's shape.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import JSONBody

from chatserve.bot.load import Bot
from chatserve.bot.queue import QueueFull
from chatserve.http.errors import client_error
from chatserve.http.sse import EventStream, sse
from chatserve.http.wire import MAX_HISTORY_MESSAGES, MAX_JSON_DEPTH, MAX_MESSAGE_CHARS, depth
from chatserve.routes.files import inline_files
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.stopping import CUT_SHORT, RunningChats, stopped
from chatserve.store.files import UploadRefused
from chatserve.turn import Refused, Turn, arguments, failure_message, queued

logger = logging.getLogger("chatserve")


class TextPart(msgspec.Struct):
    type: str
    text: str = ""


class OpenAIMessage(msgspec.Struct):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None


class CompletionRequest(msgspec.Struct):
    """OpenAI's request; fields chatserve has no use for (temperature, ...) are ignored."""

    model: str
    messages: list[OpenAIMessage]
    stream: bool = False
    inputs: Annotated[
        list[Any],
        msgspec.Meta(
            description="chatserve's extra field: the additional inputs' values (a file "
            'input\'s as {"id": ...} or a base64 data: URL).'
        ),
    ] = []


class OpenAIError(HTTPException):
    """An error answered as `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.kind = kind
        self.code = code


@get("/models", summary="Models (OpenAI-compatible)")
async def models(services: NamedDependency[Services]) -> dict[str, Any]:
    bot = services.served.bot
    model = {"id": bot.model_id, "object": "model", "created": 0, "owned_by": "chatserve"}
    return {"object": "list", "data": [model]}


@post("/chat/completions", summary="Chat completion (OpenAI-compatible)", status_code=200)
async def completions(
    request: Request[Any, Any, State],
    data: JSONBody[CompletionRequest],
    services: NamedDependency[Services],
) -> Response[Any]:
    bot = services.served.bot
    if data.model != bot.model_id:
        raise OpenAIError(
            404,
            f"The model {data.model!r} does not exist; this server has {bot.model_id!r}.",
            code="model_not_found",
        )
    owner = owner_of(request)
    text, past = _conversation(data.messages)
    if depth(data.inputs) > MAX_JSON_DEPTH:
        raise OpenAIError(400, f"The inputs nest deeper than {MAX_JSON_DEPTH} levels.")
    try:
        inputs, inline = await inline_files(request, services, data.inputs)
    except UploadRefused as exc:
        raise OpenAIError(exc.status, exc.message) from None
    try:
        args = arguments(bot, services.files, owner, text, past, inputs)
    except Refused as exc:
        services.files.discard(inline)
        raise OpenAIError(400, str(exc)) from None
    try:
        turn = queued(request, services, bot, args)
    except QueueFull as exc:
        raise OpenAIError(503, str(exc), kind="server_error", headers=exc.headers) from None
    answer = _Answer(bot, str(request.base_url).rstrip("/"))
    if data.stream:
        chunks = answer.chunks(turn, services.chats)
        return EventStream(chunks)
    try:
        reply = await turn.final()
    except Exception as exc:
        readable, message = failure_message(exc, bot.config.fn)
        raise (
            OpenAIError(400, message) if readable else OpenAIError(500, message, "server_error")
        ) from None
    completion = answer.completion(answer.text(reply.messages))
    return Response(msgspec.json.encode(completion), media_type="application/json")


def _conversation(messages: list[OpenAIMessage]) -> tuple[str, list[dict[str, Any]]]:
    """The last user message's text, and the user and assistant messages before it."""
    spoken = [m for m in messages if m.role in ("user", "assistant")]
    if not spoken or spoken[-1].role != "user":
        raise OpenAIError(400, "The last message must be the user's.", code="invalid_messages")
    if len(spoken) > MAX_HISTORY_MESSAGES:
        raise OpenAIError(400, f"More than {MAX_HISTORY_MESSAGES:,} messages.")
    texts = [_text(m.content) for m in spoken]
    if any(len(text) > MAX_MESSAGE_CHARS for text in texts):
        raise OpenAIError(400, f"A message is longer than {MAX_MESSAGE_CHARS:,} characters.")
    past = [{"role": m.role, "content": t} for m, t in zip(spoken[:-1], texts, strict=False)]
    return texts[-1], past


def _text(content: str | list[TextPart] | None) -> str:
    if isinstance(content, list):
        return "".join(part.text for part in content if part.type == "text")
    return content or ""


class _Answer:
    """One completion's identity, and how replies become its text and chunks."""

    def __init__(self, bot: Bot, base_url: str) -> None:
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = bot.model_id
        self.base_url = base_url

    def text(self, messages: list[dict[str, Any]]) -> str:
        parts = [self._part(m) for m in messages if not (m.get("metadata") or {}).get("title")]
        return "\n\n".join(part for part in parts if part)

    def completion(self, text: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return self._envelope("chat.completion", choice)

    async def chunks(self, turn: Turn, chats: RunningChats) -> AsyncIterator[bytes]:
        """`chat.completion.chunk` events: the role, each new piece of text, the finish, then
        `[DONE]`. A reply that rewrites text already sent is sent on once it grows past it.
        A server that stops ends a turn still running after its grace with an error."""
        sent = ""
        try:
            with chats.running():
                yield self._chunk({"role": "assistant", "content": ""})
                async with aclosing(turn.updates()) as replies:
                    async for reply in replies:
                        text = self.text(reply.messages)
                        if text.startswith(sent) and len(text) > len(sent):
                            yield self._chunk({"content": text[len(sent) :]})
                            sent = text
                yield self._chunk({}, finish="stop")
        except Exception as exc:
            readable, message = failure_message(exc, turn.bot.config.fn)
            kind = "invalid_request_error" if readable else "server_error"
            yield sse({"error": _error_body(message, kind, None)})
        except asyncio.CancelledError as exc:
            if not stopped(exc):
                raise
            yield sse({"error": _error_body(CUT_SHORT, "server_error", None)})
        finally:
            turn.release()  # the client may leave before the turn starts
        yield sse(b"[DONE]")

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse(self._envelope("chat.completion.chunk", choice))

    def _envelope(self, kind: str, choice: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "choices": [choice],
        }

    def _part(self, message: dict[str, Any]) -> str:
        content = message["content"]
        if isinstance(content, str):
            return content
        if content.get("component") == "html":
            return content.get("html", "")
        files = (
            [item["file"] for item in content["items"]] if "items" in content else [content["file"]]
        )
        return "\n".join(self._link(file, content) for file in files)

    def _link(self, file: dict[str, Any], content: dict[str, Any]) -> str:
        url = file["url"] if "://" in file["url"] else f"{self.base_url}/{file['url']}"
        label = content.get("alt_text") or file.get("name") or "file"
        image = str(file.get("mime_type", "")).startswith("image/")
        return f"{'!' if image else ''}[{label}]({url})"


def _error_body(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"message": message, "type": kind, "param": None, "code": code}


_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


def _openai_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The API's errors (`chatserve.http.errors`) in OpenAI's shape, which has 400 for every
    invalid request."""
    if isinstance(exc, OpenAIError):
        body = _error_body(exc.detail, exc.kind, exc.code)
        return Response({"error": body}, status_code=exc.status_code, headers=exc.headers)
    error = client_error(request, exc)
    if error is None:
        logger.error("Unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        body = _error_body("Internal server error.", "server_error", None)
        return Response({"error": body}, status_code=500)
    status = 400 if error.status_code == 422 else error.status_code
    body = _error_body(error.detail, "invalid_request_error", _CODES.get(status))
    return Response({"error": body}, status_code=status, headers=error.headers)


openai_router = Router(
    "/v1",
    route_handlers=[models, completions],
    exception_handlers={HTTPException: _openai_error, Exception: _openai_error},
    tags=["OpenAI-compatible"],
)
