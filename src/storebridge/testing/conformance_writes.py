"""The writes :func:`~storebridge.testing.conformance.check_lost_answer_writes` performs by
default, each set up on a connected store before the fault layer is switched on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, TypeAlias

from storebridge.errors import APIError, ValidationError
from storebridge.model import CustomerDraft, Order, RefundLine, RefundQuote
from storebridge.store import Store

PrepareWrite: TypeAlias = Callable[[Store], Callable[[], Any]]
"""Sets up a write on a connected store (no faults yet) and returns the write to perform,
which returns the record it created."""


def create_customer(store: Store) -> Callable[[], Any]:
    """``customers.create`` of a new customer (an e-mail address no one has)."""
    email = f"conformance-{uuid.uuid4().hex[:12]}@example.com"
    draft = CustomerDraft(email=email, first_name="Kit", last_name="Conformance")
    return lambda: store.customers.create(draft)


def refund_one_unit(store: Store) -> Callable[[], Any]:
    """``refunds.create`` of one unit of an order line the platform will quote.

    An order where another line (or another unit of a line of three) can be refunded first
    is preferred, and that refund is made first, so a read-back that takes any refund of the
    order for this call's (the earlier one) is caught; the line keeps the units a second
    sending would take. Otherwise the first line the platform quotes."""
    orders = list(store.orders.list())
    for with_earlier in (True, False):
        for order in orders:
            if order.partial and "orders.get" in store.capabilities:
                order = store.orders.get(order.ref)
            write = _refund_of(store, order, with_earlier)
            if write is not None:
                return write
    raise AssertionError("no order line of the sandbox can be refunded; pass a write of yours")


def _refund_of(store: Store, order: Order, with_earlier: bool) -> Callable[[], Any] | None:
    # The line with the most units first: it keeps what a second sending would take.
    for line in sorted(order.lines, key=lambda ln: -ln.quantity) if with_earlier else order.lines:
        quote = _quote(store, order.ref, line.ref)
        if quote is None:  # not refundable (unpaid...): try the next
            continue
        if not with_earlier:
            return partial(_new_refund, store, quote, set())
        others = [ln for ln in order.lines if ln.ref != line.ref]
        first = next((q for ln in others if (q := _quote(store, order.ref, ln.ref))), None)
        if first is None and line.quantity >= 3:
            first = quote
        if first is None:
            continue
        earlier = {str(store.refunds.create(first).ref)}
        quote = _quote(store, order.ref, line.ref)
        if quote is not None:
            return partial(_new_refund, store, quote, earlier)
    return None


def _quote(store: Store, order: str, line: str) -> RefundQuote | None:
    try:
        return store.refunds.calculate(order, lines=[RefundLine(line_ref=line, quantity=1)])
    except (APIError, ValidationError):
        return None


def _new_refund(store: Store, quote: RefundQuote, earlier: set[str]) -> Any:
    refund = store.refunds.create(quote)
    if str(refund.ref) in earlier:
        raise AssertionError(
            f"refunds.create returned refund {refund.ref}, made before this call: a read-back "
            "must find this call's refund (by its quote's key), not any refund of the order"
        )
    return refund


__all__ = ["PrepareWrite", "create_customer", "refund_one_unit"]
