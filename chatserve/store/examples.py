"""`cache_examples`: each example's answer computed once and kept on disk.

An answer lives in `<data dir>/examples/<key>/`: `answer.json` (the messages and outputs, as
the chat endpoint sends them) and copies of the files they show. With replicas, also in the
bucket (`answer.json` written last, so it names files that are there), from which the other
replicas fetch it; one replica at a time computes answers. The key hashes the example
(its text, the content of its files, the inputs' values), the parts of the config that shape
the answer and the source of the chat function's module, so editing any of them leads to a
new key: the old answer is never shown again, and `delete_cache` may remove it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from filelock import FileLock
from litestar import Litestar

from chatserve.bot.load import Bot, example_files
from chatserve.bot.replies import file_refs
from chatserve.bot.request import Request
from chatserve.bot.runner import ASYNC_GENERATOR, GENERATOR
from chatserve.config.checks import example_message
from chatserve.errors import Error
from chatserve.progress import progress_bar
from chatserve.store.digests import file_sha256, sha256_hex
from chatserve.store.files import FileStore, new_id
from chatserve.tasks import running
from chatserve.turn import Arguments, Turn

if TYPE_CHECKING:
    from chatserve.holder import BotHolder
    from chatserve.served import Served
    from chatserve.store.shared.postgres import Postgres

logger = logging.getLogger("chatserve")

FORMAT = 1
"""Bumped when `answer.json` changes shape, so older answers are recomputed."""

ANSWER = "answer.json"
LOCK = ".lock"
TURN_WAIT = 24 * 3600.0
"""Seconds to wait while another process computes answers before giving up."""
"""In the examples folder: held by the worker process computing answers."""


@dataclass(frozen=True)
class Answer:
    """A cached answer; `streamed` when the chat function is a generator (replayed as one)."""

    messages: list[dict[str, Any]]
    outputs: list[Any]
    streamed: bool

    def frames(self, count: int = 20) -> Iterator[list[dict[str, Any]]]:
        """The reply as a replay shows it: all at once, or (`streamed`) `count` growing
        prefixes of its text, the last one the whole reply."""
        if not self.streamed:
            yield self.messages
            return
        total = sum(len(m["content"]) for m in self.messages if isinstance(m["content"], str))
        for step in range(1, count + 1):
            budget = total * step // count
            frame = []
            for message in self.messages:
                content = message["content"]
                if isinstance(content, str):
                    shown, budget = content[:budget], budget - min(budget, len(content))
                    frame.append({**message, "content": shown})
                    if len(shown) < len(content):
                        break
                else:
                    frame.append(message)
            yield frame


@dataclass
class Example:
    """One example: the arguments the chat function gets for it, and its cache key."""

    index: int
    message: Any
    inputs: list[Any]
    key: str
    label: str
    answer: Answer | None = field(default=None, repr=False)


class ExampleCache:
    """The cached answers of one loaded bot's examples."""

    def __init__(self, bot: Bot, files: FileStore, database: Postgres | None = None) -> None:
        self.bot = bot
        self.files = files
        self.database = database
        self.folder = files.data_dir / "examples"
        self.mode = bot.config.cache_mode
        self.streamed = bot.kind in (GENERATOR, ASYNC_GENERATOR)
        self.examples = list(_examples(bot))
        self.ready = self.mode != "eager"
        """Whether the answers eager mode computes at start (and after a reload) are done."""
        self._by_call = {_call_key(e.message, e.inputs): e for e in self.examples}

    def keys(self) -> set[str]:
        """The `examples/<key>` folders this bot uses."""
        return {example.key for example in self.examples}

    def match(self, message: Any, inputs: list[Any]) -> Example | None:
        """The example a first message (with these inputs) is, if it is one."""
        return self._by_call.get(_call_key(message, inputs))

    def answer(self, example: Example) -> Answer | None:
        """The example's answer if cached: from memory, else from disk (a previous run)."""
        if example.answer is None:
            example.answer = self._read(example)
        return example.answer

    @asynccontextmanager
    async def computing(self) -> AsyncIterator[None]:
        """Held while answers are computed: by one worker process at a time (a lock file)
        and, with replicas, by one replica at a time (an advisory lock)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # Taken in a worker thread, released on the loop; a finite wait, since filelock treats
        # an endless one on a lock its own process holds as a deadlock (another cache's turn).
        lock = FileLock(self.folder / LOCK, timeout=TURN_WAIT, thread_local=False)
        await asyncio.to_thread(lock.acquire)
        try:
            if self.database is None:
                yield
                return
            held = self.database.lock("examples")
            await asyncio.to_thread(held.__enter__)
            try:
                yield
            finally:
                await asyncio.to_thread(held.__exit__, None, None, None)
        finally:
            lock.release()

    def store(
        self, example: Example, owner: str | None, messages: list[Any], outputs: list[Any]
    ) -> None:
        """Keep a finished answer: the files it shows are copied beside it, so it outlives
        the run's files. Another process storing the same answer at once is harmless."""
        final = self.folder / example.key
        if final.exists() or self._fetched(final) is not None:  # here, or another replica's
            return
        partial = self.folder / f".{example.key}.{new_id()}"
        (partial / "files").mkdir(parents=True)
        try:
            copied = _with_files_copied((messages, outputs), self.bot, self.files, owner, partial)
            body = {"format": FORMAT, "example": example.index, "streamed": self.streamed}
            body.update(messages=copied[0], outputs=copied[1])
            (partial / ANSWER).write_bytes(msgspec.json.encode(body))
            os.rename(partial, final)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            if not final.exists():
                raise
        if self.files.bucket is not None:
            kept = sorted(final.rglob("*"), key=lambda path: path.name == ANSWER)  # it last
            for path in kept:
                if path.is_file():
                    self.files.bucket.put(self._key(path), path)

    def _read(self, example: Example) -> Answer | None:
        folder = self.folder / example.key
        try:
            body = msgspec.json.decode((folder / ANSWER).read_bytes())
        except (OSError, msgspec.DecodeError):
            body = self._fetched(folder)
        if body is None or body.get("format") != FORMAT:
            return None
        messages, outputs = _with_files_served(
            [body["messages"], body["outputs"]], self.files, folder
        )
        return Answer(messages, outputs, bool(body["streamed"]))

    def _fetched(self, folder: Path) -> dict[str, Any] | None:
        """An answer another replica stored, fetched from the bucket with its files; None if
        there is none."""
        bucket = self.files.bucket
        answer = None if bucket is None else bucket.local(self._key(folder / ANSWER))
        if bucket is None or answer is None:
            return None
        try:
            body = msgspec.json.decode(answer.read_bytes())
            for kept in _cached_files(body):
                if bucket.local(self._key(folder / kept)) is None:
                    raise OSError(f"the bucket has no {kept}")
        except (OSError, msgspec.DecodeError):
            shutil.rmtree(folder, ignore_errors=True)  # fetched again, whole, next time
            return None
        return body

    def _key(self, path: Path) -> str:
        return path.relative_to(self.files.data_dir).as_posix()


