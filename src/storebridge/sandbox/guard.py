"""The check every emulator runs before an API route: credentials, then the rate limit.

Platforms declare what differs (how a credential is read and refused, what a 429 looks
like, whether anonymous calls are throttled too); the order of the checks, the per-credential
token buckets and the ``Retry-After`` arithmetic live here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from storebridge.sandbox.emulator import EmulatorRequest, HTTPProblem
from storebridge.sandbox.limits import RateLimiter

if TYPE_CHECKING:
    from storebridge.adapter import RateLimit

__all__ = ["Authenticate", "Guard", "Throttle", "retry_after_seconds"]

Authenticate = Callable[[EmulatorRequest, str], str]
"""``(request, need) -> key``: raises the platform's 401/403 as :class:`HTTPProblem`, else
returns the key the rate limit counts against. ``need`` is what the route requires (a
scope, a permission), ``""`` when nothing in particular."""


def retry_after_seconds(wait: float) -> int:
    """Whole seconds a client should wait (at least 1), as a ``Retry-After`` value."""
    return max(1, math.ceil(wait))


@attrs.frozen(kw_only=True)
class Throttle:
    """A platform's server-side rate limit and how it refuses.

    ``refuse(seconds)`` builds the platform's 429 from the whole seconds until a request
    would fit (error body, ``Retry-After`` or not). With ``key`` set, every request counts
    against that one key *before* authentication (a shop with a single credential that
    throttles whoever calls); without it, each authenticated credential has its own bucket.
    """

    limit: RateLimit
    refuse: Callable[[int], HTTPProblem]
    clock: Callable[[], float]
    key: str | None = None


class Guard:
    """Authenticate, then rate-limit; raises the platform's :class:`HTTPProblem` on refusal."""

    def __init__(self, authenticate: Authenticate, throttle: Throttle | None = None) -> None:
        self.authenticate = authenticate
        self.throttle = throttle
        self.limiter = RateLimiter(throttle.limit, throttle.clock) if throttle else None
        self.throttled = 0
        """How many requests were refused with 429."""

    def check(self, request: EmulatorRequest, need: str = "") -> str:
        """Pass ``request`` or raise; returns the authenticated key."""
        fixed = self.throttle.key if self.throttle is not None else None
        if fixed is not None:
            self._admit(fixed)
        key = self.authenticate(request, need)
        if fixed is None:
            self._admit(key)
        return key

    def _admit(self, key: str) -> None:
        if self.limiter is None or self.throttle is None:
            return
        wait = self.limiter.admit(key)
        if wait is not None:
            self.throttled += 1
            raise self.throttle.refuse(retry_after_seconds(wait))
