"""The one piece of mutable state: which bot is being served right now."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from chatserve.bot import Bot
from chatserve.webui import Asset, WebUI


@dataclass(frozen=True)
class Served:
    """A bot and the responses derived from it, built once per load."""

    bot: Bot
    page: Asset
    public_config: bytes


class BotHolder:
    """Holds the current `Served`; replacing it is a single assignment.

    Handlers read `current` once per request, so a running stream keeps the bot it started with.
    """

    def __init__(self, bot: Bot, webui: WebUI) -> None:
        self.webui = webui
        self.current = self._serve(bot)

    def replace(self, bot: Bot) -> None:
        self.current = self._serve(bot)

    def _serve(self, bot: Bot) -> Served:
        return Served(bot, self.webui.page(bot), msgspec.json.encode(bot.public_config()))
