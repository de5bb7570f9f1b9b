"""Writing model objects as JSON lines or CSV, one record at a time.

CSV columns come from the model class, not from the first record, so the header is the
same for every run of a resource and no later record can lose a value to a missing
column. Flattening rules: money is two columns (``total``, ``total_currency``); lists of
words are joined with ``", "``, or written as a JSON array when that join could not be split
back (see :func:`_words`); lists of objects become a count (``lines_count``); a nested
object with a ``ref`` becomes ``<name>_ref``; another nested object (an address) becomes its
own columns, prefixed with its name (``shipping_address_city``); ``raw`` is left out (JSON
lines keep everything). Products get one row per variant with flat variant columns
``variant_ref, sku, variant_title, price, currency, stock, compare_at_price``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

import attrs

from storebridge.cli.output import OutputClosed, WriteFailed
from storebridge.model import Customer, Money, Order, Product
from storebridge.serialization import json_line, to_dict

MODELS: dict[str, type] = {"orders": Order, "customers": Customer, "products": Product}
"""What ``export`` can write: resource name -> model class."""

_SCALARS = (str, int, float, bool, Decimal, datetime, Enum)
_VARIANT_COLUMNS = [
    "variant_ref", "sku", "variant_title", "price", "currency", "stock", "compare_at_price",
]  # fmt: skip

Flatten = Callable[[dict[str, Any]], dict[str, Any]]


def _kind(hint: Any) -> tuple[str, type | None]:
    """(how a field is flattened, the attrs class involved if any)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if hint is Money:
        return "money", None
    if origin is tuple:
        item = args[0] if args else Any
        return ("words", None) if item is str else ("count", None)
    if isinstance(hint, type) and attrs.has(hint):
        has_ref = "ref" in attrs.fields_dict(hint)
        return ("ref" if has_ref else "nested"), hint
    if isinstance(hint, type) and issubclass(hint, _SCALARS):
        return "scalar", None
    return "skip", None


