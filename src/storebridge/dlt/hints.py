"""Column types for dlt, read from the model classes rather than guessed from the data.

dlt infers a column's type from the values it sees; a column that is empty in a whole load
(a store without company names, a platform without phone numbers) would not be created,
and would change type the day a value arrives. Declaring every column from the model keeps
the tables' shape the same for every store and every run. Nested objects become prefixed
columns (``customer__email``, ``total__amount``), lists of objects child tables
(``orders__lines``), lists of words child tables with a ``value`` column (``orders__tags``).
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from storebridge.dlt.rows import AMOUNT_SCALE, LEFT_OUT
from storebridge.model import Money

__all__ = ["Columns", "NestedHints", "table_hints"]

Columns = dict[str, dict[str, Any]]
NestedHints = dict[tuple[str, ...], dict[str, Any]]

_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),  # before int: a bool is an int
    (int, "bigint"),
    (float, "double"),
    (Decimal, "decimal"),
    (datetime, "timestamp"),  # before date: a datetime is a date
    (date, "date"),
    (str, "text"),
    (Enum, "text"),
)


def _unwrap(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return hint


def _scalar(hint: Any) -> str | None:
    if isinstance(hint, type):
        for cls, data_type in _SCALARS:
            if issubclass(hint, cls):
                return data_type
    return None


def _column(name: str, data_type: str, *, nullable: bool = True) -> dict[str, Any]:
    return {"name": name, "data_type": data_type, "nullable": nullable}


def _walk(
    cls: type,
    prefix: str,
    path: tuple[str, ...],
    columns: Columns,
    nested: NestedHints,
    table: str,
) -> None:
    """Columns of ``cls`` (flattened under ``prefix``) into ``columns``; its lists into
    ``nested`` by path below the root; ``table`` is the name of the table being filled."""
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        if field.name in LEFT_OUT:
            continue
        name = f"{prefix}{field.name}"
        hint = _unwrap(hints[field.name])
        data_type = _scalar(hint)
        if data_type is not None:
            columns[name] = _column(name, data_type)
        elif hint is Money:
            amount = _column(f"{name}__amount", "decimal")
            # dlt's default DECIMAL(38, 9) would round finer amounts away, silently.
            amount.update(precision=38, scale=AMOUNT_SCALE)
            columns[f"{name}__amount"] = amount
            columns[f"{name}__currency"] = _column(f"{name}__currency", "text")
        elif isinstance(hint, type) and attrs.has(hint):
            _walk(hint, f"{name}__", path, columns, nested, table)
        elif typing.get_origin(hint) in (tuple, list):
            item = _unwrap(typing.get_args(hint)[0])
            # A list inside a flattened object (an order's customer's addresses) is a child
            # of the table holding that object: its path names the object too.
            child = (*path, *prefix.split("__")[:-1], field.name)
            child_table = f"{table}__{name}"
            child_columns: Columns = {}
            item_type = _scalar(item)
            if item_type is not None:
                child_columns["value"] = _column("value", item_type)
            elif isinstance(item, type) and attrs.has(item):
                _walk(item, "", child, child_columns, nested, child_table)
            nested[child] = {"columns": child_columns, "parent_table_name": table}
        # Mappings and anything else: left for dlt to infer, as they come.


def table_hints(cls: type, table: str) -> tuple[Columns, NestedHints]:
    """(the root table's columns, hints of its child tables by path) for model ``cls``
    loaded as ``table``."""
    columns: Columns = {"store": _column("store", "text", nullable=False)}
    nested: NestedHints = {}
    _walk(cls, "", (), columns, nested, table)
    columns["ref"]["nullable"] = False  # part of the primary key
    return columns, nested
