"""SHOPLINE reads against the platform notes and the official SDK's endpoint docs.

Rows are written from the documented examples (``GET orders.json``, ``v2/customers.json``,
``products/products.json`` in the v20260301 reference): each documented shape reads as the
value it holds, the same on the fast and the careful way of reading orders, and a row that
cannot say what a field holds is a PayloadError naming it, never a default.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storebridge import Address, Money, OrderStatus, PayloadError
from storebridge.kit import Payload, platform_data
from storebridge.model import Order
from storebridge_shopline._converter import customer, order, product
from storebridge_shopline._fast_orders import fast_order
from tests.adapters.shopline.support import world

# The order list's example buyer: ``customer.addresses`` is one address object, not a list.
BUYER: dict[str, Any] = {
    "id": "4201057495", "email": "Washingtontest@gmail.com", "first_name": "Tom",
    "last_name": "Washington", "phone": "13100000000", "area_code": "+86", "currency": "USD",
    "created_at": "2024-08-31T02:20:26+08:00", "updated_at": "2022-11-04T10:18:46+00:00",
    "addresses": {"address1": "Wanda", "address2": "65788", "city": "Yangquan City",
                  "country": "China", "country_code": "US", "first_name": "Tom",
                  "last_name": "Washington", "name": "D203", "phone": "13100000000",
                  "province": "Shanxi Province", "province_code": "ASD", "zip": "521000"},
}  # fmt: skip
ORDER: dict[str, Any] = {
    "id": "21050224312121887324667162", "name": "D2034", "currency": "USD", "status": "open",
    "financial_status": "paid", "fulfillment_status": None, "cancelled_at": None,
    "current_total_price": "60.00", "subtotal_price": "52.00", "total_tax": "8.00",
    "total_discounts": "0.00", "created_at": "2024-08-31T02:20:26+08:00",
    "line_items": [{"id": "417", "quantity": 1, "price": "52.00", "title": "beautiful skirt",
                    "fulfillment_status": None}],
}  # fmt: skip


def _both(row: dict[str, Any]) -> tuple[Order | None, Order | PayloadError]:
    """The fast reading (None: the row is left to the careful way) and the careful one."""
    careful: Order | PayloadError
    try:
        with platform_data():
            careful = order(Payload(copy.deepcopy(row), "$", "shopline"))
    except PayloadError as exc:
        careful = exc
    return fast_order(copy.deepcopy(row)), careful


def _read(reader: Any, row: dict[str, Any], *args: Any) -> Any:
    with platform_data():
        return reader(Payload(row, "$", "shopline"), *args)


def test_the_orders_buyer_has_its_one_address_object_read_alike_both_ways() -> None:
    fast, careful = _both({**ORDER, "customer": BUYER})
    assert isinstance(careful, Order), careful
    assert fast is not None and fast == careful
    assert careful.customer is not None
    assert careful.customer.addresses == (
        Address(first_name="Tom", last_name="Washington", line1="Wanda", line2="65788",
                city="Yangquan City", region="Shanxi Province", postal_code="521000",
                country="US", phone="13100000000"),
    )  # fmt: skip
    blank = {**BUYER, "addresses": {"address1": "", "city": None}}
    fast, careful = _both({**ORDER, "customer": blank})
    assert isinstance(careful, Order) and fast == careful
    assert careful.customer is not None and careful.customer.addresses == ()


def test_a_canceled_order_is_cancelled_both_ways_without_cancelled_at() -> None:
    # The orders API answers "canceled"; its list filter and the webhooks say "cancelled".
    for spelling in ("canceled", "cancelled"):
        fast, careful = _both({**ORDER, "status": spelling})
        assert isinstance(careful, Order) and fast == careful
        assert careful.status is OrderStatus.CANCELLED and careful.status_raw == spelling
    fast, careful = _both({**ORDER, "status": "archived"})  # undocumented: kept, not guessed
    assert isinstance(careful, Order) and fast == careful
    assert careful.status is OrderStatus.UNKNOWN and careful.status_raw == "archived"


def test_regions_given_only_as_iso_codes_are_read_both_ways() -> None:
    # Order addresses carry standard_province_code (July 2025); customer addresses from
    # v20250601 carry province_code_v2 instead of the deprecated province_code.
    shipping = {
        "address1": "7720 Cherokee Road",
        "city": "Louisville",
        "zip": "40205",
        "country_code": "US",
        "province": "",
        "standard_province_code": "US-KY",
    }
    fast, careful = _both({**ORDER, "shipping_address": shipping})
    assert isinstance(careful, Order) and fast == careful
    assert careful.shipping_address is not None and careful.shipping_address.region == "US-KY"
    found = _read(customer, {"id": "4201057495", "addresses": [
        {"address1": "7720 Cherokee Road", "city": "Louisville", "zip": "40205",
         "country_code": "US", "province_code_v2": "KY", "default": True}]})  # fmt: skip
    assert found.addresses[0].region == "KY"


@pytest.mark.parametrize(("state", "accepts"), [(0, False), (1, True), (2, False), (3, False)])
def test_email_consent_states_are_the_documented_four(state: int, accepts: bool) -> None:
    row = {"id": "4201057495", "email_marketing_consent": {"state": state, "opt_in_level": 1}}
    assert _read(customer, row).accepts_marketing is accepts


def test_an_undocumented_email_consent_state_is_a_payload_error() -> None:
    row = {"id": "4201057495", "email_marketing_consent": {"state": 7}}
    with pytest.raises(PayloadError) as caught:
        _read(customer, row)
    assert caught.value.path == "$.email_marketing_consent.state"


VARIANT: dict[str, Any] = {
    "id": "18057850264851626133510282", "product_id": "16057850264845250791280282",
    "title": "Red/L", "sku": "S000000001", "price": "90", "inventory_quantity": "99",
    "inventory_tracker": True, "inventory_policy": "deny",
}  # fmt: skip
PRODUCT: dict[str, Any] = {
    "id": "16057850264845250791280282", "title": "product title", "status": "active",
    "created_at": "", "updated_at": "", "variants": [VARIANT],
}  # fmt: skip


def test_the_overview_products_variant_reads_its_price_and_stock() -> None:
    (found,) = _read(product, PRODUCT, "USD").variants
    assert found.price == Money("90", "USD") and found.stock == 99


def test_a_product_row_without_its_variants_list_is_a_payload_error() -> None:
    row = {k: v for k, v in PRODUCT.items() if k != "variants"}
    for given in (row, {**row, "variants": None}):
        with pytest.raises(PayloadError) as caught:
            _read(product, given, "USD")
        assert caught.value.path == "$.variants"
    assert _read(product, {**row, "variants": []}, "USD").variants == ()  # says: none


def test_a_tracked_variant_without_its_quantity_is_a_payload_error() -> None:
    for tracker in (True, None):
        row = {k: v for k, v in VARIANT.items() if k != "inventory_quantity"}
        row["inventory_tracker"] = tracker
        with pytest.raises(PayloadError) as caught:
            _read(product, {**PRODUCT, "variants": [row]}, "USD")
        assert caught.value.path == "$.variants[0].inventory_quantity"
    untracked = {**VARIANT, "inventory_tracker": False, "inventory_quantity": None}
    assert _read(product, {**PRODUCT, "variants": [untracked]}, "USD").variants[0].stock is None


def test_the_sandbox_serves_each_orders_buyer_with_its_address() -> None:
    w = world(orders=6, customers=3, products=3, rate_limit=False)
    with w.connect() as store:
        orders = list(store.orders.list())
        customers = {c.ref: c for c in store.customers.list()}
    assert len(orders) == 6
    for found in orders:
        assert found.customer is not None
        stub = found.raw["customer"]
        assert isinstance(stub["addresses"], dict)
        assert found.customer.addresses == customers[found.customer.ref].addresses[:1]
