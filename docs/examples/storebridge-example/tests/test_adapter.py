"""The adapter's flows, settings and error reading, unit by unit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import storebridge
from storebridge import (
    ConfigurationError,
    Conflict,
    CustomerDraft,
    NotFound,
    PayloadError,
    PermissionDenied,
    RefundLine,
    RestockType,
    ServerError,
    Store,
    UnsupportedOperation,
    ValidationError,
)
from storebridge.flow import drive
from storebridge.http import Request, Response
from storebridge.sandbox import Sandbox
from storebridge_example import ExampleAdapter, ExampleEmulator

Connect = Callable[..., Store]
ADAPTER = ExampleAdapter.from_settings(base_url="https://acme.example-commerce.test", token="t0k")


def _answer(body: Any, status: int = 200) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        return Response(status, json=body, request=request)

    return respond


# Flows without any server (storebridge.flow.drive) -----------------------------------


def test_get_order_asks_for_the_escaped_ref_and_converts_the_answer() -> None:
    sent: list[Request] = []
    row = {"id": 7, "number": "EX-7", "currency": "EUR", "total": "12.50",
           "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z",
           "lines": [{"id": 71, "name": "Mug", "quantity": 2, "price": "6.25"}]}  # fmt: skip

    def respond(request: Request) -> Response:
        sent.append(request)
        return Response(200, json={"order": row}, request=request)

    order, _ = drive(ADAPTER.get_order("7 b"), respond)
    assert str(sent[0].url) == "https://acme.example-commerce.test/api/v1/orders/7%20b"
    assert (order.ref, order.number, str(order.total)) == ("7", "EX-7", "12.50 EUR")
    assert order.lines[0].unit_price.amount * order.lines[0].quantity == order.total.amount
    assert order.created_at == datetime(2025, 3, 1, 10, tzinfo=UTC)


def test_a_bad_value_in_an_answer_is_a_payload_error_with_its_path() -> None:
    row = {"id": 7, "number": "EX-7", "currency": "EUR", "total": "12.50",
           "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z",
           "lines": [{"id": 71, "name": "Mug", "quantity": "two", "price": "6.25"}]}  # fmt: skip
    with pytest.raises(PayloadError) as caught:
        drive(ADAPTER.get_order("7"), _answer({"order": row}))
    assert caught.value.path == "$.order.lines[0].quantity"


def test_a_ref_that_would_change_the_path_is_refused_before_any_request() -> None:
    with pytest.raises(ValidationError) as caught:
        drive(ADAPTER.get_order("../customers"), _answer({}))
    assert caught.value.field == "ref"


def test_a_refund_that_would_restock_is_refused_before_any_request() -> None:
    lines = [RefundLine(line_ref="71", quantity=1, restock=RestockType.RETURN)]
    flow = ADAPTER.calculate_refund("7", lines=lines, shipping=None)
    with pytest.raises(ValidationError) as caught:
        drive(flow, _answer({}))
    assert caught.value.field == "lines[0].restock"


# Error answers ----------------------------------------------------------------------


def test_the_platforms_error_body_gives_message_fields_and_request_id() -> None:
    body = {"error": {"code": "invalid", "message": "email is taken",
                      "fields": {"email": ["is already taken"]}}}  # fmt: skip
    request = Request("POST", "https://acme.example-commerce.test/api/v1/customers")
    response = Response(422, json=body, headers={"X-Request-Id": "ex-9"}, request=request)
    error = ADAPTER.parse_error(response)
    assert isinstance(error, Conflict)
    assert error.field_errors == {"email": ["is already taken"]}
    assert error.request_id == "ex-9" and "email is taken (invalid)" in str(error)


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Bad Gateway</body></html>", b'{"error": "down"}', b"[]"]
)
def test_any_other_error_body_still_gives_the_class_of_the_status(body: bytes) -> None:
    response = Response(502, content=body, request=Request("GET", "https://x.test/api/v1/o"))
    error = ADAPTER.parse_error(response)
    assert isinstance(error, ServerError) and error.status == 502


# Settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "setting"),
    [
        ({"page_size": 0}, "page_size"),
        ({"base_url": "http://shop.example"}, "base_url"),
        ({"token": "line\nbreak"}, "token"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_name_the_setting(given: dict[str, Any], setting: str) -> None:
    settings = {"base_url": "https://acme.example-commerce.test", "token": "t0k3n", **given}
    with pytest.raises(ConfigurationError) as caught:
        storebridge.connect("example", **settings)
    assert caught.value.setting == setting
    assert "t0k3n" not in str(caught.value)


def test_the_token_never_shows() -> None:
    token = "secret-token-4711"
    adapter = ExampleAdapter.from_settings(base_url="https://a.test", token=token)
    shown = [repr(adapter.settings), repr(adapter), repr(adapter.auth), adapter.credential_key]
    assert not any(token in text for text in shown)


# Against the emulator -----------------------------------------------------------------


def test_listings_follow_next_links_built_from_the_address_called(
    sandbox: Sandbox, emulator: ExampleEmulator
) -> None:
    with emulator.serve() as url, storebridge.connect("example", **sandbox.settings(url)) as store:
        refs = [order.ref for order in store.orders.list(page_size=5)]
    assert refs == sorted(emulator.rows["orders"], key=int)
    pages = [r for r in emulator.requests if r.path == "/api/v1/orders"]
    assert len(pages) == 3 and all(str(r.url).startswith(url) for r in pages)


def test_filters_go_to_the_platform_and_unknown_ones_are_refused(connect: Connect) -> None:
    store = connect()
    since = datetime(2025, 3, 1, 2, tzinfo=UTC)
    recent = list(store.orders.list(updated_since=since))
    assert recent and all(o.updated_at and o.updated_at >= since for o in recent)
    assert len(recent) < len(list(store.orders.list()))
    customer = next(iter(store.customers.list()))
    assert customer.email is not None
    found = list(store.customers.list(email=customer.email.upper()))
    assert [c.ref for c in found] == [customer.ref]
    for refused in ({"created_since": since}, {"colour": "red"}, {"financial_status": "paid"}):
        with pytest.raises(ValidationError) as caught:
            list(store.orders.list(**refused))
        assert caught.value.field == next(iter(refused))


def test_a_refund_follows_the_platforms_rules(connect: Connect, emulator: ExampleEmulator) -> None:
    store = connect()
    orders = list(store.orders.list())
    paid = next(o for o in orders if o.financial_status.value == "paid")
    unpaid = next(o for o in orders if o.financial_status.value != "paid")
    line = paid.lines[0]
    everything = RefundLine(line_ref=line.ref, quantity=line.quantity)
    refund = store.refunds.create(store.refunds.calculate(paid.ref, lines=[everything]))
    assert refund.amount.amount == line.unit_price.amount * line.quantity
    with pytest.raises(Conflict) as too_many:
        store.refunds.calculate(paid.ref, lines=[RefundLine(line_ref=line.ref, quantity=1)])
    assert "lines[0]" in too_many.value.field_errors
    with pytest.raises(Conflict):
        store.refunds.calculate(unpaid.ref, lines=[RefundLine(line_ref="1", quantity=1)])
    assert store.orders.get(paid.ref).refunds == (refund,)
    assert list(store.extra.list_refunds(paid.ref)) == [refund]


def test_unknown_records_are_not_found(connect: Connect) -> None:
    store = connect()
    with pytest.raises(NotFound):
        store.orders.get("99")
    with pytest.raises(NotFound):
        store.customers.get("nobody")


def test_read_only_refuses_writes_before_sending_and_the_platform_agrees(
    sandbox: Sandbox, emulator: ExampleEmulator, connect: Connect
) -> None:
    draft = CustomerDraft(email="new@example.com")
    read_only = connect(settings={"token": emulator.read_token, "read_only": True})
    assert "customers.create" not in read_only.capabilities
    before = len(emulator.requests)
    with pytest.raises(UnsupportedOperation, match="read_only=True"):
        read_only.customers.create(draft)
    assert len(emulator.requests) == before
    # The same token without the setting: the platform itself refuses (403).
    with pytest.raises(PermissionDenied, match="customers:write"):
        connect(settings={"token": emulator.read_token}).customers.create(draft)


def test_a_customer_draft_with_fields_the_platform_lacks_is_refused(connect: Connect) -> None:
    with pytest.raises(ValidationError) as caught:
        connect().customers.create(CustomerDraft(email="t@example.com", tags=("vip",)))
    assert caught.value.field == "tags"


def test_the_sandbox_takes_a_currency_and_refuses_unknown_options() -> None:
    sandbox = ExampleAdapter.sandbox(orders=2, currency="NOK")
    adapter = ExampleAdapter.from_settings(**sandbox.settings("https://a.test"))
    with Store(adapter, transport=sandbox.emulator.transport()) as store:
        assert {o.currency for o in store.orders.list()} == {"NOK"}
    with pytest.raises(ConfigurationError) as caught:
        ExampleAdapter.sandbox(colour="red")
    assert caught.value.setting == "colour"
    with pytest.raises(ConfigurationError, match="currency"):
        ExampleAdapter.sandbox(currency="euro")


def test_the_seed_decides_the_data(sandbox: Sandbox) -> None:
    again = ExampleAdapter.sandbox(seed=5, orders=12)
    other = ExampleAdapter.sandbox(seed=6, orders=12)

    def rows(s: Sandbox) -> str:
        assert isinstance(s.emulator, ExampleEmulator)
        return json.dumps(list(s.emulator.rows["orders"].values()), sort_keys=True)

    assert rows(again) == rows(sandbox) != rows(other)
