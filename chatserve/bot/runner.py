"""Run a chat function of any kind and watch its reply grow.

A run has one producer and one consumer (the HTTP response). The producer is the chat
function: a worker thread for sync code (one thread for the whole run, never a hop per token)
or a task for async code. It stores each value it yields in `latest` and wakes the consumer
only if the consumer is not already awake, so a fast generator costs one assignment per token.
The consumer takes whatever is latest when it gets round to it, at most once per `interval`:
that is the coalescing. Values that come slower than that are taken as they come, no timer set.

An async generator starts in the consumer's own task instead, as a plain stream would run it:
while it yields slower than the interval (a model's tokens), a value costs no task switch and
no wake-up; the first value that comes faster hands the rest of the run to a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any

_NOTHING = object()


SYNC = "sync"
ASYNC = "async"
GENERATOR = "generator"
ASYNC_GENERATOR = "async generator"


def kind_of(fn: Callable[..., Any]) -> str:
    """Classify a chat function once, at load time (a callable object counts by `__call__`)."""
    target = fn if inspect.isroutine(fn) else type(fn).__call__
    if inspect.isasyncgenfunction(target):
        return ASYNC_GENERATOR
    if inspect.isgeneratorfunction(target):
        return GENERATOR
    if inspect.iscoroutinefunction(target):
        return ASYNC
    return SYNC


class Run:
    """One call of the chat function; `updates()` yields its reply each time it changed."""

    def __init__(
        self, fn: Callable[..., Any], kind: str, args: tuple[Any, ...], executor: Executor
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._in_loop = kind in (ASYNC, ASYNC_GENERATOR)  # producer runs on the loop's thread
        self._wake = asyncio.Event()
        self._awake = False  # the producer has asked the loop to set `_wake`
        self._stopping = False
        self.latest: Any = _NOTHING
        self._changes = 0
        self.finished = False
        self.error: BaseException | None = None
        if kind == GENERATOR:
            self._producer = self._loop.run_in_executor(executor, self._pump, fn, args)
        elif kind == SYNC:
            self._producer = self._loop.run_in_executor(executor, self._call, fn, args)
        elif kind == ASYNC_GENERATOR:
            self._generator = fn(*args)
            self._producer = None  # until `updates` hands the generator to a task
        else:
            self._producer = self._loop.create_task(self._acall(fn(*args)))

    @property
    def yields(self) -> int:
        """How many values the function has produced (a token each, for a generator that
        yields its reply a token longer each time); counted anyway, so free to read."""
        return self._changes

    @property
    def reply(self) -> Any:
        """The latest value the function produced; None if it produced nothing."""
        return None if self.latest is _NOTHING else self.latest

    async def updates(self, interval: float = 0.0) -> AsyncIterator[Any]:
        """Yield the latest reply whenever it changed, until the function finishes; at most
        one every `interval` seconds (the first at once, the final one at once).

        Values produced while the consumer was busy or waiting out the interval are skipped:
        only the newest counts, because each yield of a chat function is the whole reply so far.
        """
        seen = 0
        taken = -math.inf
        if self._producer is None:
            async for value in self._generator:
                self.latest = value
                self._changes += 1
                now = self._loop.time()
                if now - taken < interval:  # too fast: coalesce from now on
                    self._producer = self._loop.create_task(self._apump(self._generator))
                    self._awake = True
                    self._wake.set()
                    break
                seen, taken = self._changes, now
                yield value
            else:
                self.finished = True
                return
        while True:
            await self._wake.wait()
            early = taken + interval - self._loop.time()
            if early > 0 and not self.finished:
                await self._settle(early)
            # Clear before reading, so a value stored after the read wakes us again.
            self._wake.clear()
            self._awake = False
            finished = self.finished
            if self._changes != seen:
                seen = self._changes
                taken = self._loop.time()
                yield self.reply
            if finished:
                if self.error is not None:
                    raise self.error
                return

    async def result(self) -> Any:
        """Wait for the function to finish and return its final reply."""
        async for _ in self.updates():
            pass
        return self.reply

    async def _settle(self, seconds: float) -> None:
        """Let output accumulate for up to `seconds`; returns early when the function ends."""
        await asyncio.wait([self._producer], timeout=seconds)

    async def stop(self) -> None:
        """Ask the function to stop: generators are closed, so their `finally` blocks run.

        A generator in a thread is closed after its current step; a plain sync function
        cannot be interrupted and runs to completion, its result discarded.
        """
        self._stopping = True
        if self._producer is None:
            await self._generator.aclose()  # it never left this task
        elif isinstance(self._producer, asyncio.Task):
            self._producer.cancel()

    # Producer side: worker threads and tasks alike talk to the consumer only through these.

    def _publish(self, value: Any) -> None:
        self.latest = value
        self._changes += 1
        if not self._awake:
            self._awake = True
            self._notify()

    def _finish(self, error: BaseException | None) -> None:
        self.error = error
        self.finished = True
        self._notify()

    def _notify(self) -> None:
        if self._in_loop:
            self._wake.set()  # no self-pipe write: we are on the loop's thread
            return
        # After server shutdown the loop is closed and nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake.set)

    def _pump(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        error = None
        try:
            generator = fn(*args)
            try:
                for value in generator:
                    self._publish(value)
                    if self._stopping:
                        break
            finally:
                generator.close()
        except BaseException as exc:
            error = exc
        self._finish(error)

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        error = None
        try:
            self._publish(fn(*args))
        except BaseException as exc:
            error = exc
        self._finish(error)

    async def _apump(self, generator: Any) -> None:
        error = None
        try:
            async for value in generator:
                self._publish(value)
        except asyncio.CancelledError:
            pass  # stop() cancelled us; the generator is closed below
        except BaseException as exc:
            error = exc
        finally:
            await generator.aclose()
        self._finish(error)

    async def _acall(self, coroutine: Any) -> None:
        error = None
        try:
            self._publish(await coroutine)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            error = exc
        self._finish(error)
