"""24Nettbutikk prices and payment states as the notes define them.

* A product's ``sales_price`` (a reduced price) below its ``price`` is what buyers pay:
  ``Variant.price``, with the normal price as ``compare_at_price``; blank, 0.00 or not
  below the normal price, there is no sale and ``Variant.price`` is the normal price.
* An order's ``paid`` is a "fully paid" flag; null is a blank field, so whether the order
  was paid is unknown: UNKNOWN, not PENDING, on the fast and the careful way alike.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storebridge.errors import StorebridgeError
from storebridge.kit import Payload, read_payload, read_plain
from storebridge.model import FinancialStatus, Money, Order, Product
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk import NettbutikkEmulator
from storebridge_24nettbutikk._converter import WireReader
from storebridge_24nettbutikk._fast_orders import PlainOrders
from tests.adapters.nettbutikk.shop import emulator, store_on
from tests.adapters.nettbutikk.test_unit import order_row

ZONE = ZoneInfo("Europe/Oslo")
READER = WireReader(ZONE, "NOK")
PLAIN = PlainOrders(ZONE, "NOK")


def product_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "77", "unique_product_id": "77", "name": "T-skjorte", "variant": None,
        "article_no": "TS-77", "price": "249.00", "sales_price": None, "stock": "3",
        "modified_on": "2026-05-01 10:00:00", "attributes": [],
    }  # fmt: skip
    row.update(changes)
    return row


def read_product(row: dict[str, Any]) -> Product:
    return read_payload(Payload(row, "$.data[0]", "24nettbutikk"), READER.product)


# Sale prices ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sale", "price"),
    [(None, "249.00"), ("", "249.00"), ("0.00", "249.00"), ("199.00", "199.00"), (199, "199.00")],
)
def test_the_variant_price_is_the_reduced_one_when_there_is_one(sale: Any, price: str) -> None:
    product = read_product(product_row(sales_price=sale))
    (variant,) = product.variants
    assert variant.price is not None
    assert (variant.price.amount, variant.price.currency) == (Decimal(price), "NOK")
    on_sale = price != "249.00"
    assert variant.compare_at_price == (Money("249.00", "NOK") if on_sale else None)
    assert product.raw["sales_price"] == sale  # the reduced price is kept as sent


# Payment states ---------------------------------------------------------------------------
def both_ways(row: dict[str, Any]) -> tuple[Order, Order]:
    """The row read the fast way (its flags as text, as the shop sends them) and the
    careful way."""
    fast = read_plain(PLAIN.order, row, None, None)
    careful = read_payload(Payload(row, "$.data[0]", "24nettbutikk"), READER.order_carefully)
    if fast is None:  # a number or a boolean: only the careful way reads it
        assert not isinstance(row.get("paid"), str | None), row.get("paid")
        fast = READER.order(Payload(row, "$.data[0]", "24nettbutikk"))
    return fast, careful


@pytest.mark.parametrize(
    ("paid", "state"),
    [
        (None, FinancialStatus.UNKNOWN),
        ("1", FinancialStatus.PAID),
        (1, FinancialStatus.PAID),
        ("0", FinancialStatus.PENDING),
        (0, FinancialStatus.PENDING),
    ],
)
def test_the_paid_flag_reads_alike_both_ways(paid: Any, state: FinancialStatus) -> None:
    fast, careful = both_ways(order_row(paid=paid))
    assert fast == careful
    assert fast.financial_status is careful.financial_status is state


def test_an_order_without_a_paid_field_is_not_read_as_pending() -> None:
    row = order_row()
    del row["paid"]
    fast, careful = both_ways(row)
    assert fast.financial_status is careful.financial_status is FinancialStatus.UNKNOWN
    assert fast.financial_status_raw is None


def _blank_some_paid_flags(shop: NettbutikkEmulator) -> set[str]:
    """Blanks the ``paid`` flag of every third order; their numbers."""
    blanked = set()
    for index, record in enumerate(shop.state.table("orders").records):
        if index % 3 == 0:
            record["paid"] = None
            blanked.add(str(record["order_no"]))
    return blanked


def _states(shop: NettbutikkEmulator) -> dict[str, FinancialStatus]:
    """What each order's ``paid`` flag in the shop says, read by hand."""
    states = {True: FinancialStatus.PAID, False: FinancialStatus.PENDING}
    return {
        str(r["order_no"]): states.get(r["paid"], FinancialStatus.UNKNOWN)
        for r in shop.state.table("orders").records
    }


@pytest.mark.parametrize("strings", [True, False], ids=["text scalars", "number scalars"])
def test_orders_with_a_blank_paid_flag_list_and_filter_as_unknown(strings: bool) -> None:
    shop = emulator(orders=30, string_scalars=strings)
    blanked = _blank_some_paid_flags(shop)
    expected = _states(shop)
    assert {FinancialStatus.PAID, FinancialStatus.PENDING} <= set(expected.values())
    with store_on(shop, resolve_skus=False) as store:
        orders = list(store.orders.list())
        assert {o.ref: o.financial_status for o in orders} == expected
        pending = [o.ref for o in store.orders.list(financial_status="pending")]
        unknown = [o.ref for o in store.orders.list(financial_status="unknown")]
        one = store.orders.get(sorted(blanked)[0])
    assert not blanked & set(pending)
    assert set(unknown) == blanked
    assert one.financial_status is FinancialStatus.UNKNOWN


def test_orders_with_a_blank_paid_flag_under_faults_are_exact_or_an_error() -> None:
    shop = emulator(orders=60, customers=20, seed=5)
    _blank_some_paid_flags(shop)
    expected = _states(shop)
    outcomes: Counter[str] = Counter()
    injected = 0
    for seed in range(1, 5):
        faulty = FaultTransport(shop.transport(), seed=seed, rate=0.15)
        try:
            with store_on(shop, faulty, resolve_skus=False, page_size=10) as store:
                orders = list(store.orders.list())
        except StorebridgeError:
            outcomes["error"] += 1
            continue
        finally:
            injected += sum(faulty.injected.values())
        assert {o.ref: o.financial_status for o in orders} == expected, seed
        outcomes["exact"] += 1
    assert injected >= 3, injected
    assert outcomes["exact"] >= 3, outcomes
