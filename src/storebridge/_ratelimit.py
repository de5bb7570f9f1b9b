"""Rate limiting: one token bucket, used by clients to pace themselves and by emulators to
refuse; client buckets are shared process-wide per credential."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storebridge.adapter import RateLimit


_EPSILON = 1e-9
"""Float slack so a token refilled to exactly 1.0 after a fractional wait counts as whole."""


class TokenBucket:
    """``limit.burst`` tokens, refilled continuously at ``limit.per_second``.

    Two ways to take a token, both under a lock so threads and asyncio tasks sharing one
    bucket never exceed the rate together:

    * :meth:`reserve` always takes one and returns how long to wait before using it; the
      caller does the waiting (sync or async). Clients pace themselves this way.
    * :meth:`try_take` takes one only if one is there; otherwise it takes nothing and
      returns the seconds until one would be. Servers refuse (429) this way.

    A leaky bucket of ``capacity`` draining at ``rate`` is the same limit as this bucket with
    ``burst=capacity`` and ``per_second=rate``.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> float:
        now = self._clock()
        gained = (now - self._stamp) * self.limit.per_second
        self._tokens = min(float(self.limit.burst), self._tokens + gained)
        self._stamp = now
        return self._tokens

    def reserve(self) -> float:
        """Take a token now; the seconds to wait before it may be used (0.0: at once)."""
        with self._lock:
            self._tokens = self._refill() - 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.limit.per_second

    def try_take(self) -> float | None:
        """Take a token if one is there (None); else the seconds until one would be."""
        with self._lock:
            tokens = self._refill()
            if tokens + _EPSILON >= 1.0:
                self._tokens = tokens - 1.0
                return None
            return (1.0 - tokens) / self.limit.per_second


CLIENT_SHARE = 0.97
"""Clients pace themselves at this share of a platform's declared rate limit: a server's
bucket kept exactly at the brim answers 429 to the first request network jitter brings in
early; a little inside the limit it never has to."""
BURST_MARGIN = 2
"""Clients burst this much less than the platform's declared burst, for the same reason."""


def client_limit(limit: RateLimit) -> RateLimit:
    """The limit a client keeps to so that a server enforcing ``limit`` never refuses it."""
    from storebridge.adapter import RateLimit

    return RateLimit(
        per_second=limit.per_second * CLIENT_SHARE, burst=max(1, limit.burst - BURST_MARGIN)
    )


SEND_MARGIN = 1
"""What actually leaves bursts this much less than the platform's declared burst."""


def send_limit(limit: RateLimit) -> RateLimit:
    """The limit the moments requests actually leave keep to, late wake-ups included.

    Requests are scheduled at :func:`client_limit`, but a thread or task that wakes late (a
    long garbage collection, a busy interpreter) sends when it wakes: several slots that fell
    due during the stall would leave together, on top of the ones on time, and a platform
    whose burst is smaller than that answers 429. Checked again at the moment of sending,
    against the platform's own rate and one request less than its burst, the late ones go
    out one by one while requests on time pass untouched.
    """
    from storebridge.adapter import RateLimit

    return RateLimit(per_second=limit.per_second, burst=max(1, limit.burst - SEND_MARGIN))


_buckets: dict[tuple[str, RateLimit, Callable[[], float]], TokenBucket] = {}
_buckets_lock = threading.Lock()


def _shared(key: str, limit: RateLimit, clock: Callable[[], float], kept: RateLimit) -> TokenBucket:
    with _buckets_lock:
        bucket = _buckets.get((key, limit, clock))
        if bucket is None:
            bucket = _buckets[(key, limit, clock)] = TokenBucket(kept, clock)
        return bucket


def shared_bucket(
    key: str, limit: RateLimit, clock: Callable[[], float] = time.monotonic
) -> TokenBucket:
    """The bucket for ``key``: every Store using the same credential shares it.

    The clock is part of the key so a test's fake clock never shares state with real time.
    The bucket keeps to :func:`client_limit` of ``limit``.
    """
    return _shared(key, limit, clock, client_limit(limit))


def shared_send_guard(
    key: str, limit: RateLimit, clock: Callable[[], float] = time.monotonic
) -> TokenBucket:
    """The bucket checked as each request of ``key`` leaves (:func:`send_limit`), shared
    like :func:`shared_bucket`."""
    return _shared(f"{key} (sending)", limit, clock, send_limit(limit))
