"""Refunds: calculate (2024-04-01), create (both versions), and read back (``find_refund``).

The vendor's flow is retrieve the order, calculate, create. The order is read first so
every rule is checked before anything is sent (restock types, quantities, uncaptured
payments, currency, what each transaction can still return). A refund line is a line id,
a quantity and a restock type, never an amount (the spec's refund line requests have no
such field): a line asked for with an amount the quote does not return is refused by the
facade (``refunds.calculate``), never refunded at the units' whole value. The
platform takes no idempotency key (the spec has no such header), so a refund is recognised
by what it is:

* right after sending (``create_refund``): a refund on the order that was not there
  before the request, of the quoted amount and lines;
* later (``find_refund``, for a quote whose earlier attempt never learned its outcome):
  refunds of the quoted amount and lines, and, for quotes from ``refunds.calculate``, what
  each allocated payment has returned since the calculation (its refund and void
  transactions against the ``refundable_amount`` the calculation saw). Exactly the
  allocated amounts returned since: that refund is ours. Nothing returned and nothing
  matching: it was not made. Anything else is ambiguous and raises OutcomeUnknown
  naming the refunds to check, so a quote is never refunded twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storebridge import validation
from storebridge.errors import OutcomeUnknown, PayloadError, ValidationError
from storebridge.http import Response
from storebridge.kit import Flow, Payload, build_request, reconciled_write, the_new_refund
from storebridge.model import (
    Money,
    Order,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    TransactionAllocation,
)
from storebridge_29next._converter import (
    PLATFORM,
    refund_in,
    refund_line,
    structure,
    wire_amount,
)
from storebridge_29next._orders import order_payload
from storebridge_29next._refund_rules import check_refund, refundable
from storebridge_29next._requests import body_object, int_ref, post, url

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter


def refund_quote(p: Payload) -> RefundQuote:
    currency = p.currency("currency")
    shipping = p.opt_obj("refund_shipping")
    return RefundQuote(
        platform=PLATFORM,
        order_ref=p.ref("order_number"),
        lines=p.each("refund_lines", lambda line: refund_line(line, "line_id", currency)),
        total=p.money("amount_incl_tax", currency),
        shipping=shipping.opt_money("amount_incl_tax", currency) if shipping else None,
        subtotal=p.opt_money("amount_excl_tax", currency),
        tax=p.opt_money("total_tax", currency),
        allocations=p.each("transactions", lambda t: _allocation(t, currency)),
        raw=p.data,
    )


def refund(p: Payload) -> Refund:
    """A refund answered on its own (2024-04-01 create): its currency is its transactions'
    or its report values'."""
    currency = None
    for t in p.iter("transactions"):
        currency = t.opt_currency("currency")
        if currency:
            break
    report = p.opt_obj("report_values")
    if currency is None and report is not None:
        currency = report.opt_currency("currency")
    if currency is None:
        p.fail("refund has no currency on its transactions or report values", "transactions")
    return refund_in(p, currency)


def _allocation(t: Payload, currency: str) -> TransactionAllocation:
    return TransactionAllocation(
        transaction_ref=str(t.integer("id")),
        amount=t.money("amount", currency),
        gateway=t.opt_string("gateway_name") or t.opt_string("payment_method"),
        maximum=t.opt_money("refundable_amount", currency),
    )


def refund_line_body(line: RefundLine, with_restock: bool, field: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "line_id": int_ref(line.line_ref, f"{field}.line_ref"),
        "quantity": line.quantity,
    }
    if with_restock or line.restock is not RestockType.UNKNOWN:
        entry["restock_type"] = line.restock.value
    return entry


def _shipping_body(shipping: Money, currency: str, field: str) -> dict[str, Any]:
    amount = wire_amount(shipping, field, currency=currency, digits=8)
    return {"full_refund": False, "amount_excl_tax": amount}


def calculate_refund(
    adapter: TwentyNineNextAdapter,
    order_ref: str,
    *,
    lines: Sequence[RefundLine],
    shipping: Money | None,
) -> Flow[RefundQuote]:
    # What needs no order is checked before reading it.
    body: dict[str, Any] = {
        "refund_lines": [
            refund_line_body(line, False, f"lines[{i}]") for i, line in enumerate(lines)
        ]
    }
    if shipping is not None:
        _shipping_body(shipping, shipping.currency, "shipping")
    order = yield from order_payload(adapter, order_ref)
    currency = order.currency("currency")
    check_refund(order, lines, shipping, require_restock=False)
    if shipping is not None:
        body["refund_shipping"] = _shipping_body(shipping, currency, "shipping")
    response = yield build_request(
        "POST",
        url(adapter, "orders", order_ref, "refund", "calculate"),
        operation="refunds.calculate",
        idempotent=True,  # a calculation changes nothing
        json=body,
    )
    data = body_object(response)
    return structure(Payload({**data.data, "order_number": order_ref}), RefundQuote)