async def compute(cache: ExampleCache, executor: Executor) -> None:
    """Compute every answer not cached yet (`cache_mode: eager`), showing progress.

    Worker processes (and replicas) take turns, so each answer is computed once.
    A failing example is logged and left to be computed when clicked.
    """
    async with cache.computing():
        missing = [example for example in cache.examples if cache.answer(example) is None]
        cache.ready = not missing
        if not missing:
            return
        with _progress(len(missing)) as advance:
            for example in missing:
                try:
                    messages, outputs = await _run(cache, example, executor)
                    await asyncio.to_thread(cache.store, example, None, messages, outputs)
                    cache.answer(example)
                except Error as exc:
                    logger.warning("Example %d was not cached: %s", example.index + 1, exc.message)
                except Exception:
                    logger.exception("Example %d was not cached", example.index + 1)
                advance(example.label)
        cache.ready = True  # failed ones included: they are computed when clicked


async def _run(cache: ExampleCache, example: Example, executor: Executor) -> tuple[Any, Any]:
    """The example's answer, computed outside the line of chats (there is no client)."""
    args = Arguments(example.message, [], example.inputs)
    turn = Turn(cache.bot, args, executor, files=cache.files, owner=None, caller=Request())
    reply = await turn.final()
    return reply.messages, reply.outputs or []


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal; a log line per example otherwise."""
    if not sys.stderr.isatty():
        done = 0

        def log(label: str) -> None:
            nonlocal done
            done += 1
            logger.info("Cached the answer to example %d of %d: %.40r", done, total, label)

        yield log
        return
    with progress_bar("Caching examples", total, keep=True) as advance:
        yield advance


@asynccontextmanager
async def example_answers(app: Litestar) -> AsyncIterator[None]:
    """`cache_mode: eager`: the answers are computed before the server takes requests, and
    again in the background after each reload."""
    holder, executor = app.state.services.holder, app.state.services.executor
    await _compute_eager(holder.current, executor)
    async with running(_recompute_after_reloads(holder, executor)):
        yield


async def _recompute_after_reloads(holder: BotHolder, executor: Executor) -> None:
    revision = holder.current.revision
    while not holder.closing:
        if holder.current.revision == revision:
            await holder.changed.wait()
            continue
        revision = holder.current.revision
        await _compute_eager(holder.current, executor)


async def _compute_eager(served: Served, executor: Executor) -> None:
    if served.examples is not None and served.examples.mode == "eager":
        await compute(served.examples, executor)


def example_cache(
    bot: Bot, files: FileStore, database: Postgres | None = None
) -> ExampleCache | None:
    """The bot's example cache, when `cache_examples` is on and there are examples."""
    if not bot.config.cache_examples or not bot.config.examples:
        return None
    return ExampleCache(bot, files, database)


