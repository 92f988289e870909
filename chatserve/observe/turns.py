"""What is recorded of each client's turn while metrics or traces are on: how long it waited in
line, how long it ran, how many values the chat function yielded, and how it ended.

Counted once per turn, at its end, never per token: the chat function's values are counted by
the run anyway (`Run.yields`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatserve.errors import Error
from chatserve.stopping import stopped

if TYPE_CHECKING:
    from chatserve.bot.runner import Run
    from chatserve.observe.metrics import ChatMetrics
    from chatserve.observe.tracing import TurnSpans
    from chatserve.turn import Turn

DONE = "done"
FAILED = "failed"
"""The chat function raised (or its reply was refused): the client got an error."""
STOPPED = "stopped"
"""The client left first (the Stop button, a closed connection)."""
CUT_SHORT = "cut_short"
"""The server stopped before the turn ended (`server.shutdown_grace` ran out)."""


@dataclass
class Ended:
    """A turn, once it ended."""

    stream: bool
    """Whether its reply was streamed."""
    waited: float | None = None
    """Seconds in line before its slot; None when it left the line first."""
    ran: float = 0.0
    """Seconds from its slot to its end."""
    tokens: int = 0
    """Values the chat function yielded."""
    outcome: str = DONE
    error: Exception | None = None
    """What the chat function raised, when the outcome is `failed`."""

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, asyncio.CancelledError):
            self.outcome = CUT_SHORT if stopped(exc) else STOPPED
        elif isinstance(exc, Exception):
            self.outcome, self.error = FAILED, exc
        else:  # GeneratorExit: the stream was closed, its client gone
            self.outcome = STOPPED

    @property
    def error_kind(self) -> str:
        """`error` for a `chatserve.Error` (the user read its words), else `exception`."""
        return "error" if isinstance(self.error, Error) else "exception"


class TurnWatch:
    """Watches the app's client turns for its metrics, its traces, or both."""

    def __init__(self, metrics: ChatMetrics | None, spans: TurnSpans | None) -> None:
        self.metrics = metrics
        self.spans = spans

    def joined(self, turn: Turn) -> Watched:
        """Start watching `turn`, which has just joined the line."""
        return Watched(self, turn)


class Watched:
    """One turn, watched from the moment it joined the line."""

    def __init__(self, watch: TurnWatch, turn: Turn) -> None:
        self.watch = watch
        self.turn = turn
        self.joined = time.perf_counter()
        self.joined_ns = time.time_ns()  # the span's start: spans carry wall-clock times

    @asynccontextmanager
    async def around(
        self, running: AbstractAsyncContextManager[Run], stream: bool
    ) -> AsyncIterator[Run]:
        """`running` (the turn taking its slot, then running), recorded when it ends."""
        metrics, spans = self.watch.metrics, self.watch.spans
        ended = Ended(stream)
        with spans.span(self.turn, self.joined_ns) if spans else nullcontext() as span:
            try:
                async with running as run:
                    started = time.perf_counter()
                    ended.waited = started - self.joined
                    if metrics:
                        metrics.running.inc()
                    try:
                        yield run
                    finally:
                        ended.ran = time.perf_counter() - started
                        ended.tokens = run.yields
                        if metrics:
                            metrics.running.dec()
            except BaseException as exc:
                ended.failed(exc)
                raise
            finally:
                if metrics:
                    metrics.record(ended)
                if spans:
                    spans.describe(span, ended)