def _check_quote_alone(quote: RefundQuote, legacy: bool) -> None:
    """What can be told about ``quote`` without the order."""
    wire_amount(quote.total, "quote.total", digits=7)
    if quote.total.amount <= 0:
        raise ValidationError(
            f"quote.total must be more than 0, got {quote.total}", field="quote.total"
        )
    if legacy:
        if quote.lines:
            # The 2023-02-10 refund body is an amount alone: the lines would be neither
            # refunded nor restocked, and the refund made could not be told from the quote.
            raise ValidationError(
                "quote.lines: 29 Next api_version 2023-02-10 refunds an amount only (its "
                "refund takes no lines, so none would be refunded or restocked); connect "
                "with api_version='2024-04-01' to refund lines, or send a quote with "
                "lines=() to refund the amount alone",
                field="quote.lines",
            )
        return
    for index, line in enumerate(quote.lines):
        refund_line_body(line, True, f"quote.lines[{index}]")
    for index, allocation in enumerate(quote.allocations):
        field = f"quote.allocations[{index}]"
        int_ref(allocation.transaction_ref, f"{field}.transaction_ref")
        wire_amount(allocation.amount, f"{field}.amount", digits=7)


def _check_quote(order: Payload, quote: RefundQuote, legacy: bool) -> None:
    currency = order.currency("currency")
    wire_amount(quote.total, "quote.total", currency=currency, digits=7)
    left = refundable(order)
    if legacy:
        available = sum(left.values(), Decimal(0))
        if quote.total.amount > available:
            raise ValidationError(
                f"quote.total {quote.total} is more than the {available} {currency} order "
                f"{quote.order_ref} can still refund",
                field="quote.total",
            )
        chosen = {
            str(int_ref(a.transaction_ref, f"quote.allocations[{i}].transaction_ref"))
            for i, a in enumerate(quote.allocations)
        }
        paying = {ref for ref, amount in left.items() if amount > 0}  # money to return
        _check_allocations_add_up(quote, currency)
        if chosen - paying:
            raise ValidationError(
                f"quote.allocations: payment(s) {', '.join(sorted(chosen - paying))} of order "
                f"{quote.order_ref} have nothing left to return",
                field="quote.allocations",
            )
        if chosen and len(paying) > 1:
            # The 2023-02-10 body names no payment: 29 Next picks one, maybe not this one.
            raise ValidationError(
                f"quote.allocations: 29 Next api_version 2023-02-10 refunds an amount without "
                f"naming the payment it comes from, and order {quote.order_ref} has "
                f"{len(paying)} payments it could come from; connect with "
                "api_version='2024-04-01' to choose, or send a quote without allocations to "
                "let 29 Next choose",
                field="quote.allocations",
            )
        return
    check_refund(order, quote.lines, quote.shipping, require_restock=True)
    for index, line in enumerate(quote.lines):
        if line.amount is not None:
            # Not sent, but a line priced in another currency is no quote for this order.
            validation.money(line.amount, f"quote.lines[{index}].amount", currency=currency)
    if not quote.allocations:
        raise ValidationError(
            "quote.allocations is empty: 29 Next needs the transactions to refund; use the "
            "quote from refunds.calculate()",
            field="quote.allocations",
        )
    _check_allocations_add_up(quote, currency)
    for index, allocation in enumerate(quote.allocations):
        field = f"quote.allocations[{index}]"
        ref = str(int_ref(allocation.transaction_ref, f"{field}.transaction_ref"))
        wire_amount(allocation.amount, f"{field}.amount", currency=currency, digits=7)
        if ref not in left:
            raise ValidationError(
                f"{field}.transaction_ref {ref} is not a payment of order {quote.order_ref}",
                field=f"{field}.transaction_ref",
            )
        most = min(left[ref], allocation.maximum.amount if allocation.maximum else left[ref])
        if not 0 < allocation.amount.amount <= most:
            raise ValidationError(
                f"{field}.amount {allocation.amount} must be more than 0 and at most the "
                f"{most} {currency} transaction {ref} can still return",
                field=f"{field}.amount",
            )


def _check_allocations_add_up(quote: RefundQuote, currency: str) -> None:
    if not quote.allocations:
        return
    allocated = Money.sum((a.amount for a in quote.allocations), currency)
    if allocated != quote.total:
        raise ValidationError(
            f"quote.allocations add up to {allocated}, not the quote total {quote.total}",
            field="quote.allocations",
        )


def _refund_body(quote: RefundQuote, note: str | None, notify: bool, currency: str) -> Any:
    body: dict[str, Any] = {
        "transactions": [
            {
                "id": int(a.transaction_ref),
                "amount": wire_amount(a.amount, f"quote.allocations[{i}].amount", digits=7),
            }
            for i, a in enumerate(quote.allocations)
        ],
        "refund_lines": [
            refund_line_body(line, True, f"quote.lines[{i}]") for i, line in enumerate(quote.lines)
        ],
        "send_refund_notification": notify,
    }
    if quote.shipping is not None:
        # The calculation's own excl.-tax figure, where the quote came from one.
        raw = quote.raw.get("refund_shipping") if quote.raw else None
        excl = raw.get("amount_excl_tax") if isinstance(raw, dict) else None
        shipping = Money(excl, currency) if isinstance(excl, str) and excl else quote.shipping
        body["refund_shipping"] = _shipping_body(shipping, currency, "quote.shipping")
    if note:
        body["note"] = note
    return body


