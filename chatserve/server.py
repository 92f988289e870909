"""Run a bot under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from chatserve.app import create_app
from chatserve.bot import load


def run(config: str | Path, *, host: str | None = None, port: int | None = None) -> None:
    """Load `config` (raising ConfigError before anything listens) and serve it until stopped."""
    bot = load(config)
    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(message)s")
    server = bot.config.server
    uvicorn.run(
        create_app(bot),
        host=host or server.host,
        port=server.port if port is None else port,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
