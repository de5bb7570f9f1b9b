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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from storebridge.errors import ValidationError
from storebridge.model import Money, RefundLine, RestockType

UNCAPTURED_PAYMENT_STATUSES = frozenset({"authorized", "expiring"})


def allowed_restock_types(line: Mapping[str, Any]) -> frozenset[RestockType]:
    physical = bool(line.get("requires_shipping", True))
    unfulfilled = int(line.get("fulfillable_quantity") or 0) > 0
    if unfulfilled:
        return frozenset({RestockType.CANCEL})
    if physical:
        return frozenset({RestockType.RETURN, RestockType.NO_RESTOCK})
    return frozenset({RestockType.NO_RESTOCK})


def check_refund(
    order: Mapping[str, Any],
    lines: Sequence[RefundLine],
    shipping: Money | None,
    *,
    require_restock: bool,
) -> None:
    """Raise ValidationError (naming the field) when the refund breaks a platform rule.

    ``require_restock`` is False for the calculation, which infers a restock type when a
    line's is ``RestockType.UNKNOWN``.
    """
    by_id = {str(line.get("id")): line for line in order.get("lines") or ()}
    seen: set[str] = set()
    for index, wanted in enumerate(lines):
        field = f"lines[{index}]"
        line = by_id.get(wanted.line_ref)
        if line is None:
            raise ValidationError(
                f"{field}.line_ref {wanted.line_ref!r} is not a line of order "
                f"{order.get('number')}; lines are {', '.join(sorted(by_id)) or 'none'}",
                field=f"{field}.line_ref",
            )
        if wanted.line_ref in seen:
            raise ValidationError(
                f"{field}: line {wanted.line_ref} is listed twice; give it once with the "
                "total quantity",
                field=f"{field}.line_ref",
            )
        seen.add(wanted.line_ref)
        on_order = int(line.get("current_quantity", line.get("quantity", 0)) or 0)
        if wanted.quantity > on_order:
            raise ValidationError(
                f"{field}.quantity {wanted.quantity} is more than the {on_order} unit(s) of "
                f"line {wanted.line_ref} still on the order",
                field=f"{field}.quantity",
            )
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
            kind = "physical" if line.get("requires_shipping", True) else "digital"
            raise ValidationError(
                f"{field}.restock {wanted.restock.value!r} is not allowed for a {state} "
                f"{kind} line; use {' or '.join(sorted(a.value for a in allowed))}",
                field=f"{field}.restock",
            )
    if str(order.get("payment_status")) in UNCAPTURED_PAYMENT_STATUSES and _is_partial(
        order, lines, shipping
    ):
        raise ValidationError(
            f"order {order.get('number')}'s payment is not captured, and uncaptured payments "
            "cannot be partially refunded; capture it first, or refund every line and all "
            "shipping (or cancel the order)",
            field="lines",
        )


def _is_partial(
    order: Mapping[str, Any], lines: Sequence[RefundLine], shipping: Money | None
) -> bool:
    wanted = {line.line_ref: line.quantity for line in lines}
    for line in order.get("lines") or ():
        on_order = int(line.get("current_quantity", line.get("quantity", 0)) or 0)
        if on_order and wanted.get(str(line.get("id")), 0) < on_order:
            return True
    order_shipping = Decimal(str(order.get("shipping_excl_tax") or "0"))
    refunded_shipping = shipping.amount if shipping is not None else Decimal("0")
    return refunded_shipping < order_shipping
