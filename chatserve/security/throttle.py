"""Attempt throttling: a key (a kind, such as "address", and a value) may make its kind's
limit of attempts within `window` seconds; then it waits until the oldest is that old.

An attempt is counted when it starts, before the work it stands for (a password check), and
handed back if it turns out not to be a guess: so requests that arrive together cannot all
pass the check before any of them is counted. Counts live in this process's memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Mapping


class Throttle:
    def __init__(
        self, limits: Mapping[str, int], window: float = 60.0, max_keys: int = 10_000
    ) -> None:
        self.limits = limits
        self.window = window
        self.max_keys = max_keys
        self._attempts: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def take(self, **keys: str) -> float:
        """Count an attempt for every key (`kind=value`) and return 0; or, when one of them
        has used up its limit, count none and return the seconds until it may try again."""
        now = time.monotonic()
        counted = {key: self._recent(key, now) for key in keys.items()}
        waits = [
            attempts[0] + self.window - now
            for (kind, _), attempts in counted.items()
            if len(attempts) >= self.limits[kind]
        ]
        if waits:
            return max(waits)
        for key, attempts in counted.items():
            attempts.append(now)
            self._attempts[key] = attempts
            self._attempts.move_to_end(key)
        while len(self._attempts) > self.max_keys:  # a flood of fresh keys forgets the oldest
            self._attempts.popitem(last=False)
        return 0.0

    def give_back(self, **keys: str) -> None:
        """Uncount an attempt of every key: it succeeded, or was never made."""
        for key in keys.items():
            attempts = self._attempts.get(key)
            if attempts:
                attempts.pop()

    def forget(self, **keys: str) -> None:
        """Forget every attempt of these keys."""
        for key in keys.items():
            self._attempts.pop(key, None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        attempts = self._attempts.get(key, deque())
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        return attempts
