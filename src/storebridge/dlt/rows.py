"""Model objects as rows for dlt: typed values, nested lists left for dlt to unnest.

A row is the object's fields with ``raw`` left out: money as ``{"amount": Decimal,
"currency": str}`` (columns ``total__amount``, ``total__currency``), datetimes as
timezone-aware datetimes, enums as their value, nested objects as dicts (flattened into
columns) and lists (``lines``, ``addresses``, ``variants``, ``tags``...) as lists, which
dlt loads as child tables (``orders__lines``, ``customers__addresses``...) linked to their
parent row by ``_dlt_parent_id``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from storebridge.errors import StorebridgeError
from storebridge.model import Money

__all__ = ["AMOUNT_SCALE", "LEFT_OUT", "UnloadableValue", "row"]

LEFT_OUT = frozenset({"raw"})
"""Fields never loaded: the platform's raw payload stays in the platform."""

_fields: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _fields.get(cls)
    if names is None:
        names = _fields[cls] = tuple(
            field.name for field in attrs.fields(cls) if field.name not in LEFT_OUT
        )
    return names


AMOUNT_SCALE = 20
"""Decimals the warehouse keeps of an amount: its columns are DECIMAL(38, 20), which holds
every amount of up to 18 integer digits (``validation.AMOUNT_DIGITS``) exactly."""


class UnloadableValue(StorebridgeError):
    """A value the warehouse would store altered (rounded, stripped): the load stops
    rather than change it silently."""


def _value(value: Any, scale: int = AMOUNT_SCALE) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise UnloadableValue(
                f"the text {value[:40]!r} holds a NUL character, which the warehouse drops; "
                "fix it on the platform (or export with `storebridge export`, which keeps it)"
            )
        return value
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Money):
        if _decimals(value.amount) > scale:
            raise UnloadableValue(
                f"the amount {value} has more than {scale} decimals, more than the "
                "warehouse column keeps; it would be rounded"
                + (
                    ""
                    if scale == AMOUNT_SCALE
                    else " (the column was created by an earlier "
                    f"version with {scale} decimals: load into a new database or dataset)"
                )
            )
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_value(item, scale) for item in value]
    if attrs.has(type(value)):
        return {name: _value(getattr(value, name), scale) for name in _names(type(value))}
    return value  # Decimal, datetime, date, bool: dlt types them as they are


def _decimals(amount: Decimal) -> int:
    """Decimal places ``amount`` needs (trailing zeros do not count: 1.50 needs 1)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0 or not any(digits):
        return 0
    trailing = 0
    for digit in reversed(digits):
        if digit != 0 or trailing >= -exponent:
            break
        trailing += 1
    return -exponent - trailing


def row(store: str, record: Any, scale: int = AMOUNT_SCALE) -> dict[str, Any]:
    """``record`` (an Order, Customer, Product...) as a row tagged with its ``store``;
    ``scale``: the decimals the destination keeps of an amount."""
    data: dict[str, Any] = {"store": store}
    data.update(_value(record, scale))
    return data
