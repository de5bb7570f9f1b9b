"""How many requests to keep in flight: derived from the rate limit and observed latency.

At the rate-limit bound a credential sends ``rate`` requests per second; each spends
``latency`` seconds in flight, so about ``rate x latency`` are in flight at once (Little's
law). Fewer leaves budget unused; many more only queue behind the token bucket. The
:class:`Pacer` tracks latency as it is observed, backs off multiplicatively on 429 and
recovers additively as answers succeed, so reads, read-ahead and migration writes reach
the bound without anyone tuning a number. Several 429s within one latency of each other
answer one burst, sent before the first came back: they halve the number once, not once
each (which would leave one request in flight for seconds).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from storebridge._ratelimit import client_limit
from storebridge.adapter import RateLimit

DEFAULT_CAP = 64
"""Upper bound on requests in flight per credential when the user sets none."""
_FIRST_GUESS = 0.25
"""Latency assumed before the first answer (seconds): a far-away API, so reads start wide."""
_HEADROOM = 1.5
_SMOOTHING = 0.2


class Pacer:
    """The in-flight target for one credential; thread-safe, shared like its token bucket."""

    def __init__(
        self,
        limit: RateLimit,
        cap: int = DEFAULT_CAP,
        fixed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.cap = max(1, cap)
        self.fixed = fixed
        self._clock = clock
        self._latency: float | None = None
        self._factor = 1.0
        self._halved: float | None = None
        self._lock = threading.Lock()

    @property
    def latency(self) -> float | None:
        """Smoothed latency of recent answers in seconds (None before the first)."""
        return self._latency

    def observe(self, seconds: float) -> None:
        """An answer came back after ``seconds``."""
        with self._lock:
            if self._latency is None:
                self._latency = seconds
            else:
                self._latency += _SMOOTHING * (seconds - self._latency)
            self._factor = min(1.0, self._factor + 0.05)

    def throttled(self) -> None:
        """The platform answered 429: halve what we keep in flight for a while (once for
        all the 429s of requests sent before the previous halving could take effect)."""
        with self._lock:
            now = self._clock()
            latency = _FIRST_GUESS if self._latency is None else self._latency
            if self._halved is not None and now - self._halved < latency:
                return
            self._halved = now
            self._factor = max(1.0 / self.cap, self._factor / 2)

    def in_flight(self) -> int:
        """How many requests to keep in flight now (>= 1)."""
        if self.fixed is not None:
            return max(1, self.fixed)
        with self._lock:
            latency = _FIRST_GUESS if self._latency is None else self._latency
            want = math.ceil(self.limit.per_second * latency * _HEADROOM) + 1
            # A burst the client may spend at once is worth as many in flight; that is the
            # bucket the client keeps (a margin inside the platform's), not the platform's.
            want = max(want, min(client_limit(self.limit).burst, 8))
            return max(1, min(self.cap, int(want * self._factor)))


_pacers: dict[tuple[str, RateLimit, int | None, Callable[[], float]], Pacer] = {}
_pacers_lock = threading.Lock()


def shared_pacer(
    key: str,
    limit: RateLimit,
    fixed: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Pacer:
    """The pacer for ``key``: every store using the same credential shares what it learns."""
    with _pacers_lock:
        pacer = _pacers.get((key, limit, fixed, clock))
        if pacer is None:
            pacer = _pacers[(key, limit, fixed, clock)] = Pacer(limit, fixed=fixed, clock=clock)
        return pacer


def forget_pacers() -> None:
    """Drop every shared pacer, so the next store starts from the first guess (what a new
    process does); stores already built keep theirs."""
    with _pacers_lock:
        _pacers.clear()


__all__ = ["DEFAULT_CAP", "Pacer", "forget_pacers", "shared_pacer"]
