"""The one piece of mutable state: which bot is being served right now."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from chatserve.bot import Bot
from chatserve.files import FileStore
from chatserve.queue import Line
from chatserve.webui import Asset, WebUI


@dataclass(frozen=True)
class Served:
    """A bot and what is derived from it, built once per load."""

    bot: Bot
    page: Asset
    public_config: bytes
    line: Line


class BotHolder:
    """Holds the current `Served`; replacing it is a single assignment.

    Handlers read `current` once per request, so a running stream keeps the bot it started with.
    """

    def __init__(self, bot: Bot, webui: WebUI, files: FileStore) -> None:
        self.webui = webui
        self.files = files
        self.current = self._serve(bot)

    def _serve(self, bot: Bot) -> Served:
        config = bot.public_config(self.files)
        return Served(
            bot,
            self.webui.page(config),
            msgspec.json.encode(config),
            Line(bot.config.concurrency_limit),
        )
