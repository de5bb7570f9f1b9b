"""Stores on the adapter's own sandbox, in-process, on fake time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storebridge import Store
from storebridge.http import BaseTransport
from storebridge.sandbox import FakeClock, Sandbox
from storebridge.testing import FakeTime
from storebridge_example import ExampleAdapter, ExampleEmulator

ADDRESS = "https://acme.example-commerce.test"
"""Where the in-process sandbox pretends to be; nothing is ever sent there."""

Connect = Callable[..., Store]
"""What the ``connect`` fixture is (test modules annotate with the same alias)."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_time(clock: FakeClock) -> FakeTime:
    """Retries and rate limits of client and emulator on one clock that nobody waits for."""
    return FakeTime(emulator_clock=clock)


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return ExampleAdapter.sandbox(seed=5, orders=12, clock=clock)


@pytest.fixture
def emulator(sandbox: Sandbox) -> ExampleEmulator:
    assert isinstance(sandbox.emulator, ExampleEmulator)
    return sandbox.emulator


@pytest.fixture
def connect(sandbox: Sandbox, fake_time: FakeTime) -> Iterator[Connect]:
    """``connect(transport=None, settings={}, **options)``: a store on the sandbox (through
    ``transport`` when given), closed after the test."""
    opened: list[Store] = []

    def open_store(
        transport: BaseTransport | None = None,
        settings: dict[str, Any] | None = None,
        **options: Any,
    ) -> Store:
        adapter = ExampleAdapter.from_settings(**{**sandbox.settings(ADDRESS), **(settings or {})})
        store = Store(
            adapter,
            options=fake_time.options(**options),
            transport=transport or sandbox.emulator.transport(),
        )
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()
