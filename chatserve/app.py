"""Assemble the Litestar app for a bot: routes, security, error bodies, and the worker threads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Server
from litestar.params import FromPath
from litestar.types import ASGIApp, Receive, Scope, Send

from chatserve import __version__
from chatserve.accesslog import LoggedLitestar
from chatserve.auth import Auth, authenticate, sign_in_first
from chatserve.bot import Bot, load
from chatserve.chat import chat_route
from chatserve.cleanup import sweep_while_serving
from chatserve.clients import client_id, new_client_cookie
from chatserve.completions import openai_router
from chatserve.docs import DOCS_PATH, docs_plugins, docs_router
from chatserve.events import events
from chatserve.examplecache import compute
from chatserve.fileroutes import serve_file, upload_route
from chatserve.files import FileStore
from chatserve.flagging import flag
from chatserve.flagstore import FlagStores
from chatserve.frontdoor import FrontDoor
from chatserve.holder import BotHolder
from chatserve.httperrors import client_error
from chatserve.login import log_in, log_out, login_page
from chatserve.logs import escape_log_lines
from chatserve.quotas import Quotas
from chatserve.reload import Reloader
from chatserve.security import check_request, security_headers
from chatserve.served import Served
from chatserve.webui import Asset, WebUI
from chatserve.wire import MAX_BODY_BYTES

logger = logging.getLogger("chatserve")

MAX_WORKER_THREADS = 256
"""Sync chat functions running at once; each holds one thread for its whole run."""


def create_app(
    config: str | Path | Bot, *, reload: bool = False, webui: WebUI | None = None
) -> Litestar:
    """Build the app serving `config` (a config file path, or an already loaded Bot).

    With `reload`, a watcher reloads the config and the chat function's code when they change.
    """
    escape_log_lines()  # whichever server runs the app, and however it set up logging
    bot = config if isinstance(config, Bot) else load(config)
    files = FileStore(bot.data_dir(), bot.allowed_paths(), bot.config.server.quotas.min_free_disk)
    holder = BotHolder(bot, webui or WebUI(), files, live=reload)
    server = bot.config.server
    app = LoggedLitestar(
        route_handlers=[
            index,
            public_config,
            healthz,
            asset,
            chat_route(bot.config),
            upload_route(bot.max_file_size()),
            serve_file,
            events,
            flag,
            login_page,
            log_in,
            log_out,
            *([openai_router] if bot.config.api_name is not False else []),
        ],
        state=State(
            {
                "holder": holder,
                "flag_stores": FlagStores(),
                "auth": _auth(bot),
                "quotas": Quotas(server.quotas),
            }
        ),
        lifespan=[_worker_threads, _flag_stores, _example_answers, _watcher, _sweeper],
        before_request=_guard,
        middleware=[partial(_root_path, server.root_path)],
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
        exception_handlers={HTTPException: _error_response, Exception: _error_response},
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
    app.asgi_handler = FrontDoor(app.asgi_handler, server)  # before routing: 404s too
    return app


def _auth(bot: Bot) -> Auth | None:
    auth = bot.config.server.auth
    return None if auth is None else Auth(auth, bot.data_dir())


async def _guard(request: Request[Any, Any, State]) -> None:
    """Who is asking comes first (SPEC §6: everything but the open routes needs it), then
    whether the request is well-formed and same-site."""
    await authenticate(request)
    await check_request(request)


def _root_path(prefix: str, app: ASGIApp) -> ASGIApp:
    """`server.root_path` for servers started without one (`--root-path` wins)."""

    async def with_root_path(scope: Scope, receive: Receive, send: Send) -> None:
        if prefix and not scope.get("root_path"):
            scope["root_path"] = prefix
        await app(scope, receive, send)

    return with_root_path


@asynccontextmanager
async def _worker_threads(app: Litestar) -> AsyncIterator[None]:
    with ThreadPoolExecutor(MAX_WORKER_THREADS, thread_name_prefix="chatserve-fn") as executor:
        app.state.executor = executor
        yield
        executor.shutdown(wait=False, cancel_futures=True)


@asynccontextmanager
async def _flag_stores(app: Litestar) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app.state.flag_stores.close()


@asynccontextmanager
async def _watcher(app: Litestar) -> AsyncIterator[None]:
    holder: BotHolder = app.state.holder
    if not holder.live:
        yield
        return
    stop = asyncio.Event()
    reloader = Reloader(holder, holder.current.bot.path, app.state.executor)
    task = asyncio.create_task(reloader.run(stop))
    try:
        yield
    finally:
        holder.close()
        stop.set()
        await task


@asynccontextmanager
async def _example_answers(app: Litestar) -> AsyncIterator[None]:
    """`cache_mode: eager`: the answers are computed before the server takes requests, and
    again in the background after each reload."""
    holder: BotHolder = app.state.holder
    await _compute_eager(holder.current, app.state.executor)
    async with _running(_recompute_after_reloads(holder, app.state.executor)):
        yield


async def _recompute_after_reloads(holder: BotHolder, executor: ThreadPoolExecutor) -> None:
    revision = holder.current.revision
    while not holder.closing:
        if holder.current.revision == revision:
            await holder.changed.wait()
            continue
        revision = holder.current.revision
        await _compute_eager(holder.current, executor)


async def _compute_eager(served: Served, executor: ThreadPoolExecutor) -> None:
    if served.examples is not None and served.examples.mode == "eager":
        await compute(served.examples, executor)


@asynccontextmanager
async def _sweeper(app: Litestar) -> AsyncIterator[None]:
    """`delete_cache`: sweeps the data dir in a worker thread while the server runs."""
    holder: BotHolder = app.state.holder
    sweeps = sweep_while_serving(holder, app.state.executor, partial(_examples_in_use, holder))
    async with _running(sweeps):
        yield


@asynccontextmanager
async def _running(background: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `background` as a task while the server runs; cancel it on shutdown."""
    task = asyncio.create_task(background)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def _examples_in_use(holder: BotHolder) -> set[str]:
    """The `examples/<key>` folders of the bot being served: sweeps keep them."""
    examples = holder.current.examples
    return examples.keys() if examples is not None else set()


