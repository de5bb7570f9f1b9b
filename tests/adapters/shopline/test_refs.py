"""Refs are one URL segment on every SHOPLINE operation that takes one: what cannot be a key
is refused before any request, and an odd but possible key never reaches another record."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import storebridge
from storebridge import Address, CustomerUpdate, Money, NotFound, RefundLine, RefundQuote
from storebridge import ValidationError as Refused
from storebridge.http import MockTransport, Request, Response
from storebridge.model import TransactionAllocation
from tests.adapters.shopline.support import World, world

Operation = Callable[[storebridge.Store, str], Any]


def _quote(ref: str) -> RefundQuote:
    amount = Money("1.00", "USD")
    return RefundQuote(
        platform="shopline", order_ref=ref, total=amount, lines=(),
        allocations=(TransactionAllocation(transaction_ref="1", amount=amount),),
    )  # fmt: skip


OPERATIONS: dict[str, Operation] = {
    "orders.get": lambda s, ref: s.orders.get(ref),
    "orders.cancel": lambda s, ref: s.orders.cancel(ref),
    "orders.update_shipping_address": lambda s, ref: s.orders.update_shipping_address(
        ref, Address(line1="Storgata 1")
    ),
    "extra.update_order": lambda s, ref: s.extra.update_order(ref, note="x"),
    "extra.set_order_tags": lambda s, ref: s.extra.set_order_tags(ref, ["a"]),
    "extra.list_refunds": lambda s, ref: s.extra.list_refunds(ref),
    "customers.get": lambda s, ref: s.customers.get(ref),
    "customers.update": lambda s, ref: s.customers.update(ref, CustomerUpdate(note="x")),
    "products.get": lambda s, ref: s.products.get(ref),
    "refunds.calculate": lambda s, ref: s.refunds.calculate(
        ref, lines=[RefundLine(line_ref="1", quantity=1)]
    ),
    "refunds.create": lambda s, ref: s.refunds.create(_quote(ref)),
    "refunds.find": lambda s, ref: s.run(s.adapter.find_refund(_quote(ref))),
    "transactions.list": lambda s, ref: list(s.transactions.list(order_ref=ref)),
}


def _recorded(w: World) -> tuple[MockTransport, list[Request]]:
    inner = w.emulator.transport()
    sent: list[Request] = []

    def record(request: Request) -> Response:
        sent.append(request)
        return inner.handle_request(request)

    return MockTransport(record), sent


def _state(w: World) -> Any:
    return copy.deepcopy((w.emulator.orders, w.emulator.customers, w.emulator.products))


NOT_KEYS = ["{a}/../{b}", "../{b}", "..", ".", "", "   ", "a/b", "{a}\r\n", "{a}\x00", "x" * 300]


@pytest.mark.parametrize("pattern", NOT_KEYS)
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_what_cannot_be_a_key_is_refused_before_any_request(name: str, pattern: str) -> None:
    w = world(orders=3, rate_limit=False)
    a, b = list(w.emulator.orders)[:2]
    transport, sent = _recorded(w)
    before = _state(w)
    with w.connect(transport=transport) as store, pytest.raises(Refused) as refused:
        OPERATIONS[name](store, pattern.format(a=a, b=b))
    assert refused.value.field in ("ref", "order_ref")
    assert sent == [] and _state(w) == before


@pytest.mark.parametrize("odd", ["?x=1", "%2F", "1,2", "#1", "1;2", "\u00e9"])
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_an_odd_key_touches_no_other_record(name: str, odd: str) -> None:
    w = world(orders=3, rate_limit=False)
    transport, sent = _recorded(w)
    before = _state(w)
    with w.connect(transport=transport) as store:
        try:
            found = OPERATIONS[name](store, odd)
        except (NotFound, Refused):
            found = None
    assert found in (None, [])  # nothing of another record comes back
    assert _state(w) == before
    for request in sent:
        path = request.url.raw_path.decode("ascii").split("?")[0]
        assert odd not in path and "/../" not in path  # escaped whole, as one segment


def test_refs_are_escaped_as_one_segment() -> None:
    w = world(orders=2, rate_limit=False)
    transport, sent = _recorded(w)
    with w.connect(transport=transport) as store, pytest.raises(NotFound):
        store.customers.get("a b?c#d")
    assert sent[0].url.raw_path.decode().endswith("/customers/v2/a%20b%3Fc%23d.json")
