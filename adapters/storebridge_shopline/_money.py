"""SHOPLINE amounts both ways: read with their ``*_set`` twins, written exactly or refused.

Reading: an amount is a string (sometimes a number) with a ``*_set`` twin
``{shop_money: {amount, currency_code}, presentment_money: {...}}``. The amount is the set's
side in the record's currency (the store's and the buyer's currencies may differ); the
plain field, which may be in either, must equal one of the sides; without a set, the plain
field. A set with no side in the record's currency is refused, never read as if it were
the record's.

Writing: SHOPLINE's docs say of every amount it takes (line, shipping and variant prices,
discounts, transaction and refund amounts) that "the value is rounded to two decimal
places", whatever the currency. An amount is written with its currency's decimals (JPY
``1000``, USD ``59.99``); one that two decimals cannot hold (KWD ``1.125``) is refused
before sending, since SHOPLINE would keep a different amount than the one asked for.
"""

from __future__ import annotations

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.kit import Payload
from storebridge.model import Money, OrderDraft

PLACES = 2
"""Decimals SHOPLINE keeps of any amount (its docs: "rounded to two decimal places")."""


# Reading -----------------------------------------------------------------------------------
_SIDES = ("shop_money", "presentment_money")
"""A set's sides: the store's currency and the buyer's, either of which may be the record's
(an order placed in another enabled currency than the store's)."""
Sided = tuple[Payload, str | None]
"""A side of a set and the currency code it names."""


def _side_in(money_set: Payload, currency: str) -> tuple[Payload | None, list[Sided]]:
    """The side of ``money_set`` in ``currency`` (else one naming no currency, taken as the
    record's), and the sides looked at. The shop's side comes first and, when it is in
    ``currency``, the other is not read at all (the fast reader reads no more)."""
    looked: list[Sided] = []
    for name in _SIDES:
        side = money_set.opt_obj(name)
        if side is not None:
            code = side.opt_currency("currency_code")
            looked.append((side, code))
            if code == currency:
                return side, looked
    return next((side for side, code in looked if code is None), None), looked


def _side_or_fail(money_set: Payload, currency: str) -> Payload | None:
    side, looked = _side_in(money_set, currency)
    if side is None and looked:
        first, code = looked[0]
        first.fail(f"the amount is in {code}, and no side of it is in the record's {currency}",
                   "currency_code")  # fmt: skip
    return side


def money_side(p: Payload, key: str, currency: str) -> Payload | None:
    """The side of the set ``key`` in ``currency`` (see :func:`_side_in`); PayloadError
    when the set has sides but none in ``currency``, rather than an amount of another
    currency read as the record's."""
    money_set = p.opt_obj(key)
    return _side_or_fail(money_set, currency) if money_set is not None else None


def money(p: Payload, key: str, currency: str) -> Money | None:
    """``key`` in ``currency``: its set's side in ``currency`` when there is a set (see
    :func:`money_side`), else the plain field. The plain field may be in the store's
    currency instead (some are documented so): beside a set it must equal one of the set's
    sides, and one that equals neither is a PayloadError, not a guess."""
    value = p.opt_decimal(key)
    money_set = p.opt_obj(f"{key}_set")
    side = _side_or_fail(money_set, currency) if money_set is not None else None
    if side is None or money_set is None:
        return None if value is None else Money(value, currency)
    amount = side.opt_decimal("amount")
    if value is None or value == amount:
        amount = amount if value is None else value  # as the plain field spells it (fast's)
    else:
        sides = [s for name in _SIDES if (s := money_set.opt_obj(name)) is not None]
        others = [s.opt_decimal("amount") for s in sides
                  if s.opt_currency("currency_code") not in (None, currency)]  # fmt: skip
        # Beside a side without its amount, the plain field is the amount only when no side
        # is in another currency it could be in.
        if amount is None and not others:
            amount = value
        elif amount is None:
            side.fail(f"{key} is {value} but its {currency} side has no amount, and the set "
                      "has a side in another currency it may be in", "amount")  # fmt: skip
        elif value not in others:
            side.fail(f"{key} is {value} but its {currency} side is {amount}, and no side of "
                      "it is that amount", "amount")  # fmt: skip
    return None if amount is None else Money(amount, currency)


def refund_currency(p: Payload) -> str | None:
    """The currency a refund names itself: its first transaction's ``currency`` that is
    given, else its own ``currency``. None when it names none (a refund without
    transactions, such as one that only restocks): it is in its order's currency, which
    only the order says (the store's settlement currency may be another one)."""
    for row in p.iter("transactions"):
        if named := row.opt_currency("currency"):
            return named
    return p.opt_currency("currency")


