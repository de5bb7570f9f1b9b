"""Client-side rate limiting: one token bucket per credential, shared process-wide."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from storebridge.adapter import RateLimit


class TokenBucket:
    """Reservation-style token bucket: ``reserve()`` says how long to wait before sending.

    Reservations are taken under a lock, so threads and asyncio tasks sharing one bucket
    never exceed the rate together; the caller does the waiting (sync or async).
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = self._clock()
            rate = self.limit.per_second
            self._tokens = min(float(self.limit.burst), self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / rate


_buckets: dict[tuple[str, RateLimit, Callable[[], float]], TokenBucket] = {}
_buckets_lock = threading.Lock()


def shared_bucket(
    key: str, limit: RateLimit, clock: Callable[[], float] = time.monotonic
) -> TokenBucket:
    """The bucket for ``key``: every Store using the same credential shares it.

    The clock is part of the key so a test's fake clock never shares state with real time.
    """
    with _buckets_lock:
        bucket = _buckets.get((key, limit, clock))
        if bucket is None:
            bucket = _buckets[(key, limit, clock)] = TokenBucket(limit, clock)
        return bucket
