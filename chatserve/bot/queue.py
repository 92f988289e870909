"""`concurrency_limit`: at most N chats run at once, the rest wait in line and know their place."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import ClassVar

MAX_WAITING_PER_SLOT = 50
"""A line longer than this many waiters per running slot is refused with 503, not joined."""


class QueueFull(Exception):
    """Too many chats are waiting already."""

    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}
    """With the 503: a balancer may send the chat to another replica, a client try again."""


class Ticket:
    """One chat's claim on a slot: first a place in line, then (once granted) the slot itself."""

    def __init__(self, line: Line) -> None:
        self._line = line
        self.granted = asyncio.Event()
        self.moved = asyncio.Event()
        self.released = False

    async def positions(self) -> AsyncIterator[int]:
        """Yield this chat's place in line (1 = next) each time it changes, until it runs."""
        while not self.granted.is_set():
            self.moved.clear()
            yield self._line.position(self)
            waiters = {
                asyncio.ensure_future(self.granted.wait()),
                asyncio.ensure_future(self.moved.wait()),
            }
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def wait(self) -> None:
        async for _ in self.positions():
            pass

    def release(self) -> None:
        """Give the slot (or the place in line) back; safe to call more than once."""
        if not self.released:
            self.released = True
            self._line.leave(self)


class Line:
    """A FIFO line in front of `limit` slots; `limit=None` means no line at all."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.running = 0
        self.waiting: deque[Ticket] = deque()

    def join(self) -> Ticket:
        """A ticket that is granted at once if a slot is free; raises QueueFull."""
        ticket = Ticket(self)
        if self.limit is None or (self.running < self.limit and not self.waiting):
            self.running += 1
            ticket.granted.set()
        elif len(self.waiting) >= MAX_WAITING_PER_SLOT * self.limit:
            raise QueueFull(
                f"The server is busy: {len(self.waiting)} chats are already waiting for "
                f"{self.limit} running ones to end. Please try again in a moment."
            )
        else:
            self.waiting.append(ticket)
        return ticket

    def resize(self, limit: int | None) -> None:
        """A reloaded config's limit; waiting chats start at once if it grew."""
        self.limit = limit
        while self.waiting and (limit is None or self.running < limit):
            self.running += 1
            self.waiting.popleft().granted.set()
        for waiter in self.waiting:
            waiter.moved.set()

    def position(self, ticket: Ticket) -> int:
        return self.waiting.index(ticket) + 1

    def leave(self, ticket: Ticket) -> None:
        if ticket.granted.is_set():
            self.running -= 1
            if self.waiting and (self.limit is None or self.running < self.limit):
                following = self.waiting.popleft()
                self.running += 1
                following.granted.set()
        else:
            self.waiting.remove(ticket)
        for waiter in self.waiting:
            waiter.moved.set()
