"""Run a bot under uvicorn: one process with live reload, or several workers without."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar

from chatserve.app import create_app
from chatserve.bot import load

CONFIG_VARIABLE = "CHATSERVE_CONFIG"
"""How `--workers` processes learn which config to serve."""


def run(
    config: str | Path,
    *,
    host: str | None = None,
    port: int | None = None,
    reload: bool = True,
    workers: int = 1,
) -> None:
    """Load `config` (raising ConfigError before anything listens) and serve it until stopped."""
    bot = load(config)
    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected" is noise
    server = bot.config.server
    options: dict[str, Any] = {
        "host": host or server.host,
        "port": server.port if port is None else port,
        "log_level": "info",
        "access_log": False,  # chatserve writes its own, with durations
        "root_path": server.root_path,
        "proxy_headers": bool(server.forwarded_allow_ips),
        "forwarded_allow_ips": server.forwarded_allow_ips or None,
        "timeout_graceful_shutdown": 5,
    }
    if workers > 1:
        os.environ[CONFIG_VARIABLE] = str(Path(config).resolve())
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, **options)
        return
    app = create_app(bot, reload=reload)
    _Server(uvicorn.Config(app, **options), app).run()


def worker_app() -> Litestar:
    """The app of one `--workers` process."""
    return create_app(os.environ[CONFIG_VARIABLE])


class _Server(uvicorn.Server):
    """Ends live-reload event streams at once on shutdown instead of waiting them out."""

    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: Any) -> None:
        with contextlib.suppress(RuntimeError):  # no loop yet: nothing is streaming
            asyncio.get_running_loop().call_soon_threadsafe(self.app.state.holder.close)
        super().handle_exit(sig, frame)
