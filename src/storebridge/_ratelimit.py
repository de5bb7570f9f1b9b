"""Rate limiting: one token bucket, used by clients to pace themselves and by emulators to
refuse; client buckets are shared process-wide per credential."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storebridge.adapter import RateLimit


_EPSILON = 1e-9
"""Float slack so a token refilled to exactly 1.0 after a fractional wait counts as whole."""


class _Tokens:
    """``limit.burst`` tokens, refilled continuously at ``limit.per_second``; what a
    :class:`TokenBucket` and a :class:`SendGuard` take from, under their lock."""

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


class TokenBucket(_Tokens):
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
    """The limit the moments requests actually go keep to, late wake-ups included.

    Requests are scheduled at :func:`client_limit`, but a thread or task that wakes late (a
    long garbage collection, a busy interpreter) sends when it wakes: several turns that fell
    due during the stall would go together, on top of the ones on time, and a platform whose
    burst is smaller than that answers 429. Checked again just before each request is handed
    to the HTTP client, against the platform's rate and a burst one short of its own, the
    late ones go one by one. A platform with a burst of 1 leaves no burst to keep in hand:
    the margin is then in the rate (:data:`CLIENT_SHARE` of it), as for the schedule.
    """
    from storebridge.adapter import RateLimit

    if limit.burst > SEND_MARGIN:
        return RateLimit(per_second=limit.per_second, burst=limit.burst - SEND_MARGIN)
    return RateLimit(per_second=limit.per_second * CLIENT_SHARE, burst=1)


class SendGuard(_Tokens):
    """``limit`` kept at the moments requests actually go, in the order they first asked.

    A request asks :meth:`try_go` as it is about to go: with a token there and nobody in
    line it goes at once. Otherwise it gets a place in line (a ticket) and how long to wait
    before asking again; it goes when it is first in line and a token is there. Asking
    takes tokens only at the moment of going, so requests that wake late together still go
    one by one, and the line keeps a late request from being overtaken for ever by those
    arriving on time. A request that stops waiting :meth:`leave` s the line.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limit, clock)
        self._line: deque[int] = deque()
        self._tickets = itertools.count()

    def try_go(self, ticket: int | None = None) -> tuple[float, int] | None:
        """None: a token was taken, go now. Otherwise (seconds to wait before asking again,
        the ticket that keeps this request's place in line: ask again with it)."""
        with self._lock:
            tokens = self._refill()
            whole = tokens + _EPSILON >= 1.0
            if ticket is None:
                if whole and not self._line:
                    self._tokens = tokens - 1.0
                    return None
                ticket = next(self._tickets)
                self._line.append(ticket)
            elif whole and self._line and self._line[0] == ticket:
                self._line.popleft()
                self._tokens = tokens - 1.0
                return None
            if ticket not in self._line:  # it had left: back in line, at the end
                self._line.append(ticket)
            ahead = self._line.index(ticket)
            # At least a tenth of a token's time: those ahead may not have asked yet.
            wait = max(ahead + 1.0 - tokens, 0.1) / self.limit.per_second
            return wait, ticket

    @property
    def waiting(self) -> int:
        """Requests in line now."""
        with self._lock:
            return len(self._line)

    def leave(self, ticket: int) -> None:
        """The request holding ``ticket`` no longer waits (it went without, or gave up)."""
        with self._lock:
            if ticket in self._line:
                self._line.remove(ticket)


_buckets: dict[tuple[str, RateLimit, Callable[[], float]], TokenBucket] = {}
_buckets_lock = threading.Lock()


def shared_bucket(
    key: str, limit: RateLimit, clock: Callable[[], float] = time.monotonic
) -> TokenBucket:
    """The bucket for ``key``: every Store using the same credential shares it.

    The clock is part of the key so a test's fake clock never shares state with real time.
    The bucket keeps to :func:`client_limit` of ``limit``.
    """
    with _buckets_lock:
        bucket = _buckets.get((key, limit, clock))
        if bucket is None:
            bucket = _buckets[(key, limit, clock)] = TokenBucket(client_limit(limit), clock)
        return bucket


_guards: dict[tuple[str, RateLimit, Callable[[], float]], SendGuard] = {}


def shared_send_guard(
    key: str, limit: RateLimit, clock: Callable[[], float] = time.monotonic
) -> SendGuard:
    """The guard each request of ``key`` passes as it goes (:func:`send_limit`), shared
    like :func:`shared_bucket`."""
    with _buckets_lock:
        guard = _guards.get((key, limit, clock))
        if guard is None:
            guard = _guards[(key, limit, clock)] = SendGuard(send_limit(limit), clock)
        return guard


def forget_buckets() -> None:
    """Drop every shared bucket and send guard, so the next store starts with a full bucket
    (what a new process does); stores already built keep theirs."""
    with _buckets_lock:
        _buckets.clear()
        _guards.clear()