def _matches(refund: Refund, quote: RefundQuote) -> bool:
    if refund.amount != quote.total:
        return False
    wanted = sorted((line.line_ref, line.quantity) for line in quote.lines)
    return not wanted or wanted == sorted((line.line_ref, line.quantity) for line in refund.lines)


def _refunds(order: Payload) -> list[Refund]:
    return list(structure(order, Order).refunds)


def create_refund(
    adapter: TwentyNineNextAdapter, quote: RefundQuote, *, note: str | None, notify: bool
) -> Flow[Refund]:
    _check_quote_alone(quote, adapter.legacy)
    if note is not None:
        validation.text(note, "note", multiline=True)
    order = yield from order_payload(adapter, quote.order_ref)
    currency = order.currency("currency")
    _check_quote(order, quote, adapter.legacy)
    _check_current(order, quote)
    known = {r.ref for r in _refunds(order)}
    if adapter.legacy:
        body: Any = {"amount": str(quote.total.amount.quantize(Decimal("0.01"))),
                     "send_refund_notification": notify}  # fmt: skip
    else:
        body = _refund_body(quote, note, notify, currency)
    request = post(adapter, "refunds.create", ("orders", quote.order_ref, "refund"), body)

    def new_refund(current: Payload, processed: bool | None = None) -> Refund | None:
        fresh = [r for r in _refunds(current) if r.ref not in known and _matches(r, quote)]
        return the_new_refund(fresh, quote.order_ref, processed=processed)

    def parse(response: Response) -> Refund:
        data = body_object(response)
        if not adapter.legacy:
            made = structure(data, Refund)
            if made.order_ref != quote.order_ref:
                data.fail(f"the refund is for order {made.order_ref}", "order_number")
            return made
        # 2023-02-10 answers with the whole order; the refund is the one that is new.
        found = new_refund(data, processed=True)
        if found is None:
            raise PayloadError(
                f"the order returned by the refund has no new refund of {quote.total}",
                path="$.refunds",
                platform=adapter.name,
            )
        return found

    def find() -> Flow[Refund | None]:
        return new_refund((yield from order_payload(adapter, quote.order_ref)))

    return (yield from reconciled_write(request, parse, find))


def find_refund(adapter: TwentyNineNextAdapter, quote: RefundQuote) -> Flow[Refund | None]:
    order = yield from order_payload(adapter, quote.order_ref)
    candidates = [r for r in _refunds(order) if _matches(r, quote)]
    if not candidates:
        return None  # no refund of this amount and these lines: it was never made
    since = _returned_since(order, quote)
    if since == "none":
        return None
    if since == "exactly":
        return max(candidates, key=lambda r: int(r.ref) if r.ref.isdigit() else 0)
    raise OutcomeUnknown(
        f"order {quote.order_ref} has refund(s) {', '.join(r.ref for r in candidates)} of "
        f"{quote.total}, and storebridge cannot tell whether one of them is this quote's; "
        "check the order before refunding again",
        operation="refunds.create",
    )


def _check_current(order: Payload, quote: RefundQuote) -> None:
    """A calculated quote is sent only while its payments can still return exactly what
    they could when it was calculated: its amounts assume so, and a lost answer is later
    settled by what was returned since (:func:`_returned_since`), which a refund made in
    between would fake."""
    if not quote.allocations or any(a.maximum is None for a in quote.allocations):
        return  # built by hand: nothing to compare
    left = refundable(order)
    for allocation in quote.allocations:
        then = allocation.maximum
        now = left.get(allocation.transaction_ref)
        if then is not None and now is not None and now != then.amount:
            raise ValidationError(
                f"order {quote.order_ref}'s payment {allocation.transaction_ref} can return "
                f"{now} {then.currency} now, not the {then.amount} it could when this quote "
                "was calculated (another refund came in between); calculate the quote again",
                field="quote",
            )


def _returned_since(order: Payload, quote: RefundQuote) -> str:
    """``none`` / ``exactly`` the allocated amounts returned since the quote was calculated,
    or ``unknown`` (a hand-built quote, other refunds in between)."""
    if not quote.allocations or any(a.maximum is None for a in quote.allocations):
        return "unknown"
    left = refundable(order)
    deltas = []
    for allocation in quote.allocations:
        ref = allocation.transaction_ref
        if ref not in left or allocation.maximum is None:
            return "unknown"
        deltas.append((allocation.maximum.amount - left[ref], allocation.amount.amount))
    if all(delta == 0 for delta, _ in deltas):
        return "none"
    if all(delta == amount for delta, amount in deltas):
        return "exactly"
    return "unknown"


__all__ = [
    "calculate_refund",
    "create_refund",
    "find_refund",
    "refund",
    "refund_quote",
    "refundable",
]