def _examples(bot: Bot) -> Iterator[Example]:
    config = bot.config
    context = {
        "format": FORMAT,
        "fn": config.fn,
        "source": _source_digest(bot),
        "multimodal": config.multimodal,
        "history": config.chatbot.type,
        "inputs": [spec.model_dump() for spec in config.additional_inputs],
        "outputs": [spec.model_dump() for spec in config.additional_outputs],
    }
    for index, example in enumerate(config.examples or ()):
        written = example_message(example)
        paths = [str((bot.folder / name).resolve()) for name in written.files]
        message: Any = {"text": written.text, "files": paths}
        if not config.multimodal:
            message = written.text
        inputs = bot.example_inputs(example[1:] if isinstance(example, list) else [])
        in_inputs = [path for i, _ in bot.file_inputs() for path in example_files(inputs[i])]
        contents = [file_sha256(Path(path)) for path in [*paths, *in_inputs]]
        identity = [context, written.text, contents, inputs]
        key = sha256_hex(msgspec.json.encode(identity))[:32]
        yield Example(index, message, inputs, key, written.text or ", ".join(written.files))


def _call_key(message: Any, inputs: list[Any]) -> bytes:
    return msgspec.json.encode([message, inputs])


def _source_digest(bot: Bot) -> str:
    """The chat function's module source (any edit to it counts), else its qualified name."""
    try:
        return file_sha256(Path(inspect.getsourcefile(bot.fn) or ""))
    except (OSError, TypeError):
        return getattr(bot.fn, "__qualname__", repr(bot.fn))


def _with_files_copied(
    answer: tuple[list[Any], list[Any]], bot: Bot, files: FileStore, owner: str | None, folder: Path
) -> Any:
    """A copy of `(messages, outputs)` whose files (in messages and image outputs) are copied
    into `folder/files` and named relative to it."""
    messages, outputs = msgspec.json.decode(msgspec.json.encode(answer))
    images = [
        value
        for value, spec in zip(outputs, bot.config.additional_outputs, strict=False)
        if spec.type == "image" and isinstance(value, dict)
    ]
    for number, ref in enumerate([*file_refs(messages), *images]):
        found = files.get(ref["id"], owner)
        if found is None:
            raise OSError(f"the file {ref.get('name')!r} of the answer is gone")
        kept = folder / "files" / str(number) / found.name
        kept.parent.mkdir()
        shutil.copyfile(found.path, kept)
        ref.clear()
        ref["cached"] = kept.relative_to(folder).as_posix()
    return messages, outputs


def _cached_files(value: Any) -> Iterator[str]:
    """The paths (in the answer's folder) of the files a stored answer shows."""
    if isinstance(value, dict):
        if set(value) == {"cached"}:
            yield value["cached"]
            return
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _cached_files(item)


def _with_files_served(value: Any, files: FileStore, folder: Path) -> Any:
    """The stored answer with its files registered for anyone to read."""
    if isinstance(value, dict):
        if set(value) == {"cached"}:
            return files.public(folder / value["cached"]).data()
        return {key: _with_files_served(item, files, folder) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_files_served(item, files, folder) for item in value]
    return value
