"""Fake time for tests: sleeping advances the clock, nothing waits.

One :class:`FakeTime` drives the client's retries and rate limit (through
:meth:`FakeTime.options`) and, when given the emulator's
:class:`~storebridge.sandbox.FakeClock`, the emulator's clock too, so rate limits, token
expiry and backoff play out exactly as in real time without a test ever sleeping.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from storebridge._engine import StoreOptions
from storebridge._retry import RetryPolicy
from storebridge.sandbox.clock import FakeClock


class FakeTime:
    """A monotonic clock that moves only when someone sleeps (or :meth:`advance` is called).

    ``sleeps`` records every requested sleep, for tests that check backoff.
    """

    def __init__(self, start: float = 1000.0, emulator_clock: FakeClock | None = None) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.emulator_clock = emulator_clock
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        # Both clocks move under one lock: a thread reading the client's clock between the
        # two moves would send a request the emulator sees as early (a 429 in a test whose
        # client keeps to the limit).
        with self._lock:
            self.now += seconds
            if self.emulator_clock is not None:
                self.emulator_clock.advance(seconds)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def options(self, **overrides: Any) -> StoreOptions:
        """StoreOptions on this fake time (seeded jitter); ``overrides`` win."""
        kwargs: dict[str, Any] = {
            "sleep": self.sleep,
            "async_sleep": self.async_sleep,
            "clock": self.clock,
            "rng": random.Random(7),
            "retry": RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0),
        }
        kwargs.update(overrides)
        return StoreOptions(**kwargs)


__all__ = ["FakeTime"]
