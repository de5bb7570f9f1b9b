"""Checks a refund against the order before anything is sent, as the vendor's guide states.

Restock rules (order-management guide, and the refund calculation's description):

============  ===========  ==========================
product       line state   allowed ``restock_type``
============  ===========  ==========================
physical      unfulfilled  ``cancel``
physical      fulfilled    ``return`` or ``no_restock``
digital       unfulfilled  ``cancel``
digital       fulfilled    ``no_restock``
============  ===========  ==========================

A line is *physical* when it ``requires_shipping``, and *unfulfilled* while it still has
units to fulfil (``fulfillable_quantity > 0``). Uncaptured (authorized) payments cannot be
partially refunded.

The order is read through a :class:`~storebridge.kit.Payload`: a malformed line is a
PayloadError with its path (``$.lines[2].fulfillable_quantity``), never a bare exception;
what the user asks for is a ValidationError naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.kit import Payload
from storebridge.model import Money, RefundLine, RestockType
from storebridge_29next._converter import line_quantity

UNCAPTURED_PAYMENT_STATUSES = frozenset({"authorized", "expiring"})


def allowed_restock_types(line: Payload) -> frozenset[RestockType]:
    """The restock types the platform accepts for ``line`` (see the module docstring)."""
    physical = line.opt_bool("requires_shipping") is not False
    if (line.opt_integer("fulfillable_quantity") or 0) > 0:
        return frozenset({RestockType.CANCEL})
    if physical:
        return frozenset({RestockType.RETURN, RestockType.NO_RESTOCK})
    return frozenset({RestockType.NO_RESTOCK})


def units_on_order(line: Payload) -> int:
    """Units of ``line`` still on the order (``current_quantity``; 2023-02-10: ``quantity``),
    or PayloadError naming the field the line's version holds them in."""
    return line_quantity(line)[0]


def _lines_by_ref(order: Payload) -> dict[str, Payload]:
    return {str(line.integer("id")): line for line in order.iter("lines")}


def refunded_units(order: Payload) -> dict[str, int]:
    """Units of each line refunded and still on the order (refunds that cancelled units took
    them off the order, so they no longer count)."""
    done: dict[str, int] = {}
    for refund in order.iter("refunds"):
        for item in refund.iter("refund_line_items"):
            if item.opt_string("restock_type") == "cancel":
                continue
            ref = str(item.integer("line_item_id"))
            done[ref] = done.get(ref, 0) + (item.opt_integer("quantity") or 0)
    return done


def check_refund(
    order: Payload,
    lines: Sequence[RefundLine],
    shipping: Money | None,
    *,
    require_restock: bool,
) -> None:
    """Raise ValidationError (naming the field) when the refund breaks a platform rule.

    ``require_restock`` is False for the calculation, which infers a restock type when a
    line's is ``RestockType.UNKNOWN``.
    """
    by_ref = _lines_by_ref(order)
    refunded = refunded_units(order)
    number = order.opt_string("number")
    left = {ref: units_on_order(line) - refunded.get(ref, 0) for ref, line in by_ref.items()}
    validation.refund_lines(lines, left, order=number)
    for index, wanted in enumerate(lines):
        field = f"lines[{index}]"
        line = by_ref[wanted.line_ref]
        if wanted.restock is RestockType.UNKNOWN:
            if require_restock:
                raise ValidationError(
                    f"{field}.restock must be set to create a refund; use the restock type "
                    "from refunds.calculate()",
                    field=f"{field}.restock",
                )
            continue
        allowed = allowed_restock_types(line)
        if wanted.restock not in allowed:
            state = "unfulfilled" if RestockType.CANCEL in allowed else "fulfilled"
            kind = "physical" if line.opt_bool("requires_shipping") is not False else "digital"
            raise ValidationError(
                f"{field}.restock {wanted.restock.value!r} is not allowed for a {state} "
                f"{kind} line; use {' or '.join(sorted(a.value for a in allowed))}",
                field=f"{field}.restock",
            )
    if order.opt_string("payment_status") in UNCAPTURED_PAYMENT_STATUSES and _is_partial(
        order, by_ref, lines, shipping
    ):
        raise ValidationError(
            f"order {number}'s payment is not captured, and uncaptured payments cannot be "
            "partially refunded; capture it first, or refund every line and all shipping "
            "(or cancel the order)",
            field="lines",
        )


def _is_partial(
    order: Payload,
    by_ref: dict[str, Payload],
    lines: Sequence[RefundLine],
    shipping: Money | None,
) -> bool:
    wanted = {line.line_ref: line.quantity for line in lines}
    for ref, line in by_ref.items():
        on_order = units_on_order(line)
        if on_order and wanted.get(ref, 0) < on_order:
            return True
    order_shipping = order.opt_decimal("shipping_excl_tax") or Decimal(0)
    refunded_shipping = shipping.amount if shipping is not None else Decimal(0)
    return refunded_shipping < order_shipping


_RETURNING = frozenset({"refund", "void"})
"""Transaction types that give money back against their parent payment."""


def refundable(order: Payload) -> dict[str, Decimal]:
    """What each payment of ``order`` can still return: its amount less the refunds and
    voids against it (succeeded payments of type debit, capture or authorize)."""
    returned: dict[str, Decimal] = {}
    payments: dict[str, Decimal] = {}
    for txn in order.iter("transactions"):
        if txn.opt_string("status") not in (None, "succeeded"):
            continue
        kind = txn.opt_string("type")
        amount = txn.decimal("amount")
        if kind in _RETURNING and txn.opt_integer("parent_id") is not None:
            parent = str(txn.integer("parent_id"))
            returned[parent] = returned.get(parent, Decimal(0)) + amount
        elif kind in ("debit", "capture", "authorize"):
            payments[str(txn.integer("id"))] = amount
    return {ref: amount - returned.get(ref, Decimal(0)) for ref, amount in payments.items()}


__all__ = [
    "UNCAPTURED_PAYMENT_STATUSES",
    "allowed_restock_types",
    "check_refund",
    "refundable",
    "refunded_units",
    "units_on_order",
]
