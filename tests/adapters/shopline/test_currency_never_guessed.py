"""Amounts are read in a currency known for sure, never in a guessed one.

Products carry no currency: they are priced in the store's settlement currency, read first
(``merchants/shop.json``). A refund without transactions (one that only restocks) names no
currency either: it is in its order's, which the order says (the settlement currency may
be another one). Before the store's currency is read, a record that needs it is a
PayloadError naming ``currency``.
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge import Money, OrderDraft, OrderLineDraft, ProductDraft, RefundLine, VariantDraft
from storebridge.errors import PayloadError
from storebridge.model import Product
from storebridge.testing import FaultTransport
from storebridge_shopline import ShoplineAdapter
from tests.adapters.shopline.support import World, api_requests, paid_order, world
from tests.support.faults import FailNextPost

MUG = {"id": "7001", "title": "Mug", "variants": [{"id": "8001", "sku": "MUG", "price": "199.00",
                                                   "inventory_tracker": True,
                                                   "inventory_quantity": 12}]}  # fmt: skip


def _refunded(w: World, ref: str) -> dict[str, Any]:
    """Refund one unit of ``ref``'s first line; the refund as the emulator keeps it."""
    line = w.emulator.orders[ref]["line_items"][0]
    with w.connect() as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
        store.refunds.create(quote)
    stored: dict[str, Any] = w.emulator.orders[ref]["refunds"][-1]
    return stored


def _restock_only(stored: dict[str, Any]) -> None:
    """The refund as SHOPLINE lists one that moved no money: no transactions."""
    stored["transactions"] = []


def test_a_refund_naming_no_currency_is_read_in_its_orders_not_a_guessed_one() -> None:
    w = world(orders=3, currency="NOK", rate_limit=False)
    ref = paid_order(w)
    _restock_only(_refunded(w, ref))
    with w.connect() as store:  # has not read the store's currency
        [refund] = store.extra.list_refunds(ref)
    assert refund.amount == Money("0", "NOK")
    assert [line.amount.currency for line in refund.lines if line.amount] == ["NOK"]


def test_a_refund_of_an_order_in_another_currency_is_read_in_the_orders() -> None:
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    line = OrderLineDraft(title="Mug", quantity=2, unit_price=Money("10.00", "EUR"))
    with w.connect() as store:
        ref = store.orders.create(
            OrderDraft(currency="EUR", lines=(line,), total=Money("20.00", "EUR"))
        ).ref
    _restock_only(_refunded(w, ref))
    with w.connect() as store:
        assert store.extra.shop_currency() == "NOK"
        [refund] = store.extra.list_refunds(ref)
    assert refund.amount == Money("0", "EUR")
    assert [line.amount for line in refund.lines] == [Money("10.00", "EUR")]


@pytest.mark.parametrize("transactions", [True, False])
def test_the_order_is_read_only_for_a_refund_that_names_no_currency(transactions: bool) -> None:
    w = world(orders=3, currency="NOK", rate_limit=False)
    ref = paid_order(w)
    stored = _refunded(w, ref)
    if not transactions:
        _restock_only(stored)
    before = len(api_requests(w.emulator))
    with w.connect() as store:
        [refund] = store.extra.list_refunds(ref)
    asked = [path.rsplit("/", 1)[-1] for path in api_requests(w.emulator)[before:]]
    assert asked == (["refunds.json"] if transactions else ["refunds.json", "orders.json"])
    assert refund.lines[0].amount is not None and refund.lines[0].amount.currency == "NOK"


def test_a_product_read_before_the_stores_currency_is_a_payload_error() -> None:
    w = world(orders=1, currency="NOK", rate_limit=False)
    adapter = ShoplineAdapter.from_settings(**w.settings)
    with pytest.raises(PayloadError) as err:
        adapter.converter().structure(MUG, Product)
    assert err.value.path == "$.currency" and "shop_currency()" in str(err.value)
    adapter.currency = "NOK"  # what reading merchants/shop.json sets
    assert adapter.converter().structure(MUG, Product).variants[0].price == Money("199", "NOK")


def _shop_faults(kinds: list[str]) -> Any:
    """The store's currency read meets ``kinds`` in turn (then answers)."""

    def script(number: int, request: Any) -> str | None:
        if "merchants/shop.json" in request.url.path and kinds:
            return kinds.pop(0)
        return None

    return script


READS = {
    "products.list": lambda store: next(iter(store.products.list())),
    "products.get": lambda store: store.products.get(next(iter(store.products.list())).ref),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_products_read_first_on_a_connection_are_priced_in_the_stores_currency(read: str) -> None:
    w = world(orders=1, currency="NOK", rate_limit=False)
    faulty = FaultTransport(w.emulator.transport(), script=_shop_faults(
        ["server_error", "truncated", "wrong_shape"]))  # fmt: skip
    with w.connect(transport=faulty) as store:
        product = READS[read](store)
    assert faulty.injected == {"server_error": 1, "truncated": 1, "wrong_shape": 1}
    assert {v.price.currency for v in product.variants if v.price} == {"NOK"}


@pytest.mark.parametrize("lost", ["reset_after", "timeout_after", "lost_502", "truncated"])
def test_a_product_created_first_on_a_connection_is_priced_in_the_stores_currency(
    lost: str,
) -> None:
    w = world(orders=1, currency="NOK", rate_limit=False)
    fail = FailNextPost("/products/products.json")
    with w.connect(transport=FaultTransport(w.emulator.transport(), script=fail)) as store:
        fail.kind = lost  # its answer is lost: the product is read back
        made = store.products.create(
            ProductDraft(title="Kopp", variants=(VariantDraft(sku="KOPP-1",
                                                              price=Money("99", "NOK")),))
        )  # fmt: skip
    assert made.variants[0].price == Money("99", "NOK")
    assert sum(p["title"] == "Kopp" for p in w.emulator.products.values()) == 1
