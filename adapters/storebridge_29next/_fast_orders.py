"""The fast path for well-formed order list rows: the careful converter decides the rest.

A listing converts every row, so a slim ``OrderList`` row (2024-04-01) whose every field
has the expected type and shape is read straight from the parsed dict: one type check and
one plain read per field, no :class:`~storebridge.kit.Payload` accessors. Anything else
(a field of another type, an amount that is not a plain decimal, an embedded line, the
amounts storebridge keeps in metadata...) returns None and the row goes through
:func:`~storebridge_29next._converter.order`, which gives the same object or a
PayloadError with the path of the bad value. A test holds both paths to the same result.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.model import (
    Customer,
    FinancialStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderStatus,
)
from storebridge_29next._converter import (
    AMOUNTS_METADATA_KEY,
    FINANCIAL_STATUS_ALIASES,
    FULFILLMENT_STATUS_ALIASES,
    ORDER_STATUS_ALIASES,
    PLATFORM,
)

_AMOUNT = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,4})?").fullmatch
_CODE = re.compile(r"[A-Z]{3}").fullmatch
# Keys a slim row never has: rows that carry them are full orders (2023-02-10 list rows).
_DETAIL_KEYS = frozenset({"lines", "shipping_address", "billing_address", "transactions",
                          "refunds", "tags"})  # fmt: skip
_NO_TIME = frozenset({"", "0000-00-00 00:00:00"})


class _Unusual(Exception):
    """The row is not plain: leave it to the careful converter."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str and value.isascii():
        return value or None
    raise _Unusual


_MONEY: dict[tuple[str, str], Money] = {}
"""Amounts already read, by text and currency: Money is immutable, and a store's amounts
repeat (0.00 tax, the same shipping charge), so most lookups skip parsing."""
_MONEY_KEPT = 4096
_STATUS: dict[tuple[type[Any], str], Any] = {}


def _money(row: dict[str, Any], key: str, currency: str) -> Money | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Unusual
    found = _MONEY.get((value, currency))
    if found is None:
        if not _AMOUNT(value):
            raise _Unusual
        if len(_MONEY) >= _MONEY_KEPT:
            _MONEY.clear()
        found = _MONEY[(value, currency)] = Money(Decimal(value), currency)
    return found


def _status(kind: type[Any], raw: str | None, aliases: dict[str, str]) -> Any:
    if raw is None:
        return kind.parse(None, aliases)
    found = _STATUS.get((kind, raw))
    if found is None:
        if len(_STATUS) >= _MONEY_KEPT:
            _STATUS.clear()
        found = _STATUS[(kind, raw)] = kind.parse(raw, aliases)
    return found


def _time(value: Any) -> datetime | None:
    if value is None or (type(value) is str and value in _NO_TIME):
        return None
    if type(value) is not str or len(value) > 40:
        raise _Unusual
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Unusual from None
    if parsed.tzinfo is None:
        raise _Unusual
    return parsed


def _customer(user: Any) -> Customer | None:
    if user is None or user == {}:
        return None
    if type(user) is not dict:
        raise _Unusual
    ident = user.get("id")
    if ident is None:
        return None
    flag = user.get("accepts_marketing")
    if type(ident) is not int or not -(2**62) < ident < 2**62 or flag not in (True, False, None):
        raise _Unusual
    return Customer(
        platform=PLATFORM,
        ref=str(ident),
        email=_text(user.get("email")),
        first_name=_text(user.get("first_name")),
        last_name=_text(user.get("last_name")),
        phone=_text(user.get("phone_number")),
        accepts_marketing=flag,
        raw=user,
    )


def order_row(row: Any) -> Order | None:
    """The Order for a plain slim list row, or None (use the careful converter)."""
    if type(row) is not dict or not _DETAIL_KEYS.isdisjoint(row):
        return None
    try:
        return _order(row)
    except _Unusual:
        return None


def _order(row: dict[str, Any]) -> Order:
    currency, number = row.get("currency"), row.get("number")
    if type(currency) is not str or not _CODE(currency):
        raise _Unusual
    if (
        type(number) is not str
        or not 0 < len(number) <= 256
        or not (number.isascii() and number.isprintable() and number.strip())
    ):
        raise _Unusual
    metadata = row.get("metadata")
    if type(metadata) is dict and AMOUNTS_METADATA_KEY in metadata:
        raise _Unusual
    total = _money(row, "total_incl_tax", currency)
    if total is None:
        raise _Unusual
    excl = _money(row, "total_excl_tax", currency)
    shipping_excl = _money(row, "shipping_excl_tax", currency)
    subtotal = None
    if excl is not None:
        subtotal = (
            excl
            if shipping_excl is None
            else Money(excl.amount - (shipping_excl.amount or Decimal(0)), currency)
        )
    customer = _customer(row.get("user"))
    status = _text(row.get("status"))
    payment = _text(row.get("payment_status"))
    fulfillment = _text(row.get("fulfillment_status"))
    return Order(
        platform=PLATFORM,
        ref=number,
        number=number,
        status=_status(OrderStatus, status, ORDER_STATUS_ALIASES),
        status_raw=status,
        financial_status=_status(FinancialStatus, payment, FINANCIAL_STATUS_ALIASES),
        financial_status_raw=payment,
        fulfillment_status=_status(FulfillmentStatus, fulfillment, FULFILLMENT_STATUS_ALIASES),
        fulfillment_status_raw=fulfillment,
        currency=currency,
        total=total,
        subtotal=subtotal,
        shipping_total=_money(row, "shipping_incl_tax", currency),
        tax_total=_money(row, "total_tax", currency),
        discount_total=_money(row, "total_discount", currency),
        email=customer.email if customer else None,
        customer=customer,
        created_at=_time(row.get("date_placed")) or _time(row.get("created_at")),
        updated_at=_time(row.get("updated_at")),
        partial=True,
        raw=row,
    )


__all__ = ["order_row"]
