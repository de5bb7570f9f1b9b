"""Bad input to every 29 Next write, table-driven: a ValidationError naming the field, and
nothing sent (or, for rules that need the order, only the order read: no write)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

import storebridge
from storebridge import (
    Address,
    CustomerDraft,
    CustomerUpdate,
    Money,
    NotFound,
    OrderDraft,
    OrderLineDraft,
    ProductDraft,
    RefundLine,
    RefundQuote,
    RestockType,
    TransactionAllocation,
    ValidationError,
    VariantDraft,
)
from tests.adapters.twentyninenext.support.sandbox import Refusing, Sandbox

Call = Callable[[storebridge.Store], Any]
USD = "USD"
NO: Any = "no"  # a flag given as text, as a shell or a form would


def _order(**changes: Any) -> OrderDraft:
    fields: dict[str, Any] = {
        "currency": USD,
        "lines": (OrderLineDraft(title="x", quantity=1, unit_price=Money("5.00", USD), sku="S"),),
        "total": Money("5.00", USD),
    }
    fields.update(changes)
    return OrderDraft(**fields)


def _line(**changes: Any) -> OrderLineDraft:
    fields: dict[str, Any] = {"title": "x", "quantity": 1, "unit_price": Money("5.00", USD)}
    fields.update(changes)
    return OrderLineDraft(**fields)


def _quote(**changes: Any) -> RefundQuote:
    fields: dict[str, Any] = {"platform": "29next", "order_ref": "100006", "lines": (),
                              "total": Money("5.00", USD)}  # fmt: skip
    fields.update(changes)
    return RefundQuote(**fields)


def _product(price: Money) -> ProductDraft:
    return ProductDraft(title="Lamp", variants=(VariantDraft(sku="L-1", price=price),))


# Refused before anything is sent -----------------------------------------------------------
NOTHING_SENT: list[tuple[str, Call, str]] = [
    ("ref with a slash", lambda s: s.orders.get("A/../B"), "ref"),
    ("empty ref", lambda s: s.orders.get(""), "ref"),
    ("dot-dot ref", lambda s: s.customers.get(".."), "ref"),
    ("ref with CR/LF", lambda s: s.orders.cancel("1\r\n2", reason="x"), "ref"),
    ("ref with NUL", lambda s: s.products.get("1\x00"), "ref"),
    ("ref of 300 characters", lambda s: s.orders.get("1" * 300), "ref"),
    ("extra ref with a slash", lambda s: s.extra.get_fulfillment_order("9/../1"), "ref"),
    ("cancel without reason", lambda s: s.orders.cancel("100001"), "reason"),
    ("empty shipping address",  # sent, it changed nothing and came back as a success
     lambda s: s.orders.update_shipping_address("100001", Address()), "address"),
    # "no" is truthy: sent, it refunded the whole order.
    ("cancel refund as text", lambda s: s.orders.cancel("100001", reason="x", refund=NO),
     "refund"),
    ("cancel notify as text", lambda s: s.orders.cancel("100001", reason="x", notify=NO),
     "notify"),
    ("cancel reason with NUL", lambda s: s.orders.cancel("100001", reason="a\x00b"), "reason"),
    ("address without city",
     lambda s: s.orders.update_shipping_address("100001", Address(line1="1 Rd", country="US")),
     "address.city"),
    ("address country not ISO",
     lambda s: s.orders.update_shipping_address(
         "100001", Address(line1="1 Rd", city="Oslo", country="Norway")),
     "address.country"),
    ("customer address without line1",
     lambda s: s.customers.create(CustomerDraft(
         email="a@example.com", addresses=(Address(city="Oslo", country="NO"),))),
     "addresses[0].line1"),
    ("customer e-mail x@", lambda s: s.customers.create(CustomerDraft(email="x@")), "email"),
    ("customer e-mail with CRLF",
     lambda s: s.customers.create(CustomerDraft(email="a@example.com\r\nBcc: b@example.com")),
     "email"),
    ("customer update of nothing", lambda s: s.customers.update("100", CustomerUpdate()),
     "update"),
    ("product without variants",
     lambda s: s.products.create(ProductDraft(title="Lamp", variants=())), "variants"),
    ("product price -5", lambda s: s.products.create(_product(Money("-5", USD))), "price"),
    ("product stock -3",
     lambda s: s.products.create(ProductDraft(title="Lamp", variants=(
         VariantDraft(sku="L-1", price=Money("5.00", USD), stock=-3),))),
     "stock"),
    ("product price beyond the platform's digits",
     lambda s: s.products.create(_product(Money("100000000000", USD))), "variants[0].price"),
    ("product price with 3 decimals",
     lambda s: s.products.create(_product(Money("5.125", "KWD"))), "variants[0].price"),
    ("order without lines", lambda s: s.orders.create(_order(lines=())), "lines"),
    ("order line variant_ref not an id",
     lambda s: s.orders.create(_order(lines=(_line(variant_ref="abc"),))),
     "lines[0].variant_ref"),
    ("order line neither variant nor sku",
     lambda s: s.orders.create(_order(lines=(_line(),))), "lines[0].sku"),
    ("order line in another currency",
     lambda s: s.orders.create(_order(lines=(_line(unit_price=Money("5.00", "EUR")),))),
     "lines[0].unit_price"),
    ("order customer_ref not an id",
     lambda s: s.orders.create(_order(lines=(_line(variant_ref="200"),), customer_ref="me")),
     "customer_ref"),
    ("order discount larger than its shipping",
     lambda s: s.orders.create(_order(lines=(_line(variant_ref="200"),),
                                      total=Money("1.00", USD),
                                      discount_total=Money("4.00", USD))),
     "discount_total"),
    ("order placed at a naive time",
     lambda s: s.orders.create(_order(created_at=datetime(2025, 1, 1))), "created_at"),
    ("refund line quantity as text",
     lambda s: RefundLine(line_ref="1", quantity="2"),  # type: ignore[arg-type]
     "quantity"),
    ("refund quote negative", lambda s: s.refunds.create(_quote(total=Money("-5.00", USD))),
     "quote.total"),
    ("refund quote of nothing", lambda s: s.refunds.create(_quote(total=Money("0", USD))),
     "quote.total"),
    ("refund quote line not an id",
     lambda s: s.refunds.create(_quote(lines=(RefundLine(line_ref="x", quantity=1,
                                                         restock=RestockType.RETURN),))),
     "quote.lines[0].line_ref"),
    ("refund quote allocation not an id",
     lambda s: s.refunds.create(_quote(allocations=(TransactionAllocation(
         transaction_ref="t-1", amount=Money("5.00", USD)),))),
     "quote.allocations[0].transaction_ref"),
    ("refund shipping negative",
     lambda s: s.refunds.calculate("100006", lines=[], shipping=Money("-1.00", USD)),
     "shipping"),
    ("refund note with NUL",
     lambda s: s.refunds.create(_quote(), note="a\x00b"), "note"),
    ("hold reason unknown",
     lambda s: s.extra.hold_fulfillment_order("9000", reason="tired"), "reason"),
    ("fulfillment request of 0 units",
     lambda s: s.extra.request_fulfillment("9000", lines={"9500": 0}), "lines['9500']"),
    ("fulfillment request line not an id",
     lambda s: s.extra.request_fulfillment("9000", lines={"x": 1}), "lines['x']"),
    ("move to a location that is not an id",
     lambda s: s.extra.move_fulfillment_order("9000", "warehouse"), "location_ref"),
    ("move lines as one text",  # a str is a sequence: it was read as the lines 9, 5, 0, 0
     lambda s: s.extra.move_fulfillment_order("9000", "2", line_refs="9500"), "line_refs"),
    ("listing slices of 0", lambda s: list(s.orders.list(slices=0)), "slices"),
    ("listing slices as text", lambda s: list(s.orders.list(slices="2")), "slices"),
    ("listing slices without a range", lambda s: list(s.orders.list(slices=3)), "slices"),
    ("listing filter with CR/LF", lambda s: list(s.orders.list(tags="a\r\nb")), "tags"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "field"), NOTHING_SENT, ids=[c[0] for c in NOTHING_SENT])
def test_bad_input_is_refused_before_any_request(case: str, call: Call, field: str) -> None:
    sandbox = Sandbox(orders=25)
    transport = Refusing()
    for version in ("2024-04-01", "2023-02-10"):
        with sandbox.connect(transport, api_version=version) as store:
            if case.startswith("refund quote") and version != "2024-04-01" and "line" in case:
                continue  # 2023-02-10 refunds an amount: lines are not sent
            if case.startswith("refund quote alloc") and version != "2024-04-01":
                continue
            if case == "refund shipping negative" and version != "2024-04-01":
                continue  # no calculation on 2023-02-10
            with pytest.raises(ValidationError) as caught:
                call(store)
            assert caught.value.field == field, caught.value
    assert transport.calls == []


# Refused after reading the order, before any write ----------------------------------------
NO_WRITE: list[tuple[str, Call, str]] = [
    ("refund more units than are left",
     lambda s: s.refunds.calculate("100002", lines=[RefundLine(line_ref="1002", quantity=4)]),
     "lines[0].quantity"),
    ("refund a line of another order",
     lambda s: s.refunds.calculate("100002", lines=[RefundLine(line_ref="1000", quantity=1)]),
     "lines[0].line_ref"),
    ("refund a line twice",
     lambda s: s.refunds.calculate("100002", lines=[RefundLine(line_ref="1002", quantity=1),
                                                    RefundLine(line_ref="1002", quantity=1)]),
     "lines[1].line_ref"),
    ("refund shipping in another currency",
     lambda s: s.refunds.calculate("100002", lines=[], shipping=Money("1.00", "EUR")),
     "shipping"),
    ("return an unfulfilled line",
     lambda s: s.refunds.calculate("100001", lines=[
         RefundLine(line_ref="1000", quantity=1, restock=RestockType.RETURN)]),
     "lines[0].restock"),
    ("part of an uncaptured payment",
     lambda s: s.refunds.calculate("100004", lines=[
         RefundLine(line_ref="1005", quantity=1, restock=RestockType.CANCEL)]),
     "lines"),
    ("quote in another currency",
     lambda s: s.refunds.create(_quote(order_ref="100002", total=Money("5.00", "EUR"),
                                       lines=(RefundLine(line_ref="1002", quantity=1,
                                                         restock=RestockType.RETURN),),
                                       allocations=(TransactionAllocation(
                                           transaction_ref="5001",
                                           amount=Money("5.00", "EUR")),))),
     "quote.total"),
    ("quote above what the payment can return",
     lambda s: s.refunds.create(_quote(order_ref="100002", total=Money("900.00", USD),
                                       lines=(RefundLine(line_ref="1002", quantity=1,
                                                         restock=RestockType.RETURN),),
                                       allocations=(TransactionAllocation(
                                           transaction_ref="5001",
                                           amount=Money("900.00", USD)),))),
     "quote.allocations[0].amount"),
    ("quote from a payment of another order",
     lambda s: s.refunds.create(_quote(order_ref="100002", total=Money("5.00", USD),
                                       lines=(RefundLine(line_ref="1002", quantity=1,
                                                         restock=RestockType.RETURN),),
                                       allocations=(TransactionAllocation(
                                           transaction_ref="5000",
                                           amount=Money("5.00", USD)),))),
     "quote.allocations[0].transaction_ref"),
    ("quote whose allocations do not add up",
     lambda s: s.refunds.create(_quote(order_ref="100002", total=Money("5.00", USD),
                                       lines=(RefundLine(line_ref="1002", quantity=1,
                                                         restock=RestockType.RETURN),),
                                       allocations=(TransactionAllocation(
                                           transaction_ref="5001",
                                           amount=Money("4.00", USD)),))),
     "quote.allocations"),
    ("quote with a line but no restock",
     lambda s: s.refunds.create(_quote(order_ref="100002", lines=(
         RefundLine(line_ref="1002", quantity=1, restock=RestockType.UNKNOWN),),
         allocations=(TransactionAllocation(
             transaction_ref="5001", amount=Money("5.00", USD)),))),
     "lines[0].restock"),
    ("move a fulfillment order that is not open",
     lambda s: s.extra.move_fulfillment_order("9001", "3"), "fulfillment_order_ref"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "field"), NO_WRITE, ids=[c[0] for c in NO_WRITE])
def test_rules_that_need_the_order_refuse_before_any_write(
    case: str, call: Call, field: str
) -> None:
    sandbox = Sandbox(orders=25)
    with sandbox.connect() as store:
        with pytest.raises(ValidationError) as caught:
            call(store)
    assert caught.value.field == field, caught.value
    assert sandbox.writes() == []


def test_legacy_refund_above_what_the_order_can_return() -> None:
    sandbox = Sandbox(orders=25)
    with sandbox.connect(api_version="2023-02-10") as store:
        with pytest.raises(ValidationError) as caught:
            store.refunds.create(_quote(order_ref="100002", total=Money("9000.00", USD)))
    assert caught.value.field == "quote.total" and "can still refund" in str(caught.value)
    assert sandbox.writes() == []


def test_a_ref_with_a_query_reaches_no_other_record() -> None:
    sandbox = Sandbox(orders=5)
    with sandbox.connect() as store:
        with pytest.raises(NotFound):
            store.orders.get("?x=1")
        with pytest.raises(NotFound):
            store.orders.cancel("100001?x=1", reason="x")
    assert [r.path for r in sandbox.emulator.requests] == [
        "/api/admin/orders/?x=1/",
        "/api/admin/orders/100001?x=1/cancel/",
    ]
    assert sandbox.emulator.state.orders["100001"].status == "open"
