"""A platform's sandbox on a fake clock, and stores on it whose waits (rate limits,
retries) play out on that clock without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

import storebridge
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock, Sandbox
from storebridge.testing import FakeTime


@attrs.frozen
class Kit:
    sandbox: Sandbox
    clock: FakeClock

    @property
    def emulator(self) -> Any:
        return self.sandbox.emulator

    @contextmanager
    def store(self, transport: Any = None) -> Iterator[storebridge.Store]:
        """A store on the sandbox; ``transport`` wraps its emulator's (a fault layer)."""
        options = FakeTime(emulator_clock=self.clock).options()
        settings = self.sandbox.settings("https://shop.example")
        with storebridge.connect(
            self.sandbox.platform,
            transport=transport or self.emulator.transport(),
            options=options,
            **settings,
        ) as store:
            yield store


def kit(platform: str, *, orders: int = 12, customers: int = 4, products: int = 4) -> Kit:
    clock = FakeClock()
    sandbox = adapter_class(platform).sandbox(
        orders=orders, customers=customers, products=products, seed=3, clock=clock
    )
    return Kit(sandbox, clock)


__all__ = ["Kit", "kit"]
