"""The values 29 Next's listing filters take, and the unified statuses behind them.

A value the platform does not expect lists the wrong records in silence: a misspelt
``status="opn"`` matches no order, a list given to a one-value filter (``email=[a, b]``)
is read as its last value, and ``date_placed_from`` after ``date_placed_to`` is an empty
window. Each is refused here, before any request. The choices, and which filters take
several values, are those of ``GET /orders/``, ``/users/`` and ``/products/`` in the Admin
API reference (the same in 2023-02-10, 2024-04-01 and unstable).

A unified value (``financial_status="authorized"``) stands for every platform value the
converter reads as it (``authorized`` and ``expiring``), sent as one repeated parameter, so
the listing keeps exactly the orders whose ``financial_status`` shows that value. A
platform value given as is (``"expiring"``) keeps only its own orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.kit import OrderQuery
from storebridge.model import FinancialStatus, FulfillmentStatus, OrderStatus
from storebridge.model.status import OpenEnum
from storebridge_29next._converter import (
    FINANCIAL_STATUS_ALIASES,
    FULFILLMENT_STATUS_ALIASES,
    ORDER_STATUS_ALIASES,
)

CHOICES: Mapping[str, tuple[str, ...]] = {
    "status": ("archived", "canceled", "open"),
    "payment_status": (
        "authorized", "expired", "expiring", "paid", "partially_paid", "partially_refunded",
        "partially_voided", "pending", "refunded", "voided",
    ),
    "fulfillment_status": (
        "fulfilled", "incomplete", "not_required", "on_hold", "partially_fulfilled",
        "processing", "rejected", "unfulfilled",
    ),
    "delivery_status": (
        "attempted_delivery", "delayed", "delivered", "failed_delivery", "in_transit",
        "out_for_delivery", "tracking_added",
    ),
    "subscription_lifecycle": ("non-recurring", "recurring"),
    "sources": ("admin_api", "checkout", "dashboard", "subscription"),
}  # fmt: skip
"""Each enum-valued filter of ``GET /orders/`` and its choices."""

_UNIFIED: tuple[tuple[str, str, type[OpenEnum], Mapping[str, str]], ...] = (
    ("status", "status", OrderStatus, ORDER_STATUS_ALIASES),
    ("financial_status", "payment_status", FinancialStatus, FINANCIAL_STATUS_ALIASES),
    ("fulfillment_status", "fulfillment_status", FulfillmentStatus, FULFILLMENT_STATUS_ALIASES),
)
"""(facade keyword, platform filter, unified enum, the converter's aliases)."""


def _standing_for(
    param: str, kind: type[OpenEnum], aliases: Mapping[str, str]
) -> dict[str, list[str]]:
    """Unified value -> the platform values the converter reads as it."""
    found: dict[str, list[str]] = {member.value: [] for member in kind}
    for raw in CHOICES[param]:
        found[kind.parse(raw, aliases).value].append(raw)
    return found


_STANDS_FOR = {
    keyword: (param, _standing_for(param, kind, aliases))
    for keyword, param, kind, aliases in _UNIFIED
}


def status_params(query: OrderQuery) -> dict[str, list[str]]:
    """The platform filters for the query's ``status``, ``financial_status`` and
    ``fulfillment_status`` (one value or several): unified values widened to the platform
    values behind them, platform values as given; anything else is a ValidationError
    naming the choices."""
    params: dict[str, list[str]] = {}
    for keyword, (param, stands_for) in _STANDS_FOR.items():
        given = getattr(query, keyword)
        if given is None:
            continue
        values = given if isinstance(given, list | tuple | set | frozenset) else [given]
        raws: list[str] = []
        for value in values:
            raws.extend(_raws(keyword, param, stands_for, value))
        params[param] = list(dict.fromkeys(raws))
    return params


def _raws(keyword: str, param: str, stands_for: Mapping[str, list[str]], value: Any) -> list[str]:
    if isinstance(value, str) and value in stands_for:
        raws = stands_for[value]
        if not raws:
            raise ValidationError(
                f"29 Next has no order whose {keyword} is {value!r}: its {param} values "
                f"are {', '.join(CHOICES[param])}",
                field=keyword,
            )
        return raws
    allowed = [*(v for v, raws in stands_for.items() if raws), *CHOICES[param]]
    unique = list(dict.fromkeys(allowed))
    return [validation.choice(value, keyword, unique, what="29 Next's")]


MANY: Mapping[str, frozenset[str]] = {
    "orders": frozenset({
        "product", "location_id", "sku", "status", "payment_method", "fulfillment_status",
        "delivery_status", "payment_status", "coupon_code", "tags", "offers", "countries",
        "funnels", "sources", "agents",
    }),
    "customers": frozenset(),
    "products": frozenset({"category", "range", "sku"}),
}  # fmt: skip
"""The filters of each listing that take several values (``sku=a&sku=b``); any other
takes one."""

_WINDOWS = {"orders": ("date_placed_from", "date_placed_to"),
            "customers": ("date_joined_from", "date_joined_to")}  # fmt: skip


def check_filters(resource: str, extra: Mapping[str, Any]) -> None:
    """The platform filters in ``extra`` hold values the listing can use: one value where
    the filter takes one, an enum's choices, a date window that is not reversed."""
    many = MANY[resource]
    for name, value in extra.items():
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        if len(values) > 1 and name not in many:
            raise ValidationError(
                f"29 Next {resource}.list filter {name!r} takes one value, got {len(values)}: "
                "list once per value",
                field=name,
            )
        if resource == "orders" and name in CHOICES:
            for item in values:
                validation.choice(item, name, CHOICES[name], what="29 Next's")
    if resource in _WINDOWS:
        first, last = _WINDOWS[resource]
        low, high = _day(extra.get(first)), _day(extra.get(last))
        if low is not None and high is not None and low > high:
            raise ValidationError(
                f"{first} ({low}) is after {last} ({high}): no record is in that window",
                field=first,
            )


def _day(value: Any) -> date | None:
    """A window bound as a date, when it reads as one (else the platform judges it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


__all__ = ["CHOICES", "MANY", "check_filters", "status_params"]
