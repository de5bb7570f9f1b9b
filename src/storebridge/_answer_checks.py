"""A write's answer must be the record it wrote, not another one.

A 2xx answer with another record's body (a proxy that stored an earlier write's answer,
answers crossed between connections) was taken as the write's result: ``customers.create``
returned the customer an earlier create made, ``orders.cancel`` another order, and a
refund was recorded as a quote's that another order got. The facade now checks what the
platform cannot change about the record: its ref for a write to a known record, the
e-mail of a new customer, the SKUs of a new product, the currency of a new order, and the
order of a refund. Another record is :class:`OutcomeUnknown` (whether the
write ran is not known either), never a result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from storebridge._readback import stored_form
from storebridge.errors import OutcomeUnknown, ValidationError
from storebridge.flow import Flow
from storebridge.model import (
    Customer,
    CustomerDraft,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
)

T = TypeVar("T")


def as_asked(
    flow: Flow[RefundQuote], asked: Sequence[RefundLine], platform: str
) -> Flow[RefundQuote]:
    """``flow``'s quote, or ValidationError naming a line asked for with an ``amount`` the
    quote does not return for it. Platforms that refund whole units at their own price
    (SHOPLINE, 29 Next) take no amount per line: sent without it, the units' whole value
    would be refunded in its place. A quote's own lines (their amounts as quoted) pass, so
    a quote can be calculated again from them."""
    quote = yield from flow
    quoted = {line.line_ref: line.amount for line in quote.lines}
    for index, line in enumerate(asked):
        if line.amount is None or quoted.get(line.line_ref) == line.amount:
            continue
        where = f"lines[{index}].amount"
        raise ValidationError(
            f"{where}: {platform} would refund {quoted.get(line.line_ref)} for "
            f"{line.quantity} unit(s) of line {line.line_ref}, not {line.amount}: it refunds "
            "whole units at its own price. Leave amount unset (the quote says what the units "
            "return), or ask for the units that return what you want",
            field=where,
        )
    return quote


def holding(flow: Flow[T], operation: str, other: Callable[[T], str | None]) -> Flow[T]:
    """``flow``'s result, unless ``other(result)`` says how it is another record."""
    result = yield from flow
    problem = other(result)
    if problem is not None:
        raise another_record(operation, problem)
    return result


def another_record(operation: str, problem: str) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"the platform answered {operation} with another record than the one written "
        f"({problem}): a proxy or cache in the way, or crossed answers; whether the write "
        "ran is not known, so read the store before writing again",
        operation=operation,
    )


def ref_of(ref: str) -> Callable[[Order | Customer | Product], str | None]:
    """For a write to the record ``ref``."""

    def other(record: Order | Customer | Product) -> str | None:
        found = getattr(record, "ref", ref)  # not a record at all: the type check says so
        return None if found == ref else f"record {found}, not {ref}"

    return other


def new_customer(draft: CustomerDraft) -> Callable[[Customer], str | None]:
    def other(customer: Customer) -> str | None:
        if not isinstance(customer, Customer):
            return None  # not a record at all: the facade's type check says so
        if stored_form(customer.email) == stored_form(draft.email):
            return None
        return f"a customer with e-mail {customer.email!r}, not {draft.email!r}"

    return other


def new_product(draft: ProductDraft) -> Callable[[Product], str | None]:
    def other(product: Product) -> str | None:
        if not isinstance(product, Product):
            return None
        held = {v.sku for v in product.variants if v.sku}
        missing = sorted(v.sku for v in draft.variants if v.sku not in held)
        return f"product {product.ref} without SKU {', '.join(missing)}" if missing else None

    return other


def new_order(draft: OrderDraft) -> Callable[[Order], str | None]:
    # Only the currency: a platform may number the order itself and take its e-mail from
    # the customer.
    def other(order: Order) -> str | None:
        if not isinstance(order, Order) or order.currency == draft.currency:
            return None
        return f"order {order.ref} in {order.currency}, not {draft.currency}"

    return other


def refund_of(quote: RefundQuote) -> Callable[[Refund], str | None]:
    def other(refund: Refund) -> str | None:
        if not isinstance(refund, Refund) or refund.order_ref == quote.order_ref:
            return None
        return f"refund {refund.ref} of order {refund.order_ref}, not {quote.order_ref}"

    return other


__all__ = [
    "another_record",
    "as_asked",
    "holding",
    "new_customer",
    "new_order",
    "new_product",
    "ref_of",
    "refund_of",
]
