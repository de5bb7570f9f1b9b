"""Orders, their lines, transactions and fulfillment orders as each API version's spec has
them (2023-02-10 and 2024-04-01), read by the adapter; and the emulator serving each version
its own shape, every field checked against that version's schema (undeclared ones too).

* A 2023-02-10 order list row embeds its lines but not its refunds or transactions: it read
  as a complete order (``partial=False``) never paid nor refunded. It is ``partial`` now, and
  ``detail=True`` / ``orders.get`` fill it.
* A 2024-04-01 line's ``quantity`` counts units removed since: a line without its
  ``current_quantity`` read that instead. Each version's own field is read, or PayloadError.
* A line without its SKU field (2024-04-01 ``sku``, 2023-02-10 ``stockrecord``) read with
  none; a fulfillment order line without its ``quantity`` read as 0 units.
* Transactions embedded in an order (``TransactionObject`` has no ``order`` field) read with
  no order: ``transactions.list(order_ref=...)`` returned them without it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from storebridge import PayloadError, http
from storebridge.model import Address, CustomerUpdate, Money, RefundLine, RefundQuote, RestockType
from storebridge.sandbox.webhooks import WebhookOptions
from tests.adapters.twentyninenext.support import closed_spec, fixtures, spec
from tests.adapters.twentyninenext.support.sandbox import BASE, Sandbox

LEGACY, CURRENT = "2023-02-10", "2024-04-01"
VERSIONS = [CURRENT, LEGACY]
NUMBER = "100777"
PLACED, UPDATED = "2025-03-01T10:00:00Z", "2025-03-04T09:30:00Z"
_GONE = object()
"""A field left out."""


# Rows written from the specs ------------------------------------------------------------------
def _txn(ident: int, kind: str, amount: str, parent: int | None = None) -> dict[str, Any]:
    """A ``TransactionObject`` (an order's and a refund's; it has no ``order`` field)."""
    return {
        "id": ident, "type": kind, "status": "succeeded", "amount": amount, "currency": "USD",
        "parent_id": parent, "date_created": PLACED, "response_code": 100,
        "payment_method": "card_token", "is_external": False, "is_disputed": False,
        "payment_details": {"bankcard_first_six": "424242", "bankcard_last_four": "4242",
                            "card_token": "tok_1", "is_3ds": False, "optimized_3ds": False,
                            "gateway": {"id": 3, "name": "Bankcard", "type": "bankcard"},
                            "paypal_vault_id": "", "sca_flow": ""},
        "report_values": {"amount": amount, "currency": "USD"},
    }  # fmt: skip


REFUND: dict[str, Any] = {
    "id": 31, "order_number": NUMBER, "user_id": 42, "created_at": UPDATED, "note": None,
    "total_refund_amount": "19.00", "total_return_excl_tax": "19.00",
    "total_return_incl_tax": "19.00", "adjustments": [],
    "refund_line_items": [{"id": 71, "line_item_id": 9001, "location_id": 1, "quantity": 1,
                           "restock_type": "cancel", "amount_excl_tax": "19.00",
                           "amount_incl_tax": "19.00",
                           "report_values": {"amount_excl_tax": "19.00",
                                             "amount_incl_tax": "19.00", "currency": "USD"}}],
    "transactions": [_txn(802, "refund", "19.00", 801)],
    "report_values": {"currency": "USD", "total_refund_amount": "19.00",
                      "total_return_excl_tax": "19.00", "total_return_incl_tax": "19.00"},
}  # fmt: skip
"""A ``Refund`` (the same in both versions)."""


def _line(version: str, *, detail: bool) -> dict[str, Any]:
    """Line 9001, two units of SKU DL-S at 19.00 on the order (2024-04-01: three were
    ordered, one removed since)."""
    line: dict[str, Any] = {
        "id": 9001, "price_incl_tax": "19.00", "price_excl_tax": "19.00", "unit_cost": "5.00",
        "total_cost": "10.00", "is_upsell": False, "is_gift_card": False, "metadata": {},
        "created_at": PLACED, "updated_at": UPDATED,
    }  # fmt: skip
    if version == LEGACY:  # OrderLineDetail; list rows: that version's OrderLine
        line.update({
            "quantity": 2, "price_currency": "USD", "price_incl_tax_excl_discounts": "19.00",
            "price_excl_tax_excl_discounts": "19.00",
            "product": {"id": 184, "title": "Desk Lamp", "url": f"{BASE}/catalogue/desk-lamp/",
                        "images": [], "categories": [], "upc": None},
            "stockrecord": {"id": 501, "partner_sku": "DL-S", "price": "19.00",
                            "price_currency": "USD", "num_in_stock": 4, "num_allocated": 0},
        })  # fmt: skip
        if detail:
            line["tax_lines"] = []
        return line
    line.update({
        "product_id": 184, "variant_id": 185, "sku": "DL-S", "product_title": "Desk Lamp",
        "variant_title": "Small", "product_image": f"{BASE}/media/products/184.png",
        "product_url": f"{BASE}/catalogue/desk-lamp/", "currency": "USD", "quantity": 3,
        "current_quantity": 2, "fulfillable_quantity": 0, "editable_quantity": 0,
        "original_price_incl_tax": "19.00", "original_price_excl_tax": "19.00",
        "total_discount": "0.00", "original_total_discount": "0.00", "tax_lines": [],
        "requires_shipping": True,
        "report_values": {"currency": "USD", "price_incl_tax": "19.00",
                          "price_excl_tax": "19.00", "original_price_incl_tax": "19.00",
                          "original_price_excl_tax": "19.00", "total_discount": "0.00",
                          "original_total_discount": "0.00", "unit_cost": "5.00",
                          "total_cost": "10.00"},
    })  # fmt: skip
    return line


def _amounts(version: str) -> dict[str, str]:
    money = {
        "total_incl_tax": "42.00", "total_excl_tax": "42.00", "total_cost": "10.00",
        "shipping_incl_tax": "4.00", "shipping_excl_tax": "4.00",
        "original_total_incl_tax": "61.00", "original_total_excl_tax": "61.00",
        "original_shipping_incl_tax": "4.00", "original_shipping_excl_tax": "4.00",
    }  # fmt: skip
    if version != LEGACY:
        money.update({"total_discount": "0.00", "original_total_discount": "0.00",
                      "total_outstanding": "0.00"})  # fmt: skip
    return money


def order_row(version: str) -> dict[str, Any]:
    """An ``OrderList`` row of ``version``: 2023-02-10's embeds lines, addresses and tags."""
    row: dict[str, Any] = {
        "number": NUMBER, "status": "open", "payment_status": "partially_refunded",
        "fulfillment_status": "fulfilled", "currency": "USD", "display_taxes": "excl",
        "is_test": False, "source": "checkout", "metadata": {}, "shipping_code": "standard",
        "order_status_url": f"{BASE}/checkout/order/{NUMBER}/",
        "shipping_method": "Standard Shipping", "created_at": PLACED, "updated_at": UPDATED,
        "date_placed": PLACED, "total_tax": "0.00", "shipping_tax": "0.00",
        "user": {"id": 42, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lund"},
        **_amounts(version),
    }  # fmt: skip
    if version != LEGACY:
        return row
    address = {"id": 7, "first_name": "Ada", "last_name": "Lund", "line1": "1 Main St",
               "line4": "Austin", "state": "TX", "postcode": "78701", "country": "US"}  # fmt: skip
    row.update({
        "attribution": {"agent": {"id": 1}}, "shipping_address": address,
        "billing_address": address, "lines": [_line(version, detail=False)],
        "offer_discounts": [], "voucher_discounts": [], "subscription_lifecycle": "non-recurring",
        "subscriptions": [], "tags": ["vip"],
    })  # fmt: skip
    return row


def order_detail(version: str) -> dict[str, Any]:
    """An ``Order`` of ``version``: 61.00 paid (801), one unit refunded and taken off the
    order (802), 42.00 left."""
    # Both versions' orders hold every field of a 2023-02-10 list row, and more.
    body = {**order_row(LEGACY), **_amounts(version)}
    report = {k: v for k, v in _amounts(version).items() if k != "total_outstanding"}
    body.update({
        "lines": [_line(version, detail=True)], "fulfillments": [], "tax_lines": [],
        "shipping_tax_lines": [], "supports_post_purchase_upsells": False,
        "transactions": [_txn(801, "debit", "61.00"), REFUND["transactions"][0]],
        "refunds": [REFUND], "report_values": {"currency": "USD", **report},
    })  # fmt: skip
    return body


def fulfillment_order(version: str) -> dict[str, Any]:
    """A ``FulfillmentOrder`` of ``version`` (its lines' discount fields differ)."""
    line: dict[str, Any] = {
        "id": 77, "order_line_id": 9001, "fulfillment_order_id": 70, "product_id": "184",
        "sku": "DL-S", "product_title": "Desk Lamp", "quantity": 2,
        "product_image": f"{BASE}/media/products/184.png", "fulfillable_quantity": "2",
        "stockrecord_id": 501, "price_incl_tax": "19.00", "price_excl_tax": "19.00",
        "currency": "USD", "tax_lines": [],
    }  # fmt: skip
    if version == LEGACY:
        line.update({"price_incl_tax_excl_discounts": "19.00",
                     "price_excl_tax_excl_discounts": "19.00"})  # fmt: skip
    else:
        line["total_discount"] = "0.00"
    return {
        "id": 70, "order_number": NUMBER, "status": "open", "request_status": "pending",
        "assigned_location": {"id": 1, "name": "Main",
                              "address": {"line1": "9 Dock Rd", "line4": "Austin",
                                          "country": "US"}},
        "shipping_method": {"code": "standard", "name": "Standard Shipping"},
        "shipping_address": None, "line_items": [line], "fulfillment_holds": [],
        "merchant_requests": [], "supported_actions": ["move"], "created_at": PLACED,
        "updated_at": UPDATED,
    }  # fmt: skip


# Reading them ---------------------------------------------------------------------------------
def _answering(order: dict[str, Any], row: dict[str, Any], fo: dict[str, Any]) -> Any:
    def handle(request: http.Request) -> http.Response:
        path = request.url.path
        body: Any = order
        if path.endswith("/fulfillment-orders/"):
            body = [fo]
        elif path.endswith("/orders/"):
            body = {"next": None, "previous": None, "results": [row]}
        return http.Response(200, json=body, request=request)

    return http.MockTransport(handle)


def _connect(version: str, order: Any = None, row: Any = None, fo: Any = None) -> Any:
    """A store on ``version`` whose answers are the spec-written rows (or those given),
    each exchange checked against that version's closed schemas when the specs are here."""
    transport: Any = _answering(
        order or order_detail(version), row or order_row(version), fo or fulfillment_order(version)
    )
    checker = closed_spec.ClosedSpecChecker() if spec.spec_dir() is not None else None
    if checker is not None:
        transport = spec.SpecCheckingTransport(transport, checker)
    return Sandbox(orders=0).connect(transport, api_version=version), checker


def _lines(order: Any) -> list[tuple[str, str | None, int, Money]]:
    return [(ln.ref, ln.sku, ln.quantity, ln.total) for ln in order.lines]


@pytest.mark.parametrize("version", VERSIONS)
def test_orders_as_each_spec_has_them_read_whole_and_list_rows_say_they_are_not(
    version: str,
) -> None:
    connected, checker = _connect(version)
    with connected as store:
        (row,) = store.orders.list()
        (detailed,) = store.orders.list(detail=True)
        got = store.orders.get(NUMBER)
        by_order = list(store.transactions.list(order_ref=NUMBER))
        fos = store.extra.fulfillment_orders(NUMBER)
    if checker is not None:  # the rows are what the version's spec says its answers hold
        assert checker.violations == [] and len(checker.checked) == 6
    # A list row holds no refunds or transactions (2024-04-01: no lines either): partial.
    assert row.partial and row.refunds == () and row.transactions == ()
    assert _lines(row) == ([] if version == CURRENT else
                           [("9001", "DL-S", 2, Money("38.00", "USD"))])  # fmt: skip
    for order in (detailed, got):
        assert not order.partial and order.total == Money("42.00", "USD")
        assert _lines(order) == [("9001", "DL-S", 2, Money("38.00", "USD"))]
        assert [(t.ref, t.order_ref) for t in order.transactions] == [("801", NUMBER),
                                                                      ("802", NUMBER)]  # fmt: skip
        (refund,) = order.refunds
        assert (refund.amount, [(ln.line_ref, ln.quantity) for ln in refund.lines]) == (
            Money("19.00", "USD"),
            [("9001", 1)],
        )
        assert [(t.ref, t.order_ref) for t in refund.transactions] == [("802", NUMBER)]
    assert [(t.ref, t.order_ref, t.amount) for t in by_order] == [
        ("801", NUMBER, Money("61.00", "USD")), ("802", NUMBER, Money("19.00", "USD"))
    ]  # fmt: skip
    assert [(fo.ref, [(ln.line_ref, ln.quantity, ln.sku) for ln in fo.lines]) for fo in fos] == [
        ("70", [("9001", 2, "DL-S")])
    ]


def _line_without(version: str, key: str) -> dict[str, Any]:
    body = order_detail(version)
    line = {k: v for k, v in body["lines"][0].items() if k != key}
    return {**body, "lines": [line]}


@pytest.mark.parametrize(
    ("version", "key"),
    [
        # 2024-04-01's quantity counts units removed since (3, not the 2 on the order).
        (CURRENT, "current_quantity"),
        (CURRENT, "sku"),
        (LEGACY, "stockrecord"),  # where 2023-02-10 keeps the line's SKU
        (LEGACY, "quantity"),
    ],
)
def test_a_line_without_its_version_s_field_is_a_payload_error_naming_it(
    version: str, key: str
) -> None:
    connected, _ = _connect(version, order=_line_without(version, key))
    with connected as store, pytest.raises(PayloadError) as caught:
        store.orders.get(NUMBER)
    assert caught.value.path == f"$.lines[0].{key}"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", ["refunds", "transactions"])
def test_an_order_answer_without_its_refunds_or_transactions_is_a_payload_error(
    version: str, key: str
) -> None:
    body = {k: v for k, v in order_detail(version).items() if k != key}
    connected, _ = _connect(version, order=body)
    with connected as store:
        with pytest.raises(PayloadError) as read:
            store.orders.get(NUMBER)
        with pytest.raises(PayloadError) as listed:
            list(store.orders.list(detail=True))
    assert read.value.path == listed.value.path == f"$.{key}"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("quantity", [_GONE, None])
def test_a_fulfillment_order_line_without_its_quantity_is_a_payload_error(
    version: str, quantity: Any
) -> None:
    fo = fulfillment_order(version)
    line = {k: v for k, v in fo["line_items"][0].items() if k != "quantity"}
    if quantity is not _GONE:
        line["quantity"] = quantity
    connected, _ = _connect(version, fo={**fo, "line_items": [line]})
    with connected as store, pytest.raises(PayloadError) as caught:
        store.extra.fulfillment_orders(NUMBER)
    assert caught.value.path == "$[0].line_items[0].quantity"


# The emulator ---------------------------------------------------------------------------------
def _session(store: Any, version: str) -> dict[str, Any]:
    """Every read path and the writes that answer with orders or fulfillment orders."""
    rows = list(store.orders.list())
    orders = list(store.orders.list(detail=True))
    store.orders.get(orders[0].ref)
    list(store.transactions.list())
    list(store.customers.list())
    list(store.products.list())
    open_ = [o for o in orders if o.fulfillment_status_raw == "unfulfilled"
             and o.financial_status_raw == "paid"]  # fmt: skip
    for move in (False, True):
        fo = store.extra.fulfillment_orders(open_[int(move)].ref)[0]
        store.extra.get_fulfillment_order(fo.ref)
        store.extra.available_locations(fo.ref)
        if move:
            store.extra.move_fulfillment_order(fo.ref, "3")
        else:
            store.extra.request_fulfillment(fo.ref)
            store.extra.request_fulfillment_cancellation(fo.ref, message="wait")
    fo = store.extra.fulfillment_orders(open_[2].ref)[0]
    store.extra.hold_fulfillment_order(fo.ref, reason="other", message="check")
    store.orders.update_shipping_address(
        open_[3].ref, Address(line1="2 Rd", city="Austin", country="US")
    )
    store.orders.cancel(open_[4].ref, reason="spec", refund=True)
    paid = next(o for o in orders if o.financial_status_raw == "paid"
                and o.fulfillment_status_raw == "fulfilled")  # fmt: skip
    if version == CURRENT:
        line = RefundLine(line_ref=paid.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
        store.refunds.create(store.refunds.calculate(paid.ref, lines=[line]))
    else:
        store.refunds.create(RefundQuote(platform="29next", order_ref=paid.ref, lines=(),
                                         total=Money("1.00", paid.currency)))  # fmt: skip
    customer = next(iter(store.customers.list()))
    store.customers.update(customer.ref, CustomerUpdate(first_name="Closed"))
    return {"rows": rows, "orders": orders}


@pytest.mark.skipif(spec.spec_dir() is None, reason=spec.missing_reason())
@pytest.mark.parametrize("version", VERSIONS)
def test_the_emulator_serves_each_version_its_own_shape(version: str) -> None:
    sent: list[http.Request] = []

    def keep(request: http.Request) -> http.Response:
        sent.append(request)
        return http.Response(200)

    harness = fixtures.Harness(
        orders=30, webhooks=WebhookOptions(transport=http.MockTransport(keep))
    )
    harness.checker = checker = closed_spec.ClosedSpecChecker()
    with harness.connect(api_version=version) as store:
        store.webhooks.subscribe(["orders.updated", "customers.updated"], "https://hooks.example/x")
        seen = _session(store, version)
    assert harness.emulator.webhooks is not None and harness.emulator.webhooks.flush(30)
    hooks = spec.load_spec(version)["webhooks"]
    for request in sent:  # each delivery as its subscription's version renders it
        payload = json.loads(request.content)
        assert payload["api_version"] == version
        post = hooks[payload["event_type"]]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        checker.violations += closed_spec.violations(version, "response", schema, payload)
    assert {json.loads(r.content)["event_type"] for r in sent} == {"order.updated",
                                                                  "customer.updated"}  # fmt: skip
    operations = {entry.split()[0] for entry in checker.checked}
    assert {
        "ordersList",
        "ordersRetrieve",
        "fulfillmentOrdersMove",
        "fulfillmentRequestSend",
        "fulfillmentOrdersHold",
        "cancellationRequestSend",
        "ordersCancelCreate",
        "ordersPartialUpdate",
        "ordersRefundCreate",
        "transactionsList",
    } <= operations
    assert checker.violations == []
    # List rows are partial on both versions (2023-02-10's hold their lines), details whole.
    assert all(o.partial for o in seen["rows"])
    assert not any(o.partial for o in seen["orders"])
    assert all(bool(o.lines) == (version == LEGACY) for o in seen["rows"])
