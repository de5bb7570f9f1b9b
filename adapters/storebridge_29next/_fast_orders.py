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
from typing import Any

from storebridge.kit import (
    NotPlain,
    PlainStatus,
    plain_amount,
    plain_model,
    plain_money,
    plain_text,
    plain_time,
    read_plain,
)
from storebridge.model import (
    Customer,
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderStatus,
)
from storebridge_29next._converter import (
    AMOUNTS_METADATA_KEY,
    FINANCIAL_STATUS_ALIASES,
    FULFILLMENT_STATUS_ALIASES,
    ORDER_STATUS_ALIASES,
    PLATFORM,
    subtotal,
)

_CODE = re.compile(r"[A-Z]{3}").fullmatch
# Keys a slim row never has: rows that carry them are full orders (2023-02-10 list rows).
_DETAIL_KEYS = frozenset({"lines", "shipping_address", "billing_address", "transactions",
                          "refunds", "tags"})  # fmt: skip
_STATUS = PlainStatus(OrderStatus, ORDER_STATUS_ALIASES)
_PAYMENT = PlainStatus(FinancialStatus, FINANCIAL_STATUS_ALIASES)
_FULFILLMENT = PlainStatus(FulfillmentStatus, FULFILLMENT_STATUS_ALIASES)
# Every value below comes from a plain reader, so the objects are built without the checks.
_Order = plain_model(Order)
_Customer = plain_model(Customer)
# Short names for the kit's readers, so each field below reads as one call.
_text = plain_text
_time = plain_time
_money = plain_money
_amount = plain_amount


def _customer(user: Any) -> Customer | None:
    if user is None or user == {}:
        return None
    if type(user) is not dict:
        raise NotPlain
    ident = user.get("id")
    if ident is None:
        return None
    flag = user.get("accepts_marketing")
    # By identity: ``0.0 in (True, False, None)`` holds (0.0 == False), and a float is not
    # a flag the careful way accepts.
    plain_flag = flag is True or flag is False or flag is None
    if type(ident) is not int or not -(2**62) < ident < 2**62 or not plain_flag:
        raise NotPlain
    get = user.get
    return _Customer(
        platform=PLATFORM,
        ref=str(ident),
        email=_text(get("email")),
        first_name=_text(get("first_name")),
        last_name=_text(get("last_name")),
        phone=_text(get("phone_number")),
        accepts_marketing=flag,
        raw=user,
    )


def order_row(row: Any) -> Order | None:
    """The Order for a plain slim list row, or None (use the careful converter)."""
    if type(row) is not dict or not _DETAIL_KEYS.isdisjoint(row):
        return None
    return read_plain(_order, row)


def _order(row: dict[str, Any]) -> Order:
    get = row.get
    currency, number = get("currency"), get("number")
    if type(currency) is not str or not _CODE(currency):
        raise NotPlain
    if (
        type(number) is not str
        or not 0 < len(number) <= 256
        or not (number.isascii() and number.isprintable() and number.strip())
    ):
        raise NotPlain
    metadata = get("metadata")
    if type(metadata) is dict and AMOUNTS_METADATA_KEY in metadata:
        raise NotPlain
    total = _money(get("total_incl_tax"), currency)
    if total is None:
        raise NotPlain
    excl = _amount(get("total_excl_tax"))
    shipping_excl = _amount(get("shipping_excl_tax"))
    customer = _customer(get("user"))
    status = _text(get("status"))
    payment = _text(get("payment_status"))
    fulfillment = _text(get("fulfillment_status"))
    return _Order(
        platform=PLATFORM,
        ref=number,
        number=number,
        status=_STATUS(status),
        status_raw=status,
        financial_status=_PAYMENT(payment),
        financial_status_raw=payment,
        fulfillment_status=_FULFILLMENT(fulfillment),
        fulfillment_status_raw=fulfillment,
        currency=currency,
        total=total,
        subtotal=subtotal(excl, shipping_excl, currency),
        shipping_total=_money(get("shipping_incl_tax"), currency),
        tax_total=_money(get("total_tax"), currency),
        discount_total=_money(get("total_discount"), currency),
        email=customer.email if customer else None,
        customer=customer,
        created_at=_time(get("date_placed")) or _time(get("created_at")),
        updated_at=_time(get("updated_at")),
        taxes_included=True,  # as the careful way: prices are price_incl_tax
        partial=True,
        raw=row,
    )


__all__ = ["order_row"]
