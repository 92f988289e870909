"""`/mcp` (`mcp: true`, `chatserve serve --mcp`): the bot as the one tool of a Model Context
Protocol server over Streamable HTTP, made with the official SDK (the `mcp` extra).

The tool takes `message` and the additional inputs by name, each input's schema its
declaration's (type, range, choices, default). A call is one turn with no history, run as
`/api/chat` runs one: in the same line (`concurrency_limit`), its values checked by the same
checks, refused with the same words. The reply comes back as text, its files as links to
`/api/files/{id}`; a caller that asks for progress is notified each time the reply grows. A
failed turn is a tool error (`isError`), never a protocol error.

The tool is read from the bot served at each request, so after a reload a client's next
`tools/list` shows the new one. A server running as one process (see `sessions_on`) gives each
client a session (`Mcp-Session-Id`), says `listChanged` and, when a reload changes the tool,
sends `notifications/tools/list_changed` on each session's stream. A session id works for the
client it was made for only: it carries a MAC of its owner (`owner_of`). Elsewhere (`--workers`,
replicas) the endpoint is stateless: each request stands alone, so any process may answer it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from functools import partial
from typing import Any

from litestar import Litestar, Request, asgi
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler
from litestar.types import Message as ASGIMessage
from litestar.types import Receive, Scope, Send
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.session import ServerSession
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    ContentBlock,
    ListToolsResult,
    NotificationParams,
    ResourceLink,
    TextContent,
    Tool,
)

from chatserve import __version__
from chatserve.bot.load import Bot
from chatserve.bot.queue import QueueFull
from chatserve.bot.replies import Message
from chatserve.config.models import Config, MCPConfig
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


IDLE_SESSION = 30 * 60
"""Seconds a session may go without a request in flight (an open stream is one) before it
ends; its client's next request gets 404 and it starts a new one."""


def sessions_on(config: Config, one_process: bool) -> bool:
    """Whether clients get sessions: a session lives in the process that made it, so only when
    this app is the one process serving the bot, shares no store with replicas (a load balancer
    may send a session's requests to another) and the config does not say `sessions: false`."""
    server, settings = config.server, config.mcp
    said_no = isinstance(settings, MCPConfig) and not settings.sessions
    return one_process and not said_no and server.database is None and server.storage is None


class MCPEndpoint:
    """The MCP server of one app: its route, and the lifespan its requests' tasks run in."""

    def __init__(self, services: Services, *, sessions: bool) -> None:
        self.services = services
        # Its info lines (one "Terminating session: None" per stateless request) repeat the
        # access log.
        logging.getLogger("mcp").setLevel(logging.WARNING)
        server = Server(
            "chatserve", version=__version__, on_list_tools=self._list, on_call_tool=self._call
        )
        self.keys = SessionKeys() if sessions else None
        self._following: set[str] = set()
        """The sessions whose `_follow` runs."""
        if sessions:
            # `initialize` says the tool list may change; clients then listen for it.
            server.create_initialization_options = partial(  # type: ignore[method-assign]
                server.create_initialization_options, NotificationOptions(tools_changed=True)
            )
            server.add_notification_handler(
                "notifications/initialized", NotificationParams, self._follow
            )
        self.manager = StreamableHTTPSessionManager(
            server,
            stateless=not sessions,
            max_request_body_size=MAX_BODY_BYTES,
            session_idle_timeout=IDLE_SESSION,
        )

    def route(self) -> ASGIRouteHandler:
        manager, keys = self.manager, self.keys

        async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
            # ASGI routes skip the app's `before_request`: the same checks, here. The SDK's
            # own Host and Origin checks stay off: the front door and these made them.
            request: Request[Any, Any, Any] = Request(scope, receive)
            await authenticate(request)
            # A DELETE (which ends a session) has no body, and no page can send one: its CORS
            # preflight is never granted.
            if request.method != "DELETE":
                await check_request(request)
            if keys is not None:
                owner = owner_of(request)
                keys.verify(scope, owner)
                send = keys.signing(send, owner)
            await manager.handle_request(scope, receive, send)

        # The same scope on purpose: the access log names the user `authenticate` found.
        return asgi(PATH, name="mcp", copy_scope=False)(mcp)

    @asynccontextmanager
    async def lifespan(self, _: Litestar) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def _list(self, ctx: Any, params: Any) -> ListToolsResult:
        return ListToolsResult(tools=[tool(self.services.served.bot)])

    async def _follow(self, ctx: Any, params: NotificationParams) -> None:
        """Runs from a session's `notifications/initialized` until the session ends (the SDK
        cancels it then) or the server stops: each time a reload changes the tool (its name,
        title, description or inputs), the client is told on the session's stream."""
        session_id = ctx.request.headers[MCP_SESSION_ID_HEADER]  # the SDK requires one here
        if session_id in self._following:
            return  # said twice: one follower per session
        self._following.add(session_id)
        holder = self.services.holder
        shown = tool(holder.current.bot)
        try:
            while not holder.closing:
                changed = holder.changed  # before looking: a reload from now on sets it
                if (now := tool(holder.current.bot)) != shown:
                    shown = now
                    await ctx.session.send_tool_list_changed()
                await changed.wait()
        finally:
            self._following.discard(session_id)

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


class SessionKeys:
    """Session ids bound to their owner: the client gets the SDK's id with a MAC of the id and
    the owner (`owner_of`: the user with `server.auth`), made with a key of this process (as
    its sessions are). An id that another owner sends, or a forged one, reaches the SDK as an
    id no session has: 404, as if there were no such session."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _mac(self, session_id: bytes, owner: str | None) -> bytes:
        message = session_id + b"\0" + (owner or "").encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32].encode()

    def verify(self, scope: Scope, owner: str | None) -> None:
        """Pass the request's session id on as the SDK's id when its MAC is `owner`'s, else as
        an id no session has."""
        header = MCP_SESSION_ID_HEADER.encode()
        headers = []
        for name, value in scope["headers"]:
            if name.lower() == header:
                session_id, _, mac = value.rpartition(b".")
                valid = hmac.compare_digest(mac, self._mac(session_id, owner))
                value = session_id if valid else b"-"
            headers.append((name, value))
        scope["headers"] = headers

    def signing(self, send: Send, owner: str | None) -> Send:
        """`send`, with the session id in the response signed for `owner`."""
        header = MCP_SESSION_ID_HEADER.encode()

        async def signed(message: ASGIMessage) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, value + b"." + self._mac(value, owner))
                    if name.lower() == header
                    else (name, value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        return signed
