"""Refunds: checked against the order, calculated ("refund trial"), created once, read back.

SHOPLINE checks a refund only when it is sent, so the order is read first and every rule it
allows checking is applied here, before the calculate or create POST: lines must be lines
of the order, at most their refundable quantity, and amounts in the order's currency, not
negative and not above what is left. A refund line takes a quantity and never an amount
(neither body has a field for one): a line asked for with an amount the quote does not
return is refused by the facade (``refunds.calculate``), never refunded at the units' whole
value. SHOPLINE takes no idempotency key; a refund whose answer was lost is
found again among the order's refunds that were not there before and that match the
quote's amount and lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from storebridge import validation
from storebridge.errors import OutcomeUnknown, ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Flow,
    build_request,
    read_payload,
    reconciled_write,
    segment,
    the_new_refund,
)
from storebridge.model import Money, Order, Refund, RefundLine, RefundQuote, RestockType
from storebridge_shopline import _converter as wire
from storebridge_shopline._api import Api
from storebridge_shopline._money import refund_currency
from storebridge_shopline._orders import get_order
from storebridge_shopline._paging import holds_rows

ORDER_LISTS = ("line_items", "refunds")
"""Lists the order read for a refund must hold: without its ``refunds`` it would read as an
order never refunded, and an earlier refund of the same amount and lines could pass for
the one a lost answer made (or a quote's own refund be taken as an earlier one's)."""


def refundable_quantities(order: Order) -> dict[str, int]:
    """Units of each line not refunded yet."""
    refunded: Counter[str] = Counter()
    for done in order.refunds:
        for line in done.lines:
            refunded[line.line_ref] += line.quantity
    return {line.ref: line.quantity - refunded[line.ref] for line in order.lines}


def check_lines(order: Order, lines: Sequence[RefundLine], field: str = "lines") -> None:
    """Each line is a line of ``order``, given once, for at most its refundable units."""
    validation.refund_lines(lines, refundable_quantities(order), order=order.number, field=field)
    units = {line.ref: line for line in order.lines}
    for index, wanted in enumerate(lines):
        where = f"{field}[{index}]"
        if wanted.restock is RestockType.UNKNOWN:
            # Sent, it would be a guess (SHOPLINE's body needs a type and a restock type):
            # a line read back from a refund that did not say is no instruction.
            raise ValidationError(
                f"{where}.restock is unknown: say whether the units are restocked "
                "(RestockType.RETURN) or not (RestockType.NO_RESTOCK)",
                field=f"{where}.restock",
            )
        if wanted.amount is not None:
            line = units[wanted.line_ref]
            validation.money(wanted.amount, f"{where}.amount", currency=order.currency,
                             maximum=line.unit_price * wanted.quantity)  # fmt: skip


def check_shipping(order: Order, shipping: Money | None, field: str = "shipping") -> None:
    if shipping is None:
        return
    # What is left of it SHOPLINE does not say; it cannot be more than was charged.
    validation.money(shipping, field, currency=order.currency, maximum=order.shipping_total)


def calculate_refund(
    adapter: Api,
    order_ref: str,
    lines: Sequence[RefundLine],
    shipping: Money | None,
) -> Flow[RefundQuote]:
    """``POST orders/{id}/refunds/calculate.json`` after checking the request against the
    order; the quote remembers the order's refunds so far (see :func:`find_refund`)."""
    path = f"orders/{segment(order_ref, 'order_ref')}/refunds/calculate.json"
    order = yield from get_order(adapter, order_ref, ORDER_LISTS)
    check_lines(order, lines)
    check_shipping(order, shipping)
    body = wire.calculate_body(order.currency, lines, shipping)
    # A calculation changes nothing on the store: safe to ask again.
    response = yield build_request("POST", adapter.url(path), operation="refunds.calculate",
                                   idempotent=True, json=body)  # fmt: skip
    answer = wire.payload_of(response).obj("refund")
    before = [done.ref for done in order.refunds]
    return read_payload(answer, wire.refund_quote, order_ref, order.currency, lines, before,
                        what="refund quote")  # fmt: skip


def check_quote(quote: RefundQuote) -> str:
    """What can be checked without the order; returns the quote's currency."""
    currency = quote.total.currency
    validation.money(quote.total, "quote.total")
    if not quote.allocations:
        raise ValidationError(
            "the quote has no transaction to refund to; calculate it again", field="quote"
        )
    for index, allocation in enumerate(quote.allocations):
        where = f"quote.allocations[{index}].amount"
        validation.money(allocation.amount, where, currency=currency, maximum=allocation.maximum)
    summed = Money.sum((a.amount for a in quote.allocations), currency)
    if summed != quote.total:
        raise ValidationError(
            f"quote.total {quote.total} is not the sum of its allocations ({summed}); "
            "calculate the quote again",
            field="quote.total",
        )
    if quote.shipping is not None:
        validation.money(quote.shipping, "quote.shipping", currency=currency)
    return currency


