"""24Nettbutikk prices and payment states as the notes define them.

* A product's ``sales_price`` is the reduced price it sells at during a sale, and the API
  has no sale flag or dates: a set ``sales_price`` is what the product is charged at, so it
  is the variant's ``price`` (the normal price stays in ``raw``). ``0.00`` or blank means no
  reduced price; one above the normal price (or without one) is a PayloadError.
* An order's ``paid`` is a "fully paid" flag; null is a blank field, so whether the order
  was paid is unknown: UNKNOWN, not PENDING, on the fast and the careful way alike.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storebridge.errors import PayloadError, StorebridgeError
from storebridge.kit import Payload, read_payload, read_plain
from storebridge.migrate.mapping import product_draft
from storebridge.model import FinancialStatus, Order, Product
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
@pytest.mark.parametrize("sale", ["199.00", 199, 199.0, "199"])
def test_a_product_on_sale_is_read_at_its_sale_price(sale: Any) -> None:
    product = read_product(product_row(sales_price=sale))
    (variant,) = product.variants
    assert variant.price is not None
    assert (variant.price.amount, variant.price.currency) == (Decimal(199), "NOK")
    assert product.raw["price"] == "249.00"  # the normal price is still there


@pytest.mark.parametrize("sale", [None, "", "0.00", 0, "249.00"])
def test_without_a_reduced_price_the_normal_price_is_read(sale: Any) -> None:
    (variant,) = read_product(product_row(sales_price=sale)).variants
    assert variant.price is not None and variant.price.amount == Decimal("249.00")


def test_a_row_without_sales_price_at_all_reads_its_normal_price() -> None:
    row = product_row()
    del row["sales_price"]
    (variant,) = read_product(row).variants
    assert variant.price is not None and variant.price.amount == Decimal("249.00")


@pytest.mark.parametrize(
    ("price", "sale", "words"),
    [
        ("249.00", "299.00", "not a reduction of price 249.00"),
        (None, "199.00", "not a reduction of no price"),
        ("249.00", "-10.00", "cannot be negative"),
        ("249.00", "tilbud", ""),
    ],
)
def test_a_sale_price_that_cannot_be_read_either_way_is_a_payload_error(
    price: Any, sale: str, words: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        read_product(product_row(price=price, sales_price=sale))
    assert caught.value.path == "$.data[0].sales_price"
    assert words in str(caught.value)


def test_each_variant_row_is_read_at_what_it_sells_for() -> None:
    base = product_row(attributes={"Størrelse": ["S", "M"]})
    rows = [
        Payload(product_row(unique_product_id="77-1", article_no="TS-77-S",
                            sales_price="199.00"), "$.data[0]", "24nettbutikk"),
        Payload(product_row(unique_product_id="77-2", article_no="TS-77-M", price="259.00"),
                "$.data[1]", "24nettbutikk"),
    ]  # fmt: skip
    product = read_payload(Payload(base, "$", "24nettbutikk"), READER.product, rows)
    prices = {v.sku: v.price.amount for v in product.variants if v.price is not None}
    assert prices == {"TS-77-S": Decimal("199.00"), "TS-77-M": Decimal("259.00")}
    # A migration creates the variants at the prices they are charged at.
    draft = product_draft(product, "from-24nb")
    assert {v.sku: v.price.amount for v in draft.variants} == prices


def _on_sale(shop: NettbutikkEmulator) -> dict[str, Decimal]:
    """Puts every product of ``shop`` on sale at 10 below its lowest price; the sale price
    of each variant's SKU (or the product's, without variants)."""
    expected: dict[str, Decimal] = {}
    for product in shop.state.table("products").records:
        variants = product["variants"]
        lowest = min([v["price"] for v in variants] or [product["price"]])
        product["sales_price"] = lowest - 10
        for v in variants or [product]:
            expected[v["article_no"]] = lowest - 10
    return expected


@pytest.mark.parametrize("strings", [True, False], ids=["text scalars", "number scalars"])
def test_products_on_sale_are_listed_and_got_at_their_sale_price(strings: bool) -> None:
    shop = emulator(products=8, string_scalars=strings)
    expected = _on_sale(shop)
    assert any(p["variants"] for p in shop.state.table("products").records)
    with store_on(shop) as store:
        listed = list(store.products.list())
        got = [store.products.get(p.ref) for p in listed]
    for products in (listed, got):
        prices = {v.sku: v.price.amount for p in products for v in p.variants if v.price}
        assert prices == expected


def test_products_on_sale_under_faults_are_exact_or_an_error() -> None:
    shop = emulator(products=12, seed=3)
    expected = _on_sale(shop)
    outcomes: Counter[str] = Counter()
    injected = 0
    for seed in range(1, 6):
        faulty = FaultTransport(shop.transport(), seed=seed, rate=0.2)
        try:
            with store_on(shop, faulty, page_size=4) as store:
                products = list(store.products.list())
        except StorebridgeError:
            outcomes["error"] += 1
            continue
        finally:
            injected += sum(faulty.injected.values())
        prices = {v.sku: v.price.amount for p in products for v in p.variants if v.price}
        assert prices == expected, seed
        outcomes["exact"] += 1
    assert injected >= 3, injected
    assert outcomes["exact"] >= 3, outcomes


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
