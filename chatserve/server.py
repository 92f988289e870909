"""Run a bot under uvicorn: one process with live reload, or several workers without."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from functools import partial
from pathlib import Path
from typing import Any

import h11
import uvicorn
from litestar import Litestar
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 only
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from chatserve.app import check_mcp, create_app
from chatserve.bot.load import load
from chatserve.logs import FORMAT_VARIABLE, LEVEL_VARIABLE, configure
from chatserve.observe import check as check_extras
from chatserve.security.auth import check_oidc
from chatserve.store.shared.backends import reach

logger = logging.getLogger("chatserve")

WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::"})

FINAL_EVENTS = 2.0
"""Seconds chats cut short at the end of `server.shutdown_grace` have to send their last events."""

CONFIG_VARIABLE = "CHATSERVE_CONFIG"
"""How `--workers` processes learn which config to serve."""

MCP_VARIABLE = "CHATSERVE_MCP"
"""How `--workers` processes learn of `--mcp` (also the option's own variable)."""


def run(
    config: str | Path,
    *,
    host: str | None = None,
    port: int | None = None,
    reload: bool = True,
    workers: int = 1,
    loop: str = "auto",
    http: str = "auto",
    log_level: str = "info",
    log_format: str = "text",
    mcp: bool = False,
) -> None:
    """Load `config` and reach its database and bucket (raising ConfigError before anything
    listens), then serve it until stopped.

    `loop` and `http` are uvicorn's: `auto` is uvloop and httptools' parser when installed.
    The log (uvicorn's lines too) is written at `log_level` in `log_format` (`text`, `json`).
    `mcp` serves the MCP endpoint whatever the config's `mcp` says."""
    bot = load(config)
    check_extras(bot.config)  # before `--workers` processes would each fail on it
    check_oidc(bot.config)
    if mcp or bot.config.mcp:
        check_mcp(bot.config)
    reach(bot.config, bot.data_dir())  # a wrong database URL is a config problem, not a crash
    configure(log_level, log_format)
    server = bot.config.server
    host = host or server.host
    if host in WILDCARD_ADDRESSES and not server.allowed_hosts:
        logger.warning(
            "Listening on every interface (%s): requests must name this server by IP address "
            "or localhost; list the host names clients use in server.allowed_hosts.",
            host,
        )
    options: dict[str, Any] = {
        "host": host,
        "port": server.port if port is None else port,
        "log_level": log_level,
        "log_config": None,  # uvicorn's lines go through the handler `configure` set up
        "access_log": False,  # chatserve writes its own, with durations
        "root_path": server.root_path,
        "proxy_headers": False,  # the app believes server.forwarded_allow_ips itself
        "loop": loop,
        "http": partial(http_protocol(http), head_timeout=server.read_timeout),
        # Chats get `shutdown_grace` to end; then a moment to send their final events.
        "timeout_graceful_shutdown": server.shutdown_grace + FINAL_EVENTS,
    }
    if workers > 1:  # each worker builds its app, and sets up its log, from these
        os.environ[CONFIG_VARIABLE] = str(Path(config).resolve())
        os.environ[LEVEL_VARIABLE], os.environ[FORMAT_VARIABLE] = log_level, log_format
        os.environ[MCP_VARIABLE] = "1" if mcp else ""
        # A worker computing eager example answers, or starting on a busy machine, takes more
        # than uvicorn's 5 s to be ready: it would be killed and started again forever.
        options["timeout_worker_healthcheck"] = 60
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, **options)
        return
    app = lasting(create_app(bot, reload=reload, mcp=mcp, mcp_sessions=True))
    _Server(uvicorn.Config(app, **options), app).run()


def worker_app() -> Litestar:
    """The app of one `--workers` process."""
    return lasting(create_app(os.environ[CONFIG_VARIABLE], mcp=bool(os.environ.get(MCP_VARIABLE))))


YOUNG_OBJECTS = 20_000
"""Allocations between collections of the youngest generation (Python's default: 700)."""


def lasting(app: Litestar) -> Litestar:
    """`app`, with every object made so far (modules, the app, the bot) moved out of the
    garbage collector's sight: they live as long as the process, and walking them in each full
    collection stalled every stream at once for tens of milliseconds under load.

    The collector then runs less often: a server allocates a few objects per token, nearly all
    freed at once by reference counting, and collecting every 700 cost ~7% of a paced stream's
    CPU."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    return app


class _Server(uvicorn.Server):
    """On shutdown, ends live-reload event streams at once instead of waiting them out, and
    gives running chats `server.shutdown_grace` seconds before closing them."""

    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: Any) -> None:
        with contextlib.suppress(RuntimeError):  # no loop yet: nothing is streaming
            asyncio.get_running_loop().call_soon_threadsafe(self.app.state.services.holder.close)
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        services = self.app.state.services
        grace = services.holder.startup.server.shutdown_grace
        asyncio.get_running_loop().call_later(grace, services.chats.cut_short)
        await super().shutdown(sockets)


class _HeadDeadline:
    """Closes a connection whose request head takes longer than `head_timeout` seconds to
    arrive (counted from the connection, or the last response): trickling a header byte at a
    time cannot hold a connection open (slowloris). Mixed in before one of uvicorn's HTTP/1.1
    protocols, which says when a head is awaited (`_awaiting_head`) and when one is in."""

    head_deadline: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def __init__(self, *args: Any, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = head_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._expect_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_in()
        super().connection_lost(exc)  # type: ignore[misc]

    def _awaiting_head(self) -> bool:
        raise NotImplementedError

    def _expect_head(self) -> None:
        self._head_in()
        if self._awaiting_head():  # else a pipelined request's head is already in
            self.head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _head_in(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if self._awaiting_head() and not self.transport.is_closing():
            self.transport.close()


class H11HeadersInTime(_HeadDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's head."""

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._awaiting_head():
            self._head_in()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._expect_head()


if HttpToolsProtocol is not None:

    class HttpToolsHeadersInTime(_HeadDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol (its C parser) with a deadline for each request's head."""

        head_pending = True

        def _awaiting_head(self) -> bool:
            return self.head_pending

        def on_headers_complete(self) -> None:
            self.head_pending = False
            self._head_in()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.pipeline:  # a pipelined request's head is in already
                self.head_pending = True
                self._expect_head()


def http_protocol(name: str) -> type[asyncio.Protocol]:
    """The HTTP/1.1 protocol for uvicorn's `http` option (`auto`, `h11` or `httptools`), with
    the head deadline: `auto` is httptools' parser when it is installed, else h11's."""
    if name == "h11" or (name == "auto" and HttpToolsProtocol is None):
        return H11HeadersInTime
    return HttpToolsHeadersInTime
