"""29 Next answers the spec allows that were read wrong in silence.

- a transaction without its own currency took the reporting currency of ``report_values``
  for its own amount (12.00 read as 12.00 USD where 13.10 USD is the reported figure);
- a variant's first price without a currency was skipped for a later one (another
  currency) or read as no price at all;
- an address's ``line3`` (an apartment, a floor) was dropped;
- a line whose units were all removed read as fulfilled.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storebridge.errors import PayloadError
from storebridge.kit import Payload
from storebridge.model import FulfillmentStatus, Money, Order, Product, Transaction
from storebridge_29next._converter import structure
from tests.support.fake_time_store import kit


def _read(body: dict[str, Any], cls: type[Any]) -> Any:
    return structure(Payload(body, "$", "29next"), cls)


@pytest.fixture(scope="module")
def shop_rows() -> dict[str, Any]:
    with kit("29next", orders=3, products=2).store() as store:
        order = store.orders.get(next(iter(store.orders.list())).ref)
        product = store.products.get(next(iter(store.products.list())).ref)
    return {"order": dict(order.raw), "product": dict(product.raw)}


def test_a_transaction_without_a_currency_takes_the_reported_amount_with_its_currency() -> None:
    body = {"id": 7001, "type": "debit", "status": "succeeded", "amount": "12.00",
            "currency": None, "report_values": {"amount": "13.10", "currency": "USD"}}  # fmt: skip
    assert _read(body, Transaction).amount == Money("13.10", "USD")


def test_a_transaction_with_no_currency_anywhere_is_refused() -> None:
    body = {"id": 7001, "type": "debit", "status": "succeeded", "amount": "12.00",
            "currency": None}  # fmt: skip
    with pytest.raises(PayloadError, match="no currency"):
        _read(body, Transaction)


@pytest.mark.parametrize(
    "prices",
    [
        [{"price": "38.99"}],
        [{"price": "38.99"}, {"currency": "EUR", "price": "35.00"}],
    ],
)
def test_a_first_price_without_a_currency_is_refused(
    shop_rows: dict[str, Any], prices: list[dict[str, Any]]
) -> None:
    product = copy.deepcopy(shop_rows["product"])
    product["variants"][0]["prices"] = prices
    with pytest.raises(PayloadError, match="names no currency") as caught:
        _read(product, Product)
    assert caught.value.path.endswith("variants[0].prices[0].currency")


def test_the_first_price_is_the_variant_s(shop_rows: dict[str, Any]) -> None:
    product = copy.deepcopy(shop_rows["product"])
    product["variants"][0]["prices"] = [
        {"currency": "EUR", "price": "35.00"},
        {"currency": "USD", "price": "38.99"},
    ]
    assert _read(product, Product).variants[0].price == Money("35.00", "EUR")


def test_line3_is_kept_on_line2(shop_rows: dict[str, Any]) -> None:
    order = copy.deepcopy(shop_rows["order"])
    order["shipping_address"] = {
        "first_name": "A", "last_name": "B", "line1": "Storgata 1", "line2": "Bygg C",
        "line3": "Leilighet 504", "line4": "Oslo", "postcode": "0150", "country": "NO",
    }  # fmt: skip
    address = _read(order, Order).shipping_address
    assert address is not None
    assert (address.line1, address.line2, address.city) == (
        "Storgata 1", "Bygg C, Leilighet 504", "Oslo",
    )  # fmt: skip


def test_a_line_with_every_unit_removed_is_not_fulfilled(shop_rows: dict[str, Any]) -> None:
    order = copy.deepcopy(shop_rows["order"])
    order["lines"][0].update(quantity=2, current_quantity=0, fulfillable_quantity=0)
    line = _read(order, Order).lines[0]
    assert line.quantity == 0
    assert line.fulfillment_status is FulfillmentStatus.UNKNOWN


def test_line3_is_not_doubled_by_writing_the_address_back() -> None:
    # line2 holds line3 once read: written back, line3 is cleared, not added again.
    shop = kit("29next", orders=3)
    number = next(iter(shop.emulator.state.orders))
    record = shop.emulator.state.orders[number]
    record.shipping_address = {
        "first_name": "A", "last_name": "B", "line1": "Storgata 1", "line2": "Apt 4",
        "line3": "Floor 2", "line4": "Oslo", "postcode": "0150", "country": "NO",
    }  # fmt: skip
    with shop.store() as store:
        for _ in range(3):
            address = store.orders.get(number).shipping_address
            assert address is not None
            store.orders.update_shipping_address(number, address)
        final = store.orders.get(number).shipping_address
    assert final is not None and final.line2 == "Apt 4, Floor 2"