_REFUND_SETS = (("refund_line_items", ("subtotal_set", "total_tax_set")),
                ("order_adjustments", ("amount_set", "tax_amount_set")))  # fmt: skip
"""A refund's amounts that come with a set: its lines' and its adjustments'."""


def delivered_refund_currency(p: Payload) -> str:
    """The currency of a refund read without its order (a webhook delivery, which reads
    nothing): the one it names (:func:`refund_currency`), else the one currency every side
    of its amounts' sets names, when at least one set gives both sides.

    Otherwise the order's currency decides, and the delivery does not carry it: a set with
    sides in two currencies (an order placed in another enabled currency than the store's)
    has one side in it, but which one only the order says; the store's settlement currency
    is no answer either. That is a PayloadError naming the order to read the refund from,
    never a guess.
    """
    if named := refund_currency(p):
        return named
    codes: set[str] = set()
    whole = False  # a set whose two sides both name a currency
    for key, fields in _REFUND_SETS:
        for row in p.iter(key):
            for field in fields:
                money_set = row.opt_obj(field)
                sides = [money_set.opt_obj(name) for name in _SIDES] if money_set else []
                named_sides = [c for s in sides if s and (c := s.opt_currency("currency_code"))]
                codes.update(named_sides)
                whole = whole or len(named_sides) == len(_SIDES)
    if len(codes) == 1 and whole:
        return codes.pop()
    said = (f"its amounts are in {', '.join(sorted(codes))}" if len(codes) > 1
            else "its amounts' sets do not name one on both sides")  # fmt: skip
    order = p.opt_ref("order_id")
    read = f"store.extra.list_refunds({order!r})" if order else "store.extra.list_refunds()"
    p.fail(f"this refund names no currency (neither in its transactions nor as currency) and "
           f"{said}: it is in its order's currency, which a delivery does not say (the "
           f"store's may be another). Read it with {read}", "currency")  # fmt: skip


# Writing -----------------------------------------------------------------------------------
def money_text(value: Money, field: str) -> str:
    """``value`` as SHOPLINE's amount text, with its currency's decimals (JPY ``1000``, USD
    ``59.99``, KWD ``1.120``); ValidationError naming ``field`` when it is negative, has
    more decimals than its currency, or more than SHOPLINE keeps (:data:`PLACES`)."""
    validation.money(value, field)
    amount = value.amount
    if amount != round(amount, PLACES):
        raise ValidationError(
            f"{field} {value} needs more than {PLACES} decimals, and SHOPLINE rounds every "
            f"amount to {PLACES} decimal places (it would record another amount); give one in "
            "whole hundredths",
            field=field,
        )
    return str(value.quantize().amount)  # the currency's decimals, checked above


def order_discount(draft: OrderDraft) -> Money | None:
    """The ``total_discounts`` that makes a created order's total the draft's, if any.

    A SHOPLINE order has no total field: its total is lines + shipping + tax (unless the
    prices include it) - discounts. A draft total below that sum is the discount; a total
    above it (a payment fee, a tip, tax inside the total without ``tax_total``) has no field
    to go in, so it is refused rather than recorded as a smaller order.
    """
    currency = draft.currency
    lines = Money.sum((line.unit_price * line.quantity for line in draft.lines), currency)
    shipping = draft.shipping_total or Money.zero(currency)
    # Gross prices (taxes_included) already contain the tax, so it is not added on top.
    tax = None if draft.taxes_included else draft.tax_total
    charged = lines + shipping + (Money.zero(currency) if tax is None else tax)
    if draft.total > charged:
        added = "in the prices" if draft.taxes_included else tax or "not given"
        raise ValidationError(
            f"total {draft.total} is {draft.total - charged} above what SHOPLINE would record: "
            f"lines {lines} + shipping {shipping} + tax ({added}) = {charged}, and "
            "its orders have no field for other charges (a payment fee, a tip). Give the tax "
            "as tax_total (taxes_included=False when it comes on top of the prices), or add "
            "the charge as a line of its own",
            field="total",
        )
    return charged - draft.total if charged > draft.total else None


__all__ = [
    "PLACES",
    "delivered_refund_currency",
    "money",
    "money_side",
    "money_text",
    "order_discount",
    "refund_currency",
]
