"""Input SHOPLINE would refuse (or misfile) is a ValidationError naming the field, before
anything is sent: no request at all for what the input alone shows, and no write for what
needs the order or the store read first (refundable quantities, the store's currency)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

import storebridge
from storebridge import (
    CustomerDraft,
    CustomerUpdate,
    Money,
    OrderDraft,
    OrderLineDraft,
    ProductDraft,
    RefundLine,
    RefundQuote,
    TransactionAllocation,
    ValidationError,
    VariantDraft,
)
from storebridge.http import MockTransport, Request, Response
from tests.adapters.shopline.support import World, paid_order, world

Call = Callable[[storebridge.Store, World], Any]


def _line(w: World, ref: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = w.emulator.orders[ref or paid_order(w)]["line_items"][0]
    return line


def _other_order_line(w: World) -> str:
    other = next(k for k in w.emulator.orders if k != paid_order(w))
    return str(w.emulator.orders[other]["line_items"][0]["id"])


def _quote(w: World, amount_text: str, **changes: Any) -> RefundQuote:
    ref = paid_order(w)
    sale = w.emulator.transactions[ref][0]
    amount = Money(amount_text, "USD")
    given: dict[str, Any] = {
        "platform": "shopline", "order_ref": ref, "total": amount,
        "lines": (RefundLine(line_ref=_line(w)["id"], quantity=1),),
        "allocations": (TransactionAllocation(transaction_ref=sale["id"], amount=amount),),
    }  # fmt: skip
    given.update(changes)
    return RefundQuote(**given)


# (case, call, field named, reads allowed before the refusal)
CASES: list[tuple[str, Call, str, bool]] = [
    ("e-mail without a domain", lambda s, w: s.customers.create(CustomerDraft(email="x@")),
     "email", False),
    ("e-mail with CRLF", lambda s, w: s.customers.create(
        CustomerDraft(email="a@example.com\r\nBcc: b@example.com")), "email", False),
    ("update to a bad e-mail", lambda s, w: s.customers.update(
        next(iter(w.emulator.customers)), CustomerUpdate(email="x@")), "email", False),
    ("e-mail longer than SHOPLINE keeps", lambda s, w: s.customers.create(
        CustomerDraft(email="a" * 40 + "@example.com")), "email", False),
    ("phone longer than SHOPLINE keeps", lambda s, w: s.customers.create(
        CustomerDraft(email="a@example.com", phone="+47" + "1" * 30)), "phone", False),
    ("a tag with a comma", lambda s, w: s.customers.create(
        CustomerDraft(email="a@example.com", tags=("a,b",))), "tags[0]", False),
    ("too many tags", lambda s, w: s.customers.create(
        CustomerDraft(email="a@example.com", tags=tuple(f"t{i}" for i in range(101)))),
     "tags", False),
    ("search by a bad e-mail", lambda s, w: s.extra.find_customer_by_email("x@"), "email", False),
    ("negative price", lambda s, w: s.products.create(ProductDraft(title="x", variants=(
        VariantDraft(sku="A", price=Money("-5", "USD")),))), "price", False),
    ("negative stock", lambda s, w: s.products.create(ProductDraft(title="x", variants=(
        VariantDraft(sku="A", price=Money("5", "USD"), stock=-3),))), "stock", False),
    ("stock beyond 32 bits", lambda s, w: s.products.create(ProductDraft(title="x", variants=(
        VariantDraft(sku="A", price=Money("5", "USD"), stock=10**30),))), "stock", False),
    ("a price in another currency", lambda s, w: s.products.create(ProductDraft(
        title="x", variants=(VariantDraft(sku="A", price=Money("5", "EUR")),))),
     "variants[0].price", True),
    ("one SKU twice", lambda s, w: s.products.create(ProductDraft(title="x", variants=(
        VariantDraft(sku="A", price=Money("5", "USD")),
        VariantDraft(sku="A", price=Money("6", "USD"))))), "variants[1].sku", True),
    ("a naive order time", lambda s, w: s.orders.create(OrderDraft(
        currency="USD", total=Money(1, "USD"), created_at=datetime(2024, 1, 1),
        lines=(OrderLineDraft(title="x", quantity=1, unit_price=Money(1, "USD")),))),
     "created_at", False),
    ("a line in another currency", lambda s, w: s.orders.create(OrderDraft(
        currency="USD", total=Money(1, "USD"),
        lines=(OrderLineDraft(title="x", quantity=1, unit_price=Money(1, "EUR")),))),
     "lines[0].unit_price", False),
    ("a quantity as text", lambda s, w: RefundLine(line_ref="1", quantity="2"),  # type: ignore[arg-type]
     "quantity", False),
    ("refund more units than the line has", lambda s, w: s.refunds.calculate(
        paid_order(w), lines=[RefundLine(line_ref=_line(w)["id"],
                                         quantity=_line(w)["quantity"] + 1)]),
     "lines[0].quantity", True),
    ("refund a line of another order", lambda s, w: s.refunds.calculate(
        paid_order(w), lines=[RefundLine(line_ref=_other_order_line(w), quantity=1)]),
     "lines[0].line_ref", True),
    ("refund one line twice", lambda s, w: s.refunds.calculate(
        paid_order(w), lines=[RefundLine(line_ref=_line(w)["id"], quantity=1)] * 2),
     "lines[1].line_ref", True),
    ("refund shipping in another currency", lambda s, w: s.refunds.calculate(
        paid_order(w), shipping=Money("1.00", "EUR")), "shipping", True),
    ("refund more shipping than was charged", lambda s, w: s.refunds.calculate(
        paid_order(w), shipping=Money("1000.00", "USD")), "shipping", True),
    ("a hand-built negative quote", lambda s, w: s.refunds.create(_quote(w, "-5.00")),
     "quote.total", False),
    ("a quote above what is refundable", lambda s, w: s.refunds.create(_quote(w, "99999.00")),
     "quote.total", True),
    ("a quote whose total is not its allocations", lambda s, w: s.refunds.create(
        _quote(w, "5.00", total=Money("6.00", "USD"))), "quote.total", False),
    ("a quote in another currency", lambda s, w: s.refunds.create(_quote(
        w, "5.00", allocations=(TransactionAllocation(transaction_ref="1",
                                                      amount=Money("5.00", "EUR")),))),
     "quote.allocations[0].amount", False),
    ("a quote with no transaction", lambda s, w: s.refunds.create(
        _quote(w, "5.00", allocations=())), "quote", False),
    ("a refund note with NUL", lambda s, w: s.refunds.create(_quote(w, "5.00"), note="a\x00"),
     "note", False),
    ("an unknown order field", lambda s, w: s.extra.update_order(
        next(iter(w.emulator.orders)), total_price="1.00"), "total_price", False),
    ("order tags with a comma", lambda s, w: s.extra.set_order_tags(
        next(iter(w.emulator.orders)), ["a,b"]), "tags[0]", False),
    ("a cancel reason with a line feed", lambda s, w: s.orders.cancel(
        next(iter(w.emulator.orders)), reason="a\nb"), "reason", False),
    ("a filter with CRLF", lambda s, w: list(s.orders.list(note="a\r\nb")), "note", False),
    ("an unknown fulfillment status", lambda s, w: list(s.orders.list(fulfillment_status="lost")),
     "fulfillment_status", False),
    ("a page size of zero", lambda s, w: list(s.customers.list(page_size=0)), "page_size", False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "field", "reads"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_it_is_sent(
    case: str, call: Call, field: str, reads: bool
) -> None:
    w = world(orders=3, rate_limit=False)
    inner = w.emulator.transport()
    sent: list[Request] = []

    def record(request: Request) -> Response:
        sent.append(request)
        return inner.handle_request(request)

    with w.connect(transport=MockTransport(record)) as store:
        with pytest.raises(ValidationError) as refused:
            call(store, w)
    assert refused.value.field is not None and refused.value.field.endswith(field), refused.value
    assert not [r for r in sent if r.method != "GET"], case
    if not reads:
        assert sent == [], case


def test_amounts_are_checked_with_decimals_of_the_currency() -> None:
    with pytest.raises(ValidationError) as err:
        VariantDraft(sku="A", price=Money(Decimal("1.005"), "USD"))
    assert err.value.field == "price"
