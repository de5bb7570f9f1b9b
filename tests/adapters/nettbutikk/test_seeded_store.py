"""The seeded 24Nettbutikk shop stays what cassettes, documentation examples and tests were
made from: exact records of the default shop and of one deep in the draws (2,000 orders)."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import SandboxSize
from storebridge_24nettbutikk import NettbutikkEmulator


def summary(order: dict[str, Any]) -> tuple[Any, ...]:
    lines = [(line["product_name"], line["quantity"]) for line in order["lines"]]
    return (
        order["order_no"],
        order["customer_id"],
        order["placed"],
        order["modified"],
        str(order["total_amount_gross"]),
        order["status"],
        order["transaction_no"],
        lines,
    )


def test_the_default_shop() -> None:
    orders = NettbutikkEmulator(SandboxSize()).orders
    assert len(orders) == 25
    assert summary(orders[0]) == (
        10000, 1000, 1737934900.0, 1738356119.0, "5501.30", "4", "T402099104",
        [("Ullgenser", 2), ("Strikkelue", 1), ("Skjærebrett av bjørk (Størrelse: S)", 2)],
    )  # fmt: skip
    assert summary(orders[-1]) == (
        10024, 1011, 1761815457.0, 1763054110.0, "4561.80", "3", "T647909971",
        [("Skjærebrett av bjørk (Størrelse: M)", 1), ("Ullgenser", 2),
         ("Skjærebrett av bjørk (Størrelse: M)", 1)],
    )  # fmt: skip


def test_a_shop_deep_in_the_draws() -> None:
    shop = NettbutikkEmulator(SandboxSize(seed=2, orders=2000))
    assert summary(shop.orders[-1]) == (
        11999, 1999, 1734969059.0, 1736171078.0, "3985.50", "2", "T549355977",
        [("Sølvskje 44", 3)],
    )  # fmt: skip
    customer = shop.customers[-1]
    assert (customer["id"], customer["e_mail"], customer["modified"]) == (
        1999, "aasmund.saether999@eksempel.no", 1760973054.0,
    )  # fmt: skip
    product = shop.products[-1]
    assert (product["id"], product["name"], str(product["price"]), product["ean_code"]) == (
        666, "Ostehøvel 45", "1212.00", "7082042903386",
    )  # fmt: skip
