"""24Nettbutikk's joined listings through the async facade under mixed faults: every order
with its customer and SKUs exactly as a clean read gives them, or a storebridge error.

The joins keep a page's lookups in flight while the next pages are read (Start/Collect);
the async engine runs those steps on its own tasks, so it is checked here on its own.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

import storebridge
from storebridge import StorebridgeError
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport

SIZES = {"orders": 60, "customers": 12, "products": 8}


def _order(order: Any) -> tuple[str, str | None, tuple[str | None, ...]]:
    customer = order.customer.email if order.customer is not None else None
    return order.ref, customer, tuple(line.sku for line in order.lines)


async def _read(rate: float, seed: int) -> tuple[list[Any] | None, FaultTransport]:
    clock = FakeClock()
    time = FakeTime(emulator_clock=clock)
    sandbox = adapter_class("24nettbutikk").sandbox(seed=3, clock=clock, **SIZES)
    faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
    settings = sandbox.settings("https://sandbox.example")
    async with storebridge.connect_async(
        "24nettbutikk", transport=faulty, options=time.options(), **settings
    ) as store:
        try:
            return [_order(o) async for o in store.orders.list(page_size=7)], faulty
        except StorebridgeError:
            return None, faulty


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_joined_orders_are_exact_or_an_error_under_faults(rate: float) -> None:
    truth, clean = asyncio.run(_read(0.0, 0))
    assert truth is not None and not clean.injected
    assert len({ref for ref, _, _ in truth}) == SIZES["orders"]
    assert any(customer for _, customer, _ in truth)  # the joins filled something in
    outcomes: Counter[str] = Counter()
    for seed in range(1, 5):
        found, faulty = asyncio.run(_read(rate, seed))
        assert faulty.injected, seed
        if found is None:
            outcomes["error"] += 1
            continue
        # The same orders, joined alike, in the shop's own order.
        assert found == truth, (seed, dict(faulty.injected))
        outcomes["exact"] += 1
    assert outcomes["exact"] >= (3 if rate < 0.2 else 1), outcomes
