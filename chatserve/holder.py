"""The one piece of mutable state: which bot is being served right now, and what went wrong
with the config on disk since."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chatserve.bot.load import Bot
from chatserve.bot.queue import Line
from chatserve.bot.runner import GENERATOR, SYNC
from chatserve.config.models import Config
from chatserve.errors import Problem
from chatserve.served import Served, build
from chatserve.store.files import FileStore
from chatserve.store.shared.postgres import Postgres
from chatserve.ui.bundle import WebUI

logger = logging.getLogger("chatserve")


def restart_only(config: Config) -> tuple[Any, ...]:
    """The settings the running app cannot change: they shape its routes and its listener."""
    return config.server, config.api_name, config.mcp


def slots(bot: Bot, threads: int) -> int | None:
    """How many chats may run at once: `concurrency_limit`, and no more than the worker
    `threads` for a chat function that holds one for its whole run (not `async`)."""
    limit = bot.config.concurrency_limit
    if bot.kind not in (SYNC, GENERATOR):
        return limit
    return threads if limit is None else min(limit, threads)


class BotHolder:
    """Holds the current `Served`; a reload replaces it in a single assignment.

    Handlers read `current` once per request, so a running stream keeps the bot it started
    with. `changed` is set (and replaced) whenever `current` or `problems` change.
    """

    def __init__(
        self,
        bot: Bot,
        webui: WebUI,
        files: FileStore,
        *,
        live: bool = False,
        database: Postgres | None = None,
    ) -> None:
        self.startup = bot.config
        """The config the app was built from: its routes and `server:` settings stay until a
        restart."""
        self.webui = webui
        self.files = files
        self.live = live
        """Whether a watcher reloads the config (and `/api/events` reports it)."""
        self.database = database
        self.line = Line(slots(bot, self.startup.server.worker_threads))
        self.problems: list[Problem] = []
        self.closing = False
        self.changed = asyncio.Event()
        self.current = self._serve(bot, revision=1)

    def replace(self, bot: Bot) -> None:
        """Serve a newly loaded bot; chats already running keep the old one."""
        self.line.resize(slots(bot, self.startup.server.worker_threads))
        if restart_only(bot.config) != restart_only(self.startup):
            logger.warning(
                "`server:`, `api_name` and `mcp` changes take effect when the server restarts."
            )
        self.problems = []
        self.current = self._serve(bot, revision=self.current.revision + 1)
        self._notify()

    def fail(self, problems: list[Problem]) -> None:
        """The config on disk is broken; the current bot keeps serving."""
        self.problems = problems
        self._notify()

    def close(self) -> None:
        """The server is stopping: let long-lived event streams end."""
        self.closing = True
        self._notify()

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def _serve(self, bot: Bot, revision: int) -> Served:
        return build(
            bot,
            revision,
            webui=self.webui,
            files=self.files,
            startup=self.startup,
            live=self.live,
            database=self.database,
        )
