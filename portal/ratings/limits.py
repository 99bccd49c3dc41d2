"""Per-client rate limit: a token bucket for each address, refilled continuously.

A bucket holds ``per_minute`` tokens and refills at ``per_minute`` a minute, so a reader may
vote on a few articles at once but a script cannot flood the store. Buckets that are full
again are forgotten, so memory stays bounded by the clients of the last minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def take(self, client: str) -> float:
        """Spend one token of ``client``; 0 when allowed, else the seconds until one is back."""
        now = self.clock()
        with self._lock:
            if now - self._last_sweep > 60:
                self._sweep(now)
            tokens, then = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1, now)
            return 0.0

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        self._buckets = {client: (tokens, then) for client, (tokens, then)
                         in self._buckets.items()
                         if tokens + (now - then) * self.rate < self.capacity}


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))
