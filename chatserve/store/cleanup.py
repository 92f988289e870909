"""`delete_cache`: remove old uploads, files the bot made and unused example answers.

Only `uploads/<id>`, `files/<id>`, `examples/<key>` and `registry/<id>.json` in the data dir are
ever deleted; the flag store, saved conversations and the files they show, and everything else
stay. Symlinks are removed, never followed,
so nothing outside the data dir can be deleted. With replicas, one of them at a time also
deletes the old records in the database and the files in the bucket they name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import stat
import time
from collections.abc import AsyncIterator, Set
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import msgspec
from litestar import Litestar

from chatserve.bot.load import flagging_dir
from chatserve.holder import BotHolder
from chatserve.store.conversations import Conversations
from chatserve.store.examples import LOCK
from chatserve.store.files import FileStore
from chatserve.tasks import running

logger = logging.getLogger("chatserve")


class _Record(msgspec.Struct):
    """The part of a `registry/<id>.json` record a sweep reads."""

    path: str


def sweep(
    data_dir: Path,
    age: float,
    *,
    keep: Set[str] = frozenset(),
    spared: Path | None = None,
    held: Set[Path] = frozenset(),
) -> int:
    """Delete what in `data_dir` was last modified over `age` seconds ago; returns how many
    files (registry records included) went.

    An `<id>` or `<key>` folder counts as old only when everything in it is. `keep` names the
    `examples/<key>` folders still in use, `held` the `uploads/` and `files/` entries saved
    conversations show; nothing inside `spared` (the flag store) is deleted.
    """
    root = data_dir.resolve()
    spared = spared.resolve() if spared else None
    cutoff = time.time() - age
    deleted, gone = 0, set()
    for entry in [*_listing(root / "uploads"), *_listing(root / "files")]:
        if entry not in held and _newest(entry) < cutoff:
            deleted += _delete(entry, spared)
            if not os.path.lexists(entry):
                gone.add(entry.name)
    for entry in _listing(root / "examples"):
        if entry.name not in {*keep, LOCK} and _newest(entry) < cutoff:
            deleted += _delete(entry, spared)
    for record in _listing(root / "registry"):
        if record.suffix != ".json":
            continue
        if record.stem in gone or (_newest(record) < cutoff and not _names_a_file(record)):
            deleted += _delete(record, spared)
    return deleted


@asynccontextmanager
async def sweeper(app: Litestar) -> AsyncIterator[None]:
    """The app's sweeps, in a worker thread, while it runs."""
    services = app.state.services
    async with running(
        sweep_while_serving(services.holder, services.executor, services.conversations)
    ):
        yield


def _examples_in_use(holder: BotHolder) -> set[str]:
    """The `examples/<key>` folders of the bot being served: sweeps keep them."""
    examples = holder.current.examples
    return examples.keys() if examples is not None else set()


async def sweep_while_serving(
    holder: BotHolder, executor: Executor, conversations: Conversations
) -> None:
    """Sweep at once, then every `frequency` seconds, until cancelled.

    `delete_cache` is read anew whenever the bot is reloaded: a new frequency counts from the
    last sweep, and null stops the sweeps until it is set again.
    """
    last = -math.inf
    while True:
        changed = holder.changed
        setting = holder.current.bot.config.delete_cache
        wait = None if setting is None else last + setting[0] - time.monotonic()
        if wait is None or wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
            continue
        last = time.monotonic()
        keep = _examples_in_use(holder)
        await _sweep_now(holder, executor, conversations, keep, age=setting[1])


async def _sweep_now(
    holder: BotHolder, executor: Executor, conversations: Conversations, keep: Set[str], age: int
) -> None:
    """One sweep in a worker thread, logged when it deleted something."""
    bot = holder.current.bot
    data_dir = holder.files.data_dir  # where this server keeps files, even if a reload moved it
    spared = flagging_dir(bot.config, bot.folder)
    job = partial(_sweep_all, holder.files, conversations, age, keep=keep, spared=spared)
    shown = _shown(data_dir, bot.folder)
    try:
        deleted = await asyncio.get_running_loop().run_in_executor(executor, job)
    except Exception:  # a bug of ours must not end the sweeps
        logger.exception("Deleting old files from %s failed", shown)
    else:
        if deleted:
            logger.info("Deleted %d old file(s) from %s", deleted, shown)


def _sweep_all(
    files: FileStore, conversations: Conversations, age: float, *, keep: Set[str], spared: Path
) -> int:
    """This data dir's sweep, and (with replicas) the shared records' and bucket's; the files
    saved conversations show stay."""
    held = files.folders(conversations.file_ids())
    return sweep(files.data_dir, age, keep=keep, spared=spared, held=held) + files.expire(age)


def _listing(folder: Path) -> list[Path]:
    """The entries of one of the swept folders; none if it is missing or a symlink."""
    try:
        return list(folder.iterdir()) if stat.S_ISDIR(folder.lstat().st_mode) else []
    except FileNotFoundError:
        return []


def _newest(path: Path) -> float:
    """The latest modification time of `path` and everything in it, symlinks not followed."""
    try:
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode):
            return info.st_mtime
        return max([info.st_mtime, *(_newest(child) for child in path.iterdir())])
    except OSError:
        return math.inf  # deleted meanwhile, or unreadable: leave it


def _delete(path: Path, spared: Path | None) -> int:
    """Delete a file, a symlink (never its target) or a folder tree; the files deleted."""
    if spared is not None and path.is_relative_to(spared):
        return 0
    try:
        if not stat.S_ISDIR(path.lstat().st_mode):
            path.unlink()
            return 1
        children = list(path.iterdir())
    except OSError as exc:
        _failed(path, exc)
        return 0
    deleted = sum(_delete(child, spared) for child in children)
    if spared is None or not spared.is_relative_to(path):
        try:
            path.rmdir()
        except OSError as exc:
            _failed(path, exc)
    return deleted


def _failed(path: Path, exc: OSError) -> None:
    if not isinstance(exc, FileNotFoundError):  # else deleted meanwhile: by another worker, say
        logger.warning("Could not delete %s: %s", path, exc.strerror or exc)


def _names_a_file(record: Path) -> bool:
    """Whether the file a registry record names still exists."""
    try:
        return Path(msgspec.json.decode(record.read_bytes(), type=_Record).path).is_file()
    except (OSError, msgspec.DecodeError):
        return False


def _shown(data_dir: Path, folder: Path) -> str:
    """The data dir as the config names it: relative to the config's folder when inside it."""
    try:
        return str(data_dir.relative_to(folder))
    except ValueError:
        return str(data_dir)
