"""Fixtures shared by the 29 Next test modules (imported into each module by name).

Every store these fixtures hand out talks to the emulator through a
:class:`~spec.SpecCheckingTransport`, so each request the adapter sends and each response
the emulator returns is validated against the vendor's spec; a test fails at teardown when
any exchange broke it. Without the spec files the checks are off (and the dedicated spec
tests skip, naming where they looked).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import storebridge
from storebridge import StoreOptions
from storebridge.sandbox import FakeClock
from storebridge_29next import TwentyNineNextAdapter, TwentyNineNextEmulator
from tests.adapters.twentyninenext.support import spec

FAKE_BASE = "https://acme.29next.store"


def options_for(clock: FakeClock, max_concurrency: int = 2) -> StoreOptions:
    """Fake time; requests in flight fixed (the spec checks make answers slow, and a
    derived number would switch day windows on or off by machine speed)."""

    async def async_sleep(seconds: float) -> None:
        clock.advance(seconds)

    return StoreOptions(
        clock=clock, sleep=clock.advance, async_sleep=async_sleep, max_concurrency=max_concurrency
    )


class Harness:
    """An emulator, its fake clock, and the spec checker watching the traffic."""

    def __init__(self, orders: int = 25, **options: Any) -> None:
        self.clock = FakeClock()
        self.sandbox = TwentyNineNextAdapter.sandbox(orders=orders, clock=self.clock, **options)
        emulator = self.sandbox.emulator
        assert isinstance(emulator, TwentyNineNextEmulator)
        self.emulator = emulator
        self.checker = spec.SpecChecker() if spec.spec_dir() is not None else None
        self.options = options_for(self.clock)

    def transport(self, inner: Any = None) -> Any:
        inner = inner if inner is not None else self.emulator.transport()
        if self.checker is None:
            return inner
        return spec.SpecCheckingTransport(inner, self.checker)

    def settings(self, base_url: str = FAKE_BASE, **extra: Any) -> dict[str, Any]:
        return {**self.sandbox.settings(base_url), **extra}

    def connect(self, **extra: Any) -> storebridge.Store:
        return storebridge.connect(
            "29next", transport=self.transport(), options=self.options, **self.settings(**extra)
        )

    def connect_async(self, **extra: Any) -> storebridge.AsyncStore:
        return storebridge.connect_async(
            "29next", transport=self.transport(), options=self.options, **self.settings(**extra)
        )

    def assert_spec_clean(self) -> None:
        if self.checker is not None:
            assert self.checker.violations == [], "\n".join(self.checker.violations)


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.assert_spec_clean()


@pytest.fixture
def store(harness: Harness) -> Iterator[storebridge.Store]:
    with harness.connect() as s:
        yield s


@pytest.fixture
async def astore(harness: Harness) -> AsyncIterator[storebridge.AsyncStore]:
    async with harness.connect_async() as s:
        yield s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
