"""Fake time for retry and rate-limit tests: sleeping advances the clock, nothing waits."""

from __future__ import annotations

import random

import attrs

from storebridge import RetryPolicy, StoreOptions


@attrs.define
class FakeTime:
    now: float = 1000.0
    sleeps: list[float] = attrs.field(factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def options(self, **overrides: object) -> StoreOptions:
        kwargs: dict[str, object] = {
            "sleep": self.sleep,
            "async_sleep": self.async_sleep,
            "clock": self.clock,
            "rng": random.Random(7),
            "retry": RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0),
        }
        kwargs.update(overrides)
        return StoreOptions(**kwargs)  # type: ignore[arg-type]
