"""`/mcp` (`mcp: true`, `chatserve serve --mcp`): the bot as the one tool of a Model Context
Protocol server over Streamable HTTP, made with the official SDK (the `mcp` extra).

The tool takes `message` and the additional inputs by name, each input's schema its
declaration's (type, range, choices, default). A call is one turn with no history, run as
`/api/chat` runs one: in the same line (`concurrency_limit`), its values checked by the same
checks, refused with the same words. The reply comes back as text, its files as links to
`/api/files/{id}`; a caller that asks for progress is notified each time the reply grows. A
failed turn is a tool error (`isError`), never a protocol error.

The endpoint is stateless: each request stands alone, so replicas need no sticky sessions.
The tool is read from the bot served at each request, so after a reload a client's next
`tools/list` shows the new one (there is no session to send `list_changed` on).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

from litestar import Litestar, Request, asgi
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send
from mcp.server.lowlevel import Server
from mcp.server.session import ServerSession
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    ContentBlock,
    ListToolsResult,
    ResourceLink,
    TextContent,
    Tool,
)

from chatserve import __version__
from chatserve.bot.load import Bot
from chatserve.bot.queue import QueueFull
from chatserve.bot.replies import Message
from chatserve.http.wire import MAX_BODY_BYTES, check_limits
from chatserve.routes.files import inline_files
from chatserve.security.auth import authenticate
from chatserve.security.clients import owner_of
from chatserve.security.rules import check_request
from chatserve.services import Services
from chatserve.stopping import CUT_SHORT, stopped
from chatserve.store.files import UploadRefused
from chatserve.turn import Refused, Reply, Turn, arguments, failure_message, queued

PATH = "/mcp"

PROGRESS_INTERVAL = 0.25
"""At most one progress notification this often (the reply's newest text; the ones in between
are never sent)."""


class MCPEndpoint:
    """The MCP server of one app: its route, and the lifespan its requests' tasks run in."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # Its info lines (one "Terminating session: None" per stateless request) repeat the
        # access log.
        logging.getLogger("mcp").setLevel(logging.WARNING)
        server = Server(
            "chatserve", version=__version__, on_list_tools=self._list, on_call_tool=self._call
        )
        self.manager = StreamableHTTPSessionManager(
            server, stateless=True, max_request_body_size=MAX_BODY_BYTES
        )

    def route(self) -> ASGIRouteHandler:
        manager = self.manager

        async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
            # ASGI routes skip the app's `before_request`: the same checks, here. The SDK's
            # own Host and Origin checks stay off: the front door and these made them.
            request: Request[Any, Any, Any] = Request(scope, receive)
            await authenticate(request)
            await check_request(request)
            await manager.handle_request(scope, receive, send)

        # The same scope on purpose: the access log names the user `authenticate` found.
        return asgi(PATH, name="mcp", copy_scope=False)(mcp)

    @asynccontextmanager
    async def lifespan(self, _: Litestar) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def _list(self, ctx: Any, params: Any) -> ListToolsResult:
        return ListToolsResult(tools=[tool(self.services.served.bot)])

    async def _call(self, ctx: Any, params: CallToolRequestParams) -> CallToolResult:
        bot = self.services.served.bot
        name = tool_name(bot)
        if params.name != name:
            raise MCPError(INVALID_PARAMS, f"No tool {params.name!r}; this server has {name!r}.")
        request: Request[Any, Any, Any] = Request(ctx.request.scope)
        try:
            turn = await self._turn(request, bot, dict(params.arguments or {}))
        except (Refused, QueueFull) as exc:
            return _error(str(exc))
        base_url = str(request.base_url)
        progress = bool(ctx.meta and ctx.meta.get("progress_token") is not None)
        try:
            with self.services.chats.running():
                reply = await (_growing(turn, ctx.session, base_url) if progress else turn.final())
        except Exception as exc:
            return _error(failure_message(exc, bot.config.fn)[1])
        except asyncio.CancelledError as exc:
            if not stopped(exc):
                raise
            return _error(CUT_SHORT)
        finally:
            turn.release()  # the client may leave before the turn starts
        return CallToolResult(content=content(reply.messages, base_url))

    async def _turn(self, request: Request[Any, Any, Any], bot: Bot, given: dict[str, Any]) -> Turn:
        """The call's turn, in line; Refused or QueueFull as `/api/chat` would refuse it. A
        file input's `data:` URLs are stored as this client's uploads first, as on `/v1`."""
        message = given.pop("message", None)
        if not isinstance(message, str):
            raise Refused("`message` must be text.")
        unknown = sorted(set(given) - set(bot.input_names))
        if unknown:
            raise Refused(f"No input named {', '.join(map(repr, unknown))}.")
        declared = bot.config.additional_inputs
        inputs = [
            given[name] if name in given else spec.default()
            for name, spec in zip(bot.input_names, declared, strict=True)
        ]
        try:
            check_limits([], inputs, message)
        except HTTPException as exc:
            raise Refused(exc.detail) from None
        services = self.services
        try:
            inputs, inline = await inline_files(request, services, inputs)
        except UploadRefused as exc:
            raise Refused(exc.message) from None
        except HTTPException as exc:  # a quota
            raise Refused(exc.detail) from None
        try:
            args = arguments(bot, services.files, owner_of(request), message, [], inputs)
        except Refused:
            services.files.discard(inline)
            raise
        return queued(request, services, bot, args)


