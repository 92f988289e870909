"""Live reload: watch the config and the chat function's code, swap the bot when they change.

The watcher never stops on a bad edit: it reports the problems, keeps the last good bot
serving, and waits for the next save. Loading runs in a worker thread, because importing the
user's module runs the user's code.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from watchfiles import Change, awatch

from chatserve.bot.load import Bot, load
from chatserve.errors import ConfigError, Problem
from chatserve.holder import BotHolder

logger = logging.getLogger("chatserve")

STEP_MS = 20
"""A batch of changes is handled once the files were quiet this long (editors save in bursts)."""

DEBOUNCE_MS = 500
"""A stream of changes is handled at least this often, even if it never goes quiet."""


class Reloader:
    """Watches the folders of a bot's config and code, and reloads it into a holder."""

    def __init__(self, holder: BotHolder, path: Path, executor: Executor) -> None:
        self.holder = holder
        self.path = path
        self.executor = executor

    def folders(self) -> set[Path]:
        """The folders of the config, the chat function's module and the files the config names."""
        folders = {self.path.resolve().parent, *(path.parent for path in self.named_files())}
        module = sys.modules.get(getattr(self.holder.current.bot.fn, "__module__", ""))
        if module is not None and getattr(module, "__file__", None):
            folders.add(Path(module.__file__).resolve().parent)
        return folders

    def named_files(self) -> set[Path]:
        """Files the current config reads: `css_paths`, `head_paths`, avatars, example icons."""
        bot = self.holder.current.bot
        return {(bot.folder / name).resolve() for _, name in bot.config.named_files()}

    async def run(self, stop: asyncio.Event) -> None:
        """Reload on every relevant change until `stop` is set."""
        while not stop.is_set():
            folders = self.folders()
            async for _ in awatch(
                *folders,
                watch_filter=self._relevant,
                step=STEP_MS,
                debounce=DEBOUNCE_MS,
                stop_event=stop,
                recursive=False,
            ):
                await self.reload()
                if self.folders() != folders:
                    break  # the code or a named file moved: watch the new folders

    async def reload(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            bot = await loop.run_in_executor(self.executor, fresh_load, self.path)
        except ConfigError as exc:
            self._failed(exc.problems)
        except Exception:  # a bug of ours must not end the watcher
            logger.exception("Reloading %s failed", self.path)
            self._failed([Problem(str(self.path), 1, 1, "", "reload failed: see the log")])
        else:
            self.holder.replace(bot)
            logger.info("Reloaded %s (revision %d)", self.path, self.holder.current.revision)

    def _failed(self, problems: list[Problem]) -> None:
        self.holder.fail(problems)
        for problem in problems:
            logger.error("%s", problem)
        logger.error("Still serving revision %d.", self.holder.current.revision)

    def _relevant(self, change: Change, name: str) -> bool:
        path = Path(name)
        return (
            path.name == self.path.name
            or path.suffix == ".py"
            or path.resolve() in self.named_files()
        )


def fresh_load(path: Path) -> Bot:
    """Load the config again, importing the user's modules anew (not from `sys.modules`)."""
    folder = path.resolve().parent
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if location and _is_user_code(Path(location).resolve(), folder):
            del sys.modules[name]
    return load(path)


def _is_user_code(location: Path, folder: Path) -> bool:
    """A module of the bot's own, below the config's folder; never an installed package."""
    installed = (Path(sys.prefix), Path(sys.base_prefix), Path(__file__).resolve().parent)
    return (
        location.is_relative_to(folder)
        and not any(location.is_relative_to(root) for root in installed)
        and not {"site-packages", "dist-packages"} & set(location.parts)
    )


@asynccontextmanager
async def watching(app: Litestar) -> AsyncIterator[None]:
    """The app's watcher while it runs, when it was made with live reload."""
    holder, executor = app.state.services.holder, app.state.services.executor
    if not holder.live:
        yield
        return
    stop = asyncio.Event()
    reloader = Reloader(holder, holder.current.bot.path, executor)
    task = asyncio.create_task(reloader.run(stop))
    try:
        yield
    finally:
        holder.close()
        stop.set()
        await task
