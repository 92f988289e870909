"""Chats running when the server is told to stop: they have `server.shutdown_grace` seconds to
end, then each is closed with an `error` event and its `done`, so no client is left with a
stream that just breaks off."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

STOPPING = "chatserve: the server is stopping"
"""The message a chat's task is cancelled with when its time is up."""

CUT_SHORT = "The server is restarting, so this reply was cut short. Send your message again."


class RunningChats:
    """The tasks streaming chats now."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Counts the current task as streaming a chat for the block."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    def cut_short(self) -> None:
        """End every chat still running (each task sends its final events)."""
        for task in self._tasks:
            task.cancel(STOPPING)


def stopped(exc: asyncio.CancelledError) -> bool:
    """Whether a cancellation is the server's stop (not a client gone, which ends quietly)."""
    return exc.args == (STOPPING,)
