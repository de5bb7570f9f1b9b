"""Order rows as SHOPLINE usually sends them, converted without the Payload accessors.

Most rows of an order listing are well formed: ids and texts are strings, amounts are short
numeric strings, times ISO 8601 with an offset. :func:`fast_order` converts exactly those
with plain dict reads and gives up (returns None) at the first value of any other kind; the
converter then reads the row the careful way (:func:`._converter.order`), which either
accepts the unusual value or raises a PayloadError with its JSON path. Both ways give equal
objects for every row the fast way accepts (a test compares them on mutated payloads).
"""

from __future__ import annotations

from typing import Any

from storebridge.kit import (
    NotPlain,
    PlainStatus,
    plain_amount,
    plain_flag,
    plain_model,
    plain_money,
    plain_ref,
    plain_text,
    plain_time,
    read_plain,
)
from storebridge.model import (
    Address,
    Customer,
    FinancialStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderLine,
    OrderStatus,
)
from storebridge_shopline._wire import (
    FULFILLMENT_ALIASES,
    ORDER_STATUS_ALIASES,
    PLATFORM,
    REGION,
    split_tags,
)

_UNFULFILLED = FulfillmentStatus.UNFULFILLED
# Every value below comes from a plain reader, so the objects are built without the checks.
_Order = plain_model(Order)
_OrderLine = plain_model(OrderLine)
_Customer = plain_model(Customer)
_Address = plain_model(Address)
# Short names for the kit's readers, so each field below reads as one call.
_Unusual = NotPlain
_text = plain_text
_ref = plain_ref
_amount = plain_amount
_time = plain_time
_flag = plain_flag


def fast_order(data: Any) -> Order | None:
    """The order in ``data`` when every value it reads is of the usual kind, else None."""
    if type(data) is not dict:
        return None
    return read_plain(_order, data)


def _money(row: dict[str, Any], key: str, set_key: str, currency: str) -> Money | None:
    """A plain amount field ``key`` that agrees with its twin ``set_key``'s ``shop_money``
    in the record's currency; anything else (no plain field, another side, a disagreement)
    is read the careful way, which says what is wrong."""
    value = row.get(key)
    found = plain_money(value, currency)
    money_set = row.get(set_key)
    if money_set is not None:
        shop = money_set.get("shop_money") if type(money_set) is dict else None
        if found is None or type(shop) is not dict or shop.get("currency_code") != currency:
            raise _Unusual
        amount = shop.get("amount")
        # The same text is the same amount: only differently spelled twins are parsed. (Text
        # only: ``True == 1``, and a boolean is no amount.)
        if (type(amount) is not str or amount != value) and _amount(amount) != found.amount:
            raise _Unusual
    return found


def _money_side(value: Any, currency: str) -> dict[str, Any] | None:
    """The ``shop_money`` side of a set when it is in ``currency`` (as in most stores);
    anything else is left to the careful way (:func:`_money.money_side`)."""
    money_set = _object(value)
    shop = _object(money_set.get("shop_money")) if money_set is not None else None
    if money_set is not None and (shop is None or shop.get("currency_code") != currency):
        raise _Unusual
    return shop


def _object(value: Any) -> dict[str, Any] | None:
    """``opt_obj``: None for null, ``{}`` or ``[]``."""
    if type(value) is dict:
        return value or None
    if value is None or value == []:
        return None
    raise _Unusual


_ADDRESS_KEYS = (
    "first_name", "last_name", "company", "address1", "address2", "city", *REGION,
    "zip", "country_code", "country", "phone",
)  # fmt: skip
_REGIONS = slice(6, 6 + len(REGION))


Addresses = dict[tuple[Any, ...], "Address | None"]
"""The addresses one order has read, by their fields' values: an order's shipping address,
billing address and customer's address are most often the same one, read once."""


def _address(value: Any, read: Addresses) -> Address | None:
    row = _object(value)
    if row is None:
        return None
    if row.get("district") or (
        row.get("name") and not (row.get("first_name") or row.get("last_name"))
    ):
        raise _Unusual  # a district, a name in one field: the careful way reads them
    values = tuple(map(row.get, _ADDRESS_KEYS))
    if values in read:  # unhashable values raise TypeError: the careful way reads them
        return read[values]
    found = read[values] = _new_address(values)
    return found


def _new_address(values: tuple[Any, ...]) -> Address | None:
    for item in values:  # one pass instead of a call per field
        if item is not None and type(item) is not str:
            raise _Unusual
    if not any(values):
        return None  # all null or blank: no address
    if not "".join(filter(None, values)).isascii():
        for item in values:
            _text(item)  # an unpaired surrogate raises: the careful way reports it
    first, last, company, line1, line2, city = values[: _REGIONS.start]
    postal, code, country, phone = values[_REGIONS.stop :]
    return _Address(
        first_name=first or None,
        last_name=last or None,
        company=company or None,
        line1=line1 or None,
        line2=line2 or None,
        city=city or None,
        region=next(filter(None, values[_REGIONS]), None),
        postal_code=postal or None,
        country=code or country or None,
        phone=phone or None,
    )


_ORDER_STATUS = PlainStatus(OrderStatus, ORDER_STATUS_ALIASES)
_FINANCIAL = PlainStatus(FinancialStatus)
_FULFILLMENT = PlainStatus(FulfillmentStatus, FULFILLMENT_ALIASES)