def _plan(cls: type, leave_out: tuple[str, ...] = ("raw",)) -> tuple[list[str], Flatten]:
    """The CSV columns of ``cls`` and a function turning its ``to_dict`` output into a row."""
    hints = typing.get_type_hints(cls)
    steps: list[tuple[str, str]] = []
    columns: list[str] = []
    inner: dict[str, tuple[list[str], Flatten]] = {}
    for field in attrs.fields(cls):
        if field.name in leave_out:
            continue
        kind, nested = _kind(hints[field.name])
        steps.append((field.name, kind))
        if kind == "nested" and nested is not None:
            # An address: its own columns, prefixed (``shipping_address_city``).
            inner[field.name] = _plan(nested, leave_out)
            columns += [f"{field.name}_{column}" for column in inner[field.name][0]]
            continue
        columns += {
            "money": [field.name, f"{field.name}_currency"],
            "words": [field.name],
            "count": [f"{field.name}_count"],
            "ref": [f"{field.name}_ref"],
            "scalar": [field.name],
            "skip": [],
        }[kind]

    def flatten(data: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, kind in steps:
            value = data.get(name)
            if kind == "nested":
                sub_columns, sub_flatten = inner[name]
                sub = sub_flatten(value) if isinstance(value, dict) else {}
                row.update({f"{name}_{c}": sub.get(c) for c in sub_columns})
            elif kind == "money":
                row[name] = value["amount"] if value else None
                row[f"{name}_currency"] = value["currency"] if value else None
            elif kind == "words":
                row[name] = _words(value or ())
            elif kind == "count":
                row[f"{name}_count"] = len(value or ())
            elif kind == "ref":
                row[f"{name}_ref"] = value.get("ref") if isinstance(value, dict) else None
            elif kind == "scalar":
                row[name] = value
        return row

    return columns, flatten


def _words(words: Iterable[str]) -> str:
    """A list of words (tags) as one CSV cell that reads back as the same list.

    Joined with ``", "`` (readable, and what nearly every store's tags give) unless that
    join could be read back otherwise: a word holding a comma (``("wholesale, EU", "vip")``
    would read as three tags), an empty word (``("",)`` would read as no tags) or a first
    word starting with ``[`` (the cell would look like the JSON array below). Then the
    cell is the words as a JSON array, ``["wholesale, EU", "vip"]``. A reader splits a cell
    on ``", "`` unless it starts with ``[``, in which case it parses it as JSON.
    """
    items = list(words)
    if any("," in word or not word for word in items) or (items and items[0][:1] == "["):
        return json.dumps(items, ensure_ascii=False)
    return ", ".join(items)


def csv_columns(resource: str) -> list[str]:
    """The CSV header of ``resource``."""
    if resource == "products":
        columns, _ = _plan(Product, ("raw", "variants"))
        return columns + _VARIANT_COLUMNS
    columns, _ = _plan(MODELS[resource])
    return columns


def _csv_rows(resource: str) -> Callable[[dict[str, Any]], Iterator[dict[str, Any]]]:
    if resource != "products":
        _, flatten = _plan(MODELS[resource])
        return lambda data: iter([flatten(data)])
    _, product_row = _plan(Product, ("raw", "variants"))

    def rows(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
        base = product_row(data)
        variants = data.get("variants") or [{}]
        for variant in variants:
            price = variant.get("price") or {}
            yield {
                **base,
                "variant_ref": variant.get("ref"),
                "sku": variant.get("sku"),
                "variant_title": variant.get("title"),
                "price": price.get("amount"),
                "currency": price.get("currency"),
                "stock": variant.get("stock"),
                # In ``currency`` too: a draft's compare-at price is in its price's currency.
                "compare_at_price": (variant.get("compare_at_price") or {}).get("amount"),
            }

    return rows


class RecordWriter:
    """Writes records of one resource to ``out`` as ``jsonl`` or ``csv``.

    Each record goes out in one write (all of a product's variant rows too), and a write
    the system refuses raises :class:`~storebridge.cli.output.WriteFailed`; a closed pipe
    (``| head``) raises :class:`~storebridge.cli.output.OutputClosed`: the reader left,
    nothing failed.
    """

    def __init__(
        self,
        out: TextIO,
        fmt: str,
        resource: str,
        *,
        store_column: bool = False,
        whole: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._out = out
        self._jsonl = fmt == "jsonl"
        # Each record is written and counted inside it: with a WholeWrites gate, an
        # interrupt waits for both, so ``count`` is what the output got.
        self._whole: AbstractContextManager[Any] = whole or contextlib.nullcontext()
        self.count = 0
        """Records written whole to the output (its buffer included)."""
        self.partial = 0
        """Records written incomplete (``partial``: a platform's slim list rows)."""
        if not self._jsonl:
            self._rows = _csv_rows(resource)
            # Several stores in one file: a first "store" column says whose record it is.
            columns = ["store", *csv_columns(resource)] if store_column else csv_columns(resource)
            self._text = io.StringIO(newline="")
            self._csv = csv.DictWriter(self._text, fieldnames=columns)
            self._csv.writeheader()
            self._send(self._csv_text())

    def write(self, record: Any, store: str | None = None) -> None:
        """Write one record; ``store`` (several stores in one file) comes first in it."""
        data = to_dict(record)
        if self._jsonl:
            tagged = data if store is None else {"store": store, **data}
            text = json_line(tagged)
        else:
            if store is None:
                self._csv.writerows(self._rows(data))
            else:
                self._csv.writerows({"store": store, **row} for row in self._rows(data))
            text = self._csv_text()
        with self._whole:
            self._send(text)
            self.count += 1
            if getattr(record, "partial", False):
                self.partial += 1

    def write_all(self, records: Iterable[Any], step: Callable[[int], None]) -> None:
        try:
            for record in records:
                self.write(record)
                step(1)
        finally:
            close_listing(records)

    def flush(self) -> None:
        """Push what is buffered to the output (same errors as :meth:`write`)."""
        self._send(None)

    def _csv_text(self) -> str:
        text = self._text.getvalue()
        self._text.seek(0)
        self._text.truncate()
        return text

    def _send(self, text: str | None) -> None:
        try:
            if text is None:
                self._out.flush()
            else:
                self._out.write(text)
        except BrokenPipeError:
            raise OutputClosed from None
        except OSError as exc:
            raise WriteFailed(exc) from exc


def close_listing(records: Iterable[Any]) -> None:
    """Close ``records`` (a listing) if it can be. A write that fails leaves the listing to
    the traceback: closed now, its requests stop here, not whenever the garbage collector
    gets to it."""
    close = getattr(records, "close", None)
    if close is not None:
        close()


__all__ = ["MODELS", "RecordWriter", "close_listing", "csv_columns"]
