"""Failed-attempt throttling: after `limit` failures within `window` seconds, a key (a client
address, a user name) must wait until the oldest of them is that old."""

from __future__ import annotations

import time
from collections import OrderedDict, deque


class Throttle:
    def __init__(self, limit: int = 5, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, *keys: str) -> float:
        """Seconds until every key may try again; 0 when all may try now."""
        now = time.monotonic()
        waits = [0.0]
        for key in keys:
            failures = self._prune(self._failures.get(key, deque()), now)
            if len(failures) >= self.limit:
                waits.append(failures[0] + self.window - now)
        return max(waits)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            failures = self._failures.setdefault(key, deque(maxlen=self.limit))
            self._prune(failures, now).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:  # a flood of fresh keys forgets the oldest
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self, failures: deque[float], now: float) -> deque[float]:
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