@get("/", include_in_schema=False)
async def index(request: Request[Any, Any, State]) -> Response[bytes]:
    served = request.app.state.holder.current
    response = _send(request, served.page, {"Content-Security-Policy": served.csp})
    if client_id(request) is None:
        response.set_cookie(new_client_cookie(request))
    return response


@get("/assets/{name:path}", include_in_schema=False)
async def asset(request: Request[Any, Any, State], name: FromPath[str]) -> Response[bytes]:
    holder = request.app.state.holder
    if name == "/custom.js" and holder.current.custom_js is not None:
        return _send(request, holder.current.custom_js, {})  # changes with the config
    found = holder.webui.assets.get(f"assets{name}")
    if found is None:
        raise NotFoundException(f"No asset named {name.lstrip('/')!r}.")
    return _send(request, found, {"Cache-Control": "public, max-age=31536000, immutable"})


@get("/api/config", summary="Public config", description="What the web UI renders from.")
async def public_config(request: Request[Any, Any, State]) -> Response[bytes]:
    return Response(request.app.state.holder.current.public_config, media_type="application/json")


@get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _send(
    request: Request[Any, Any, Any], asset: Asset, headers: dict[str, str]
) -> Response[bytes]:
    headers = {
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "Cache-Control": "no-cache",
        **headers,
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error as `{"error": {"message": ...}}`; details of unexpected ones stay in the log."""
    if isinstance(exc, NotAuthorizedException):
        redirect = sign_in_first(request)
        if redirect is not None:
            return redirect
    error = client_error(request, exc)
    if error is None:
        logger.error("Unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        error = HTTPException(status_code=500, detail="Internal server error.")
    body = {"error": {"message": error.detail}}
    return Response(body, status_code=error.status_code, headers=error.headers)
