"""The seeded 29 Next store stays what cassettes, documentation examples and tests were made
from: exact records of the default store and of one deep in the draws (2,000 orders)."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge_29next.emulator import TwentyNineNextEmulator
from storebridge_29next.emulator.state import OrderRecord


def summary(order: OrderRecord) -> tuple[Any, ...]:
    return (
        order.number,
        order.user_id,
        order.date_placed.isoformat(),
        order.updated_at.isoformat(),
        str(order.total),
        order.payment_status,
        [(line.sku, line.quantity) for line in order.lines],
    )


def test_the_default_store() -> None:
    orders = list(TwentyNineNextEmulator(SandboxSize()).state.orders.values())
    assert len(orders) == 25
    assert summary(orders[0]) == (
        "100001", 105, "2025-01-06T09:00:00+00:00", "2025-01-07T04:00:00+00:00", "830.92",
        "paid", [("SKU-15-M", 3), ("SKU-16", 2), ("SKU-18", 2)],
    )  # fmt: skip
    assert summary(orders[-1]) == (
        "100025", 100, "2025-01-13T09:05:00+00:00", "2025-01-14T14:05:00+00:00", "145.99",
        "paid", [("SKU-11-M", 1)],
    )  # fmt: skip


def test_a_store_deep_in_the_draws() -> None:
    state = TwentyNineNextEmulator(SandboxSize(seed=2, orders=2000)).state
    assert summary(state.orders["102000"]) == (
        "102000", 946, "2026-08-12T10:44:00+00:00", "2026-08-13T16:44:00+00:00", "506.94",
        "paid", [("SKU-24", 2), ("SKU-49-M", 3)],
    )  # fmt: skip
    user = state.users[max(state.users)]
    assert (user["id"], user["email"], user["date_joined"]) == (
        1099, "kai.tan.1099@example.com", "2024-01-14T09:00:00+00:00",
    )  # fmt: skip
    product = state.products[max(state.products)]
    assert (product["title"], [v["prices"][0]["price"] for v in product["variants"]]) == (
        "Canvas Beanie", ["120.99", "123.99"],
    )  # fmt: skip