def check_against(order: Order, quote: RefundQuote) -> None:
    if quote.total.currency != order.currency:
        raise ValidationError(
            f"quote.total is in {quote.total.currency} but order {order.number} is in "
            f"{order.currency}",
            field="quote.total",
        )
    validation.money(quote.total, "quote.total", maximum=order.total)
    check_lines(order, quote.lines, "quote.lines")
    check_shipping(order, quote.shipping, "quote.shipping")


def _calculated_on(quote: RefundQuote) -> set[str] | None:
    """The order's refunds when ``quote`` was calculated; None for a quote built by hand."""
    known = quote.raw.get(wire.REFUNDS_BEFORE) if quote.raw else None
    return {str(ref) for ref in known} if isinstance(known, list) else None


def check_current(quote: RefundQuote, refunds_now: set[str]) -> None:
    """A calculated quote is sent only while the order has the refunds it was calculated
    on: its amounts assume them, and a lost answer is later settled by looking for a refund
    that was not among them (:func:`find_refund`), which a refund made in between would
    wrongly match."""
    then = _calculated_on(quote)
    if then is None:
        return
    since = sorted(refunds_now - then)
    if since:
        raise ValidationError(
            f"order {quote.order_ref} has had refund(s) {', '.join(since)} since this quote "
            "was calculated; calculate the quote again",
            field="quote",
        )


def create_refund(adapter: Api, quote: RefundQuote, note: str | None, notify: bool) -> Flow[Refund]:
    """``POST order/refund.json`` once: checked against the order first, and settled by
    reading the order's refunds back when the answer is lost."""
    check_quote(quote)
    if note is not None:
        validation.text(note, "note", multiline=True)
    order = yield from get_order(adapter, quote.order_ref, ORDER_LISTS)
    check_against(order, quote)
    before = {done.ref for done in order.refunds}
    check_current(quote, before)
    body = wire.refund_body(quote, note, notify)
    request = adapter.write("POST", "order/refund.json", "refunds.create", body)

    def parse(response: Response) -> Refund:
        data = wire.payload_of(response).obj("data")
        return read_payload(data, wire.refund, order.currency, what="refund")

    def existing() -> Flow[Refund | None]:
        refunds = yield from list_refunds(adapter, quote.order_ref, order.currency)
        return matching(refunds, quote, before)

    return (yield from reconciled_write(request, parse, existing))


def matching(refunds: Iterable[Refund], quote: RefundQuote, before: set[str]) -> Refund | None:
    """The refund ``quote`` made: not among ``before``, with its amount and lines.

    Two such refunds (another call refunded the same meanwhile) are OutcomeUnknown
    (:func:`kit.the_new_refund`): either may be this quote's.
    """
    wanted = Counter({line.line_ref: line.quantity for line in quote.lines})
    found: list[Refund] = []
    for refund in refunds:
        if refund.ref in before or refund.amount != quote.total:
            continue
        lines: Counter[str] = Counter()
        for line in refund.lines:
            lines[line.line_ref] += line.quantity
        if lines == wanted:
            found.append(refund)
    return the_new_refund(found, quote.order_ref)


def find_refund(adapter: Api, quote: RefundQuote) -> Flow[Refund | None]:
    """The refund ``quote`` produced, read back from the order's refunds.

    A quote from :func:`calculate_refund` remembers the refunds the order had then, and is
    only sent while the order still has exactly those (:func:`check_current`): its refund
    is the matching one that is new since. A quote built by hand remembers nothing, so a
    refund of its amount and lines may as well be an older one: that is OutcomeUnknown,
    and only a store with no such refund at all lets it be sent again.
    """
    before = _calculated_on(quote)
    refunds = yield from list_refunds(adapter, quote.order_ref, quote.total.currency)
    found = matching(refunds, quote, before or set())
    if found is not None and before is None:
        raise OutcomeUnknown(
            f"order {quote.order_ref} has refund {found.ref} of {quote.total} for these "
            "lines, and a quote built by hand does not say whether it is this one; check the "
            "order's refunds before refunding again",
            operation="refunds.create",
        )
    return found


def list_refunds(adapter: Api, order_ref: str, currency: str | None = None) -> Flow[list[Refund]]:
    """Every refund of an order (``GET orders/{id}/refunds.json``). A refund naming no
    currency is in the order's: ``currency`` when the caller has the order, else the order
    is read for it (not the store's settlement currency: an order may be in another)."""
    path = f"orders/{segment(order_ref, 'order_ref')}/refunds.json"
    response = yield adapter.get(path, "refunds.list", check=holds_rows("refunds"))
    refunds = []
    for row in wire.payload_of(response).objects("refunds"):
        priced = refund_currency(row) or currency
        if priced is None:
            currency = priced = (yield from get_order(adapter, order_ref)).currency
        refunds.append(read_payload(row, wire.refund, priced, what="refund"))
    return refunds


__all__ = [
    "ORDER_LISTS",
    "calculate_refund",
    "check_current",
    "check_lines",
    "check_quote",
    "create_refund",
    "find_refund",
    "list_refunds",
    "matching",
    "refundable_quantities",
]