def tool_name(bot: Bot) -> str:
    """`api_name` when the config sets one, else the title's slug (else the file's name), in
    the characters tool names may have."""
    config = bot.config
    name = config.api_name if "api_name" in config.model_fields_set else None
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name or bot.model_id)[:128]


def tool(bot: Bot) -> Tool:
    """The bot as a tool: `message`, then each additional input under its parameter's name."""
    properties: dict[str, Any] = {"message": {"type": "string", "title": "Message"}}
    declared = bot.config.additional_inputs
    for name, label, spec in zip(bot.input_names, bot.input_labels, declared, strict=True):
        described = {"description": spec.info} if spec.info else {}
        properties[name] = {**spec.schema(), "title": label, **described, "default": spec.default()}
    title = bot.config.title
    return Tool(
        name=tool_name(bot),
        title=title,
        description=bot.config.description or f"Chat with {title or 'the bot'}: send a message.",
        input_schema={"type": "object", "properties": properties, "required": ["message"]},
    )


async def _growing(turn: Turn, session: ServerSession, base_url: str) -> Reply:
    """The final reply, each newer one's text sent as a progress notification on the way."""
    count, sent, reply = 0, "", None
    async with aclosing(turn.updates(PROGRESS_INTERVAL)) as replies:
        async for reply in replies:
            blocks = content(reply.messages, base_url)
            text = "\n\n".join(block.text for block in blocks if isinstance(block, TextContent))
            if text != sent:
                count += 1
                await session.report_progress(count, message=text)
                sent = text
    assert reply is not None  # a turn ends with its final reply
    return reply


def content(messages: list[Message], base_url: str) -> list[ContentBlock]:
    """A reply as a tool's result: each message's text, each file a link to it (thoughts, the
    messages with a title, left out)."""
    blocks: list[ContentBlock] = []
    for message in messages:
        if (message.get("metadata") or {}).get("title"):
            continue
        body = message["content"]
        if isinstance(body, str) or body.get("component") == "html":
            text = body if isinstance(body, str) else body.get("html", "")
            if text:
                blocks.append(TextContent(text=text))
            continue
        files = [item["file"] for item in body["items"]] if "items" in body else [body["file"]]
        for file in files:
            url = file["url"] if "://" in file["url"] else base_url.rstrip("/") + "/" + file["url"]
            name = file.get("name") or "file"
            blocks.append(ResourceLink(uri=url, name=name, mime_type=file.get("mime_type")))
    return blocks


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(text=message)], is_error=True)