def _buyer(row: dict[str, Any] | None, addresses: Addresses) -> Customer | None:
    if row is None or row.get("id") is None:
        return None
    get = row.get
    # An order's customer holds one address object, read here; a list (a customer record's
    # shape), a default address or a consent are left to the careful way.
    found = get("addresses")
    if found is not None and found != [] and type(found) is not dict:
        raise _Unusual
    one = _address(found, addresses)
    if _object(get("default_address")) is not None:
        raise _Unusual
    if _object(get("email_marketing_consent")) is not None or get("accepts_marketing") is not None:
        raise _Unusual
    return _Customer(
        platform=PLATFORM,
        ref=_ref(get("id")),
        email=_text(get("email")),
        first_name=_text(get("first_name")),
        last_name=_text(get("last_name")),
        phone=_text(get("phone")),
        addresses=() if one is None else (one,),
        tags=split_tags(_text(get("tags"))),
        note=_text(get("note")),
        created_at=_time(get("created_at")),
        updated_at=_time(get("updated_at")),
        raw=row,
    )


_LINE_TOTALS: dict[tuple[str, str, int], Money] = {}
"""Line totals already worked out, by price text, currency and quantity: a store sells the
same few prices in the same few quantities."""
_LINE_TOTALS_KEPT = 4096


def _times(unit: Money, quantity: int, price: Any) -> Money:
    """``unit * quantity``, shared between lines with the same price text and quantity."""
    if type(price) is not str:
        return unit * quantity
    key = (price, unit.currency, quantity)
    found = _LINE_TOTALS.get(key)
    if found is None:
        found = unit * quantity
        if len(_LINE_TOTALS) < _LINE_TOTALS_KEPT:  # a full cache keeps what it has
            _LINE_TOTALS[key] = found
    return found


def _line(row: Any, currency: str) -> OrderLine:
    if type(row) is not dict:
        raise _Unusual
    get = row.get
    quantity = get("quantity")
    if type(quantity) is not int or not -(10**40) < quantity < 10**40:
        raise _Unusual
    unit = _money(row, "price", "price_set", currency)
    if unit is None:
        raise _Unusual  # the careful way says the price is missing
    try:
        total = unit if quantity == 1 else _times(unit, quantity, get("price"))
    except ValueError:  # beyond any amount: the careful way says so at its path
        raise _Unusual from None
    status = _text(get("fulfillment_status"))
    return _OrderLine(
        platform=PLATFORM,
        ref=_ref(get("id")),
        sku=_text(get("sku")),
        title=_text(get("title")) or _text(get("name")) or "",
        quantity=quantity,
        unit_price=unit,
        total=total,
        product_ref=_text(get("product_id")),
        variant_ref=_text(get("variant_id")),
        requires_shipping=_flag(get("requires_shipping")),
        fulfillment_status=_FULFILLMENT(status) if status else _UNFULFILLED,
        fulfillment_status_raw=status,
        raw=row,
    )


def _order(row: dict[str, Any]) -> Order:
    get = row.get
    currency = get("currency")
    if type(currency) is not str or len(currency) != 3 or not currency.isupper():
        raise _Unusual
    if not (currency.isascii() and currency.isalpha()):
        raise _Unusual
    if get("refunds") not in (None, []):  # refunds: the careful way checks their currency
        raise _Unusual
    total = _money(row, "current_total_price", "current_total_price_set", currency)
    if total is None:
        raise _Unusual  # the careful way says the total is missing
    ref = _ref(get("id"))
    status_raw = _text(get("status"))
    status = OrderStatus.CANCELLED if _text(get("cancelled_at")) else _ORDER_STATUS(status_raw)
    financial_raw = _text(get("financial_status"))
    fulfillment_raw = _text(get("fulfillment_status"))
    side = _money_side(get("total_shipping_price_set"), currency)
    shipping_amount = _amount(side.get("amount")) if side is not None else None
    lines = get("line_items")
    if lines is not None and type(lines) is not list:
        raise _Unusual
    buyer_row = _object(get("customer"))
    addresses: Addresses = {}
    buyer = _buyer(buyer_row, addresses)
    email = _text(get("email"))
    if email is None and buyer_row is not None:
        email = _text(buyer_row.get("email"))
    return _Order(
        platform=PLATFORM,
        ref=ref,
        number=_text(get("name")) or ref,
        status=status,
        status_raw=status_raw,
        financial_status=_FINANCIAL(financial_raw),
        financial_status_raw=financial_raw,
        fulfillment_status=_FULFILLMENT(fulfillment_raw) if fulfillment_raw else _UNFULFILLED,
        fulfillment_status_raw=fulfillment_raw,
        email=email,
        currency=currency,
        total=total,
        subtotal=_money(row, "subtotal_price", "subtotal_price_set", currency),
        shipping_total=None if shipping_amount is None else Money(shipping_amount, currency),
        tax_total=_money(row, "total_tax", "total_tax_set", currency),
        discount_total=_money(row, "total_discounts", "total_discounts_set", currency),
        taxes_included=_flag(get("taxes_included")),
        lines=tuple([_line(line, currency) for line in lines or ()]),
        customer=buyer,
        shipping_address=_address(get("shipping_address"), addresses),
        billing_address=_address(get("billing_address"), addresses),
        tags=split_tags(_text(get("tags"))),
        note=_text(get("note")) or _text(get("buyer_note")),
        created_at=_time(get("created_at")),
        updated_at=_time(get("updated_at")),
        raw=row,
    )


__all__ = ["fast_order"]
