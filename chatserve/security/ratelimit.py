"""Rate limits by key: at most `amount` per `period` seconds, refilled steadily (a token
bucket), kept for a bounded number of keys."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimit:
    """`amount` units per `period` seconds for each key (a client, or everyone).

    A key may spend more than it has left (a write is counted once it is known, however large
    it turned out): it then waits until that debt is paid back. Only keys that spent something
    recently are remembered, at most `max_keys` of them; past that a flood of fresh keys
    forgets the oldest, so memory stays bounded whatever the number of clients. Safe to share
    between threads.
    """

    def __init__(self, amount: float, period: float, max_keys: int = 10_000) -> None:
        self.amount = amount
        self.period = period
        self.max_keys = max_keys
        self._rate = amount / period
        self._spent: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """Per key: what it had spent at a moment, before paying back since then."""
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._spent)

    def wait(self, key: str, amount: float = 1) -> float:
        """Seconds until `key` has `amount` left: 0 when it has now, `inf` when it never will
        (more than one period allows)."""
        with self._lock:
            return self._wait(key, amount, time.monotonic())

    def take(self, key: str, amount: float = 1) -> float:
        """Spend `amount` if `key` has that much left; otherwise spend nothing and say how long
        to wait, as `wait` does."""
        with self._lock:
            now = time.monotonic()
            wait = self._wait(key, amount, now)
            if not wait:
                self._spend(key, amount, now)
            return wait

    def spend(self, key: str, amount: float) -> None:
        """Count `amount` against `key`, even past what it has left."""
        with self._lock:
            self._spend(key, amount, time.monotonic())

    def _wait(self, key: str, amount: float, now: float) -> float:
        if amount > self.amount:
            return float("inf")
        return max(0.0, (self._spent_at(key, now) + amount - self.amount) / self._rate)

    def _spent_at(self, key: str, now: float) -> float:
        spent, then = self._spent.get(key, (0.0, now))
        return max(0.0, spent - (now - then) * self._rate)

    def _spend(self, key: str, amount: float, now: float) -> None:
        self._spent[key] = (self._spent_at(key, now) + amount, now)
        self._spent.move_to_end(key)
        while len(self._spent) > self.max_keys:
            self._spent.popitem(last=False)
