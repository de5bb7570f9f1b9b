"""The vendor's documented examples, parsed and produced by the adapter (no emulator).

Flows run with ``storebridge.flow.drive`` against canned answers; the request bodies the
adapter sends are compared with the documented ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from storebridge import Address, Money, RefundLine, RestockType, ValidationError
from storebridge.flow import drive
from storebridge.http import Request, Response
from storebridge_29next import (
    TwentyNineNextAdapter,
    sign_webhook,
    verify_webhook_signature,
)
from tests.adapters.twentyninenext.support import examples

ADAPTER = TwentyNineNextAdapter.from_settings(store="acme", access_token="example-token-000")


def responder(
    routes: dict[tuple[str, str], Any], sent: list[Request]
) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        sent.append(request)
        key = (request.method, request.url.path)
        return Response(200, json=routes[key], request=request)

    return respond


ORDER_PATH = "/api/admin/orders/100123/"


def test_documented_refund_calculation_totals_63_98_usd() -> None:
    sent: list[Request] = []
    routes = {
        ("GET", ORDER_PATH): examples.ORDER_RETRIEVE,
        ("POST", ORDER_PATH + "refund/calculate/"): examples.CALCULATE_RESPONSE,
    }
    quote, _ = drive(
        ADAPTER.calculate_refund(
            "100123",
            lines=[RefundLine(line_ref="1000", quantity=1, restock=RestockType.UNKNOWN)],
            shipping=Money("3.99", "USD"),
        ),
        responder(routes, sent),
    )
    assert json.loads(sent[1].content) == examples.CALCULATE_REQUEST
    assert quote.total == Money("63.98", "USD")
    assert quote.subtotal == Money("63.98", "USD") and quote.tax == Money("0.00", "USD")
    assert quote.shipping == Money("3.99", "USD")
    assert quote.lines[0].line_ref == "1000" and quote.lines[0].restock is RestockType.NO_RESTOCK
    assert quote.lines[0].amount == Money("59.99", "USD")
    allocation = quote.allocations[0]
    assert allocation.transaction_ref == "1000"
    assert allocation.amount == Money("63.98", "USD")
    assert allocation.maximum == Money("184.96", "USD")

    refund_txn = {"id": 1001, "type": "refund", "amount": "63.98", "currency": "USD"}
    refund_body = {
        "id": 9,
        "order_number": "100123",
        "total_refund_amount": "63.98",
        "transactions": [refund_txn],
    }
    routes[("POST", ORDER_PATH + "refund/")] = refund_body
    refund, _ = drive(
        ADAPTER.create_refund(quote, note="Example reason for the refund", notify=True),
        responder(routes, sent),
    )
    assert json.loads(sent[-1].content) == examples.CREATE_REQUEST
    assert refund.amount == Money("63.98", "USD") and refund.order_ref == "100123"


def test_documented_order_lines() -> None:
    order, _ = drive(
        ADAPTER.get_order("100123"), responder({("GET", ORDER_PATH): examples.ORDER_RETRIEVE}, [])
    )
    line = order.lines[0]
    assert (line.ref, line.quantity, line.unit_price) == ("1000", 3, Money("59.99", "USD"))
    assert order.total.amount == Decimal("184.96")
    assert order.created_at is not None and order.created_at.utcoffset() is not None


def test_documented_restock_rule_is_enforced_before_calculating() -> None:
    sent: list[Request] = []
    with pytest.raises(ValidationError, match="no_restock or return"):
        drive(
            ADAPTER.calculate_refund(
                "100123",
                lines=[RefundLine(line_ref="1000", quantity=1, restock=RestockType.CANCEL)],
                shipping=None,
            ),
            responder({("GET", ORDER_PATH): examples.ORDER_RETRIEVE}, sent),
        )
    assert [r.method for r in sent] == ["GET"]


@pytest.mark.parametrize(
    ("flow", "path", "expected"),
    [
        (
            lambda: ADAPTER.update_shipping_address(
                "100123",
                Address(
                    line1="4765 Test Lane West",
                    city="Mountain Pass",
                    region="CA",
                    postal_code="92366",
                    country="US",
                ),
            ),
            ORDER_PATH,
            # The guide's example, and the fields it leaves out sent blank: the address
            # replaces the order's, which would otherwise keep the old values there.
            {
                "shipping_address": {
                    **examples.SHIPPING_ADDRESS_PATCH["shipping_address"],
                    "first_name": "",
                    "last_name": "",
                    "line2": "",
                    "line3": "",
                    "phone_number": "",
                }
            },
        ),
        (
            lambda: ADAPTER.cancel_order(
                "100123", reason="Customer wants to cancel", refund=True, notify=True
            ),
            ORDER_PATH + "cancel/",
            examples.CANCEL_REQUEST,
        ),
        (
            lambda: ADAPTER.hold_fulfillment_order(
                "5", reason="address_incorrect", message="Additional relevant detail."
            ),
            "/api/admin/fulfillment-orders/5/hold/",
            examples.HOLD_REQUEST,
        ),
        (
            lambda: ADAPTER.request_fulfillment_cancellation(
                "5", message="Reason why canceling fulfillment"
            ),
            "/api/admin/fulfillment-orders/5/cancellation-request/",
            examples.CANCELLATION_REQUEST,
        ),
    ],
)
def test_documented_request_bodies(flow: Any, path: str, expected: dict[str, Any]) -> None:
    sent: list[Request] = []

    def respond(request: Request) -> Response:
        sent.append(request)
        body = examples.ORDER_RETRIEVE if path.startswith("/api/admin/orders") else {
            "id": 5, "order_number": "100123", "status": "on_hold", "line_items": [],
        }  # fmt: skip
        if request.method == "PATCH":  # the order as patched
            body = {**body, **json.loads(request.content)}
        return Response(200, json=body, request=request)

    drive(flow(), respond)
    assert sent[-1].url.path == path
    assert json.loads(sent[-1].content) == expected


def test_documented_fulfillment_request_move_and_locations() -> None:
    sent: list[Request] = []
    fo = {"id": 5, "order_number": "100123", "status": "open", "line_items": []}

    def respond(request: Request) -> Response:
        sent.append(request)
        if request.url.path.endswith("available-locations/"):
            return Response(200, json=examples.AVAILABLE_LOCATIONS, request=request)
        if request.url.path.endswith("fulfillment-request/"):
            body = {"original_fulfillment_order": fo, "requested_fulfillment_order": fo,
                    "unrequested_fulfillment_order": fo}  # fmt: skip
            return Response(200, json=body, request=request)
        if request.url.path.endswith("move/"):
            body = {"original_fulfillment_order": fo, "moved_fulfillment_order": fo}
            return Response(200, json=body, request=request)
        return Response(200, json=fo, request=request)

    drive(
        ADAPTER.request_fulfillment("5", lines={"0": 1}, message="Special message to warehouse"),
        respond,
    )
    assert json.loads(sent[-1].content) == examples.FULFILLMENT_REQUEST
    locations, _ = drive(ADAPTER.available_locations("5"), respond)
    assert [(loc.ref, loc.line_refs) for loc in locations] == [
        ("123", ("7731", "7730")), ("456", ("7731",)),
    ]  # fmt: skip
    drive(ADAPTER.move_fulfillment_order("5", "123", line_refs=["7711"]), respond)
    assert json.loads(sent[-1].content) == examples.MOVE_REQUEST


def test_webhook_signature_both_forms() -> None:
    payload = {"object": "order", "event_type": "order.created", "data": {"number": "100123"}}
    body, signature = sign_webhook(payload, "whsec-example")
    expected = hmac.new(b"whsec-example", json.dumps(payload).encode(), hashlib.sha256).hexdigest()
    assert signature == expected
    assert verify_webhook_signature(body, signature, "whsec-example")
    compact = json.dumps(payload, separators=(",", ":")).encode()
    assert verify_webhook_signature(compact, signature, "whsec-example")  # re-serialised form
    assert not verify_webhook_signature(body, signature, "other-secret")
    assert not verify_webhook_signature(body, None, "whsec-example")
