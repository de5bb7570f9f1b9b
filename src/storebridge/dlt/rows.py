"""Model objects as rows for dlt: typed values, nested lists left for dlt to unnest.

A row is the object's fields with ``raw`` left out: money as ``{"amount": Decimal,
"currency": str}`` (columns ``total__amount``, ``total__currency``), datetimes as
timezone-aware datetimes, enums as their value, nested objects as dicts (flattened into
columns) and lists (``lines``, ``addresses``, ``variants``, ``tags``...) as lists, which
dlt loads as child tables (``orders__lines``, ``customers__addresses``...) linked to their
parent row by ``_dlt_parent_id``. A nested object that is None is left out of the row; its
columns, declared from the model (:mod:`storebridge.dlt.hints`), load as NULL.
"""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from storebridge.errors import StorebridgeError
from storebridge.model import Money

__all__ = ["AMOUNT_SCALE", "INT_MAX", "INT_MIN", "LEFT_OUT", "UnloadableValue", "row"]

LEFT_OUT = frozenset({"raw"})
"""Fields never loaded: the platform's raw payload stays in the platform."""

_fields: dict[type, tuple[tuple[str, bool], ...]] = {}


def _names(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, whether it holds a nested object) of each field of ``cls`` that is loaded."""
    names = _fields.get(cls)
    if names is None:
        hints = typing.get_type_hints(cls)
        names = _fields[cls] = tuple(
            (field.name, _is_object(hints[field.name]))
            for field in attrs.fields(cls)
            if field.name not in LEFT_OUT
        )
    return names


def _is_object(hint: Any) -> bool:
    """Whether ``hint`` is a nested object (an attrs class, Money included), optional or not."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    return isinstance(hint, type) and attrs.has(hint)


INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""The whole numbers a bigint column (64 bits, what dlt makes of an int) holds."""

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
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:  # a bool is in range
        # dlt types it bigint and extracts it; the load then fails, and leaves a package
        # every later run tries first and fails on again. Refused here, nothing is queued.
        raise UnloadableValue(
            f"the whole number {value} is outside the range a warehouse bigint column holds "
            f"({INT_MIN} to {INT_MAX}); fix it on the platform (or export with "
            "`storebridge export`, which keeps it)"
        )
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
        # A nested object that is None is left out: its flattened columns (declared by
        # the table hints) load as NULL all the same, whereas a None under its own name
        # makes dlt warn, on every such load, of a column that "did not receive any data".
        return {
            name: _value(item, scale)
            for name, is_object in _names(type(value))
            if (item := getattr(value, name)) is not None or not is_object
        }
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
