"""The seeded SHOPLINE store stays what cassettes, documentation examples and tests were made
from: exact records of the default store and of one deep in the draws (2,000 orders)."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge_shopline.emulator import ShoplineEmulator


def summary(order: dict[str, Any]) -> tuple[Any, ...]:
    lines = [f"{line['sku']}x{line['quantity']}" for line in order["line_items"]]
    return (
        order["name"],
        order["created_at"],
        order["_total"],
        order["financial_status"],
        order["fulfillment_status"],
        lines,
        order["customer"]["email"],
    )


def test_the_default_store() -> None:
    orders = list(ShoplineEmulator(SandboxSize()).state.orders.rows.values())
    assert len(orders) == 25
    assert summary(orders[0]) == (
        "#1001", "2025-01-01T16:06:00+08:00", "308.48", "unpaid", "fulfilled",
        ["SL-0008-1x2", "SL-0006-3x1"], "jon.chen.1@example.com",
    )  # fmt: skip
    assert summary(orders[-1]) == (
        "#1025", "2025-01-08T16:11:00+08:00", "198.00", "paid", None,
        ["SL-0009-3x3"], "ingrid.olsen.6@example.com",
    )  # fmt: skip


def test_a_store_deep_in_the_draws() -> None:
    state = ShoplineEmulator(SandboxSize(seed=2, orders=2000)).state
    last = state.orders.rows["21050000000000000000002000"]
    assert summary(last) == (
        "#3000", "2026-08-07T17:42:00+08:00", "23.70", "paid", "partial",
        ["SL-0652-2x1"], "jon.wong.119@example.com",
    )  # fmt: skip
    customer = state.customers.rows["4201001000"]
    assert (customer["email"], customer["orders_count"], customer["total_spent"]) == (
        "emma.wong.1000@example.com", 1, "491.67",
    )  # fmt: skip
    product = state.products.rows["16057000000000000000001000"]
    assert (product["title"], [v["price"] for v in product["variants"]]) == (
        "Travel Cap 1000", ["116.00", "63.99", "37.00"],
    )  # fmt: skip
