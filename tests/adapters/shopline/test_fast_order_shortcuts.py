"""The fast way's shortcuts: an order's addresses read once when they are the same (and each
its own when not), and a money twin spelled as its plain field not parsed again, which must
never take what the careful way refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storebridge import PayloadError
from storebridge.kit import Payload, platform_data
from storebridge_shopline._converter import order
from storebridge_shopline._fast_orders import fast_order
from tests.adapters.shopline.support import wire, world


def _row() -> dict[str, Any]:
    w = world(orders=2, rate_limit=False)
    row: dict[str, Any] = wire(w, "GET", "orders.json", status="any", limit="1")["orders"][0]
    return row


def _careful(row: dict[str, Any]) -> Any:
    with platform_data():
        return order(Payload(copy.deepcopy(row), "$", "shopline"))


def test_the_same_address_three_times_is_one_object_equal_to_the_careful_reading() -> None:
    row = _row()
    row["billing_address"] = dict(row["shipping_address"])
    row["customer"]["addresses"] = dict(row["shipping_address"])
    fast = fast_order(row)
    assert fast is not None and fast == _careful(row)
    assert fast.shipping_address is fast.billing_address is fast.customer.addresses[0]  # type: ignore[union-attr]


def test_different_addresses_in_one_order_stay_different() -> None:
    row = _row()
    row["billing_address"] = {**row["shipping_address"], "city": "Bergen", "zip": "5003"}
    row["customer"]["addresses"] = {**row["shipping_address"], "address1": "Other Street 1"}
    fast = fast_order(row)
    assert fast is not None and fast == _careful(row)
    assert fast.billing_address is not None and fast.billing_address.city == "Bergen"
    assert fast.shipping_address != fast.billing_address
    assert fast.customer is not None and fast.customer.addresses[0].line1 == "Other Street 1"


def test_an_unusual_value_in_a_later_address_is_left_to_the_careful_way() -> None:
    row = _row()
    row["billing_address"] = {**row["shipping_address"], "city": ["not", "text"]}
    assert fast_order(row) is None  # the careful way reads (or refuses) the row


@pytest.mark.parametrize(("plain", "twin"), [(1, True), (0, False), (1.0, True)])
@pytest.mark.parametrize(
    "field", ["current_total_price", "subtotal_price", "total_tax", "total_discounts"]
)
def test_a_boolean_twin_equal_to_its_plain_amount_is_left_to_the_careful_way(
    field: str, plain: Any, twin: bool
) -> None:
    """``True == 1`` in Python: only identical text may skip parsing the twin."""
    row = _row()
    row[field] = plain
    row[f"{field}_set"] = {"shop_money": {"amount": twin, "currency_code": row["currency"]}}
    assert fast_order(row) is None
    with pytest.raises(PayloadError, match="amount"):
        _careful(row)


def test_a_line_price_twin_that_is_a_boolean_is_left_to_the_careful_way() -> None:
    row = _row()
    line = row["line_items"][0]
    line["price"] = 1
    line["price_set"] = {"shop_money": {"amount": True, "currency_code": row["currency"]}}
    assert fast_order(row) is None
    with pytest.raises(PayloadError, match="amount"):
        _careful(row)


def test_a_twin_spelled_as_its_plain_amount_gives_the_careful_reading() -> None:
    row = _row()
    row["total_tax"] = "1e2"
    row["total_tax_set"] = {"shop_money": {"amount": "1e2", "currency_code": row["currency"]}}
    fast = fast_order(row)
    assert fast is not None and fast == _careful(row)
    assert fast.tax_total is not None and fast.tax_total.amount == 100
