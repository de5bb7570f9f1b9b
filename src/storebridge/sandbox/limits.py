"""Server-side rate limiting for emulators: the client's token bucket, one per key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from storebridge._ratelimit import TokenBucket

if TYPE_CHECKING:
    from storebridge.adapter import RateLimit

__all__ = ["RateLimiter"]


class RateLimiter:
    """One :class:`~storebridge._ratelimit.TokenBucket` per key (a token, an app and store...).

    ``admit(key)`` returns None when the request fits, else the seconds until it would; a
    refused request takes nothing from the bucket, as a server that answers 429 does not
    count it.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> float | None:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.limit, self._clock)
        return bucket.try_take()

    def reset(self) -> None:
        """Forget every key's history (all buckets full again)."""
        with self._lock:
            self._buckets.clear()
