"""Assemble the Litestar app for a bot: routes, security, error bodies, and the worker threads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Server
from litestar.types import ASGIApp, Receive, Scope, Send

from chatserve import __version__
from chatserve.bot.load import Bot, flagging_dir, load
from chatserve.config.models import Config
from chatserve.holder import BotHolder
from chatserve.http.accesslog import LoggedLitestar
from chatserve.http.errors import error_response
from chatserve.http.wire import MAX_BODY_BYTES
from chatserve.logs import ensure_output
from chatserve.observe import observing
from chatserve.reload import watching
from chatserve.routes.chat import chat_route
from chatserve.routes.conversations import conversation_routes
from chatserve.routes.docs import DOCS_PATH, docs_plugins, docs_router
from chatserve.routes.events import events
from chatserve.routes.files import serve_file, upload_route
from chatserve.routes.flags import flag
from chatserve.routes.login import log_in, log_out, login_page
from chatserve.routes.pages import PAGES
from chatserve.security.auth import Auth, authenticate, check_oidc
from chatserve.security.frontdoor import FrontDoor
from chatserve.security.quotas import Quotas
from chatserve.security.rules import check_request, security_headers
from chatserve.services import Services
from chatserve.store.cleanup import sweeper
from chatserve.store.examples import example_answers
from chatserve.store.files import FileStore
from chatserve.store.flags import FlagStores
from chatserve.store.shared.backends import Backends, backends, session_secret
from chatserve.store.shared.extras import require
from chatserve.ui.bundle import WebUI

if TYPE_CHECKING:
    from chatserve.routes.mcp import MCPEndpoint

SPARE_THREADS = 8
"""Threads beyond `server.worker_threads` (which chats may all hold): password checks, file
copies, sweeps and example answers never wait for a chat to end."""


def create_app(
    config: str | Path | Bot,
    *,
    reload: bool = False,
    webui: WebUI | None = None,
    mcp: bool = False,
    mcp_sessions: bool = False,
) -> Litestar:
    """Build the app serving `config` (a config file path, or an already loaded Bot).

    With `reload`, a watcher reloads the config and the chat function's code when they change.
    With `mcp` (or the config's `mcp: true`), it serves the MCP endpoint too. `mcp_sessions`
    says the app is the one process serving the bot (as `chatserve serve` without `--workers`
    runs it): MCP clients then get sessions, unless the config says otherwise.
    """
    ensure_output()  # whichever server runs the app, and however it set up logging
    bot = config if isinstance(config, Bot) else load(config)
    server = bot.config.server
    shared = backends(bot.config, bot.data_dir())
    observe = observing(bot.config)
    files = FileStore(
        bot.data_dir(),
        bot.allowed_paths(),
        server.quotas.min_free_disk,
        records=shared.file_records(),
        bucket=shared.bucket,
    )
    holder = BotHolder(bot, webui or WebUI(), files, live=reload, database=shared.database)
    flag_stores = FlagStores(shared.flags(flagging_dir(bot.config, bot.folder)))
    services = Services(
        holder,
        _auth(bot, shared),
        Quotas(server.quotas),
        shared,
        flag_stores,
        conversations=shared.conversations(bot.data_dir()),
        watch=observe.watch,
    )
    endpoint = _mcp(bot, services, mcp_sessions) if mcp or bot.config.mcp else None
    app = LoggedLitestar(
        route_handlers=[
            *PAGES,
            chat_route(bot.config),
            upload_route(bot.largest_upload()),
            serve_file,
            events,
            flag,
            *conversation_routes(bot.config),
            login_page,
            log_in,
            log_out,
            *_oidc_routes(bot),
            *_openai_routes(bot),
            *observe.routes,
            *([endpoint.route()] if endpoint else []),
        ],
        state=State({"services": services}),
        dependencies=services.provide(),
        lifespan=[
            _worker_threads,
            _backends,
            _stores,
            example_answers,
            watching,
            sweeper,
            *observe.lifespan,
            *([endpoint.lifespan] if endpoint else []),
        ],
        middleware=observe.middleware,
        plugins=observe.plugins,
        before_request=_guard,
        cors_config=(
            CORSConfig(
                allow_origins=server.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
            if server.cors_origins
            else None
        ),
        after_request=security_headers,
        exception_handlers={HTTPException: error_response, Exception: error_response},
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title=bot.config.title or "chatserve",
            version=__version__,
            description="The HTTP API of a chatserve bot.",
            path=DOCS_PATH,
            servers=[Server(url=server.root_path or "/")],
            render_plugins=docs_plugins(),
            openapi_router=docs_router(),
        ),
        logging_config=None,
    )
    # Both before routing, so 404s pass them too; as wrappers of the whole app, not Litestar
    # middleware, which would add an exception handler layer to every send of every route.
    app.asgi_handler = FrontDoor(_root_path(server.root_path, app.asgi_handler), server)
    return app


def _openai_routes(bot: Bot) -> list[Router]:
    """`/v1/...` unless `api_name: false`; imported only then, to start bots without it sooner."""
    if bot.config.api_name is False:
        return []
    from chatserve.routes.openai import openai_router

    return [openai_router]


def check_mcp(config: Config) -> None:
    """ConfigError, at the key, for the MCP endpoint without the `mcp` extra installed."""
    require(config, [(("mcp",), "mcp")])


def _mcp(bot: Bot, services: Services, one_process: bool) -> MCPEndpoint:
    """The MCP endpoint (imported only when it is on: it needs the `mcp` extra)."""
    check_mcp(bot.config)
    from chatserve.routes.mcp import MCPEndpoint, sessions_on

    return MCPEndpoint(services, sessions=sessions_on(bot.config, one_process))


def _oidc_routes(bot: Bot) -> list[Any]:
    """The way in through the OpenID provider, for a config that has one (imported only
    then: it needs the `oidc` extra)."""
    auth = bot.config.server.auth
    if auth is None or auth.oidc is None:
        return []
    from chatserve.routes.oidc import finish_sign_in, start_sign_in

    return [start_sign_in, finish_sign_in]


def _auth(bot: Bot, shared: Backends) -> Auth | None:
    auth = bot.config.server.auth
    if auth is None:
        return None
    check_oidc(bot.config)
    return Auth(auth, bot.data_dir(), session_secret(bot.config), shared.database)


async def _guard(request: Request[Any, Any, State]) -> None:
    """Who is asking comes first (SPEC §6: everything but the open routes needs it), then
    whether the request is well-formed and same-site."""
    await authenticate(request)
    await check_request(request)


def _root_path(prefix: str, app: ASGIApp) -> ASGIApp:
    """`server.root_path` for servers started without one (`--root-path` wins), set as uvicorn
    sets its own: the path the proxy passed on, under the prefix it took off."""
    if not prefix:
        return app

    async def with_root_path(scope: Scope, receive: Receive, send: Send) -> None:
        if not scope.get("root_path") and scope["type"] in ("http", "websocket"):
            scope["root_path"] = prefix
            scope["path"] = prefix + scope["path"]
        await app(scope, receive, send)

    return with_root_path


@asynccontextmanager
async def _worker_threads(app: Litestar) -> AsyncIterator[None]:
    threads = app.state.services.holder.startup.server.worker_threads + SPARE_THREADS
    with ThreadPoolExecutor(threads, thread_name_prefix="chatserve-fn") as executor:
        app.state.services.executor = executor
        yield
        executor.shutdown(wait=False, cancel_futures=True)


@asynccontextmanager
async def _backends(app: Litestar) -> AsyncIterator[None]:
    """Connect to the database and bucket replicas share (if any) before serving."""
    shared = app.state.services.backends
    await asyncio.to_thread(shared.open)
    try:
        yield
    finally:
        await asyncio.to_thread(shared.close)


@asynccontextmanager
async def _stores(app: Litestar) -> AsyncIterator[None]:
    """Close the flag and conversation stores (their SQLite connections) when the app stops."""
    try:
        yield
    finally:
        app.state.services.flag_stores.close()
        app.state.services.conversations.close()
