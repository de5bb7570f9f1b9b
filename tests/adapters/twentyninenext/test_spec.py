"""The emulator and the adapter against the vendor's OpenAPI specs (2024-04-01, 2023-02-10).

The specs are read from STOREBRIDGE_29NEXT_SPEC_DIR or ../shared/platforms/29next-openapi/;
without them these tests skip and say where they looked.
"""

from __future__ import annotations

import json

import pytest

import storebridge
from storebridge import (
    Address,
    CustomerDraft,
    CustomerUpdate,
    Money,
    OrderDraft,
    OrderLineDraft,
    ProductDraft,
    RefundLine,
    RestockType,
    VariantDraft,
)
from storebridge.http import Request, Response
from tests.adapters.twentyninenext.support import fixtures, spec

pytestmark = [
    pytest.mark.spec,
    pytest.mark.skipif(spec.spec_dir() is None, reason=spec.missing_reason()),
]


def test_a_full_session_has_zero_violations() -> None:
    harness = fixtures.Harness(orders=30)
    with harness.connect() as store:
        orders = list(store.orders.list(detail=True))
        fulfilled = next(
            o for o in orders
            if o.financial_status_raw == "paid" and o.fulfillment_status_raw == "fulfilled"
            and o.shipping_total and o.shipping_total.amount > 0
        )  # fmt: skip
        quote = store.refunds.calculate(
            fulfilled.ref,
            lines=[
                RefundLine(
                    line_ref=fulfilled.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK
                )
            ],
            shipping=Money("2.00", "USD"),
        )
        store.refunds.create(quote, note="spec", notify=True)
        customer = store.customers.create(CustomerDraft(email="spec@example.com", tags=("t",)))
        store.customers.update(customer.ref, CustomerUpdate(phone="+15125550000"))
        list(store.customers.list())
        list(store.products.list())
        list(store.transactions.list())
        unfulfilled = next(
            o
            for o in orders
            if o.fulfillment_status_raw == "unfulfilled" and o.financial_status_raw == "paid"
        )
        fos = store.extra.fulfillment_orders(unfulfilled.ref)
        assert fos, "the seeded unfulfilled order has no fulfillment order to move"
        store.extra.available_locations(fos[0].ref)
        store.extra.move_fulfillment_order(fos[0].ref, "3")
        store.orders.cancel(unfulfilled.ref, reason="spec", refund=True)
    with harness.connect(api_version="2023-02-10") as legacy:
        list(legacy.orders.list())
        order = legacy.orders.get(orders[0].ref)
        legacy.refunds.create(
            storebridge.RefundQuote(
                platform="29next", order_ref=order.ref, lines=(), total=Money("1.00", "USD")
            )
        )
    assert harness.checker is not None
    operations = {entry.split()[0] for entry in harness.checker.checked}
    assert {
        "ordersList", "ordersRetrieve", "ordersRefundCalculateCreate", "ordersRefundCreate",
        "usersCreate", "usersPartialUpdate", "usersList", "productsList", "transactionsList",
        "ordersCancelCreate", "ordersFulfillmentOrdersRetrieve", "fulfillmentOrdersMove",
    } <= operations  # fmt: skip
    assert harness.checker.violations == []


def test_day_windows_and_every_write_keep_to_the_spec() -> None:
    harness = fixtures.Harness(orders=130)
    harness.options = fixtures.options_for(harness.clock, max_concurrency=8)  # day windows
    with harness.connect(day_windows=True) as store:
        assert len(list(store.orders.list(detail=True))) == 130
        list(store.transactions.list())
        unfulfilled = store.orders.get("100001")
        fo = store.extra.fulfillment_orders(unfulfilled.ref)[0]
        store.extra.hold_fulfillment_order(fo.ref, reason="other", message="wait")
        store.orders.update_shipping_address(
            unfulfilled.ref, Address(line1="2 Rd", city="Austin", country="US")
        )
        store.products.create(
            ProductDraft(title="Spec Lamp",
                         variants=(VariantDraft(sku="SPEC-1", price=Money("9.00", "USD"),
                                                stock=2),), tags=("sb:spec",))
        )  # fmt: skip
        store.orders.create(
            OrderDraft(currency="USD", total=Money("23.20", "USD"),
                       tax_total=Money("1.20", "USD"), shipping_total=Money("4.00", "USD"),
                       lines=(OrderLineDraft(title="Lamp", quantity=2,
                                             unit_price=Money("9.00", "USD"), sku="SPEC-1"),),
                       email="spec.buyer@example.com", tags=("sb:spec:o",))
        )  # fmt: skip
    assert harness.checker is not None
    listed = [e for e in harness.checker.checked if e.startswith("ordersList")]
    assert len(listed) > 10  # a first page, probes and windows
    assert harness.checker.violations == []


def _exchange(
    method: str, path: str, status: int, body: object, sent: object = None
) -> tuple[Request, Response]:
    content = json.dumps(sent).encode() if sent is not None else b""
    request = Request(
        method, f"https://acme.29next.store{path}", content=content,
        headers={"X-29next-API-Version": "2024-04-01", "Content-Type": "application/json"},
    )  # fmt: skip
    response = Response(status, json=body, request=request)
    return request, response


def test_the_checker_catches_a_bad_response_and_a_bad_request() -> None:
    checker = spec.SpecChecker()
    checker.check(
        *_exchange("GET", "/api/admin/users/1/", 200, {"id": 1, "email": "x@example.com"})
    )
    assert any("date_joined" in v for v in checker.violations)
    checker = spec.SpecChecker()
    checker.check(
        *_exchange(
            "POST", "/api/admin/orders/1/cancel/", 400, {"detail": "x"}, sent={"full_refund": True}
        )
    )
    assert any("cancel_reason" in v for v in checker.violations)
    checker = spec.SpecChecker()
    request, response = _exchange("GET", "/api/admin/orders/", 200, {"results": [], "next": None})
    request.headers["X-29next-API-Version"] = "1999-01-01"
    checker.check(request, response)
    assert checker.violations  # the version header is checked too


def test_exceptions_are_documented() -> None:
    assert set(spec.EXCEPTIONS) == {
        "ordersFulfillmentOrdersRetrieve", "fulfillmentRequestSend", "availableLocationsRetrieve",
    }  # fmt: skip
    assert all(len(e.reason) > 40 for e in spec.EXCEPTIONS.values())
