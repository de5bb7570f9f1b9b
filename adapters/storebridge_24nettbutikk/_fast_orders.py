"""Order rows as 24Nettbutikk usually sends them, converted without the Payload accessors.

The shop sends every scalar as text: ids, ``"0"``/``"1"`` flags, amounts such as
``"1889.90"``, local times ``YYYY-MM-DD HH:MM:SS``. :class:`PlainOrders` converts rows made
only of such values with plain dict reads and gives up (:class:`NotPlain`) at the first
value of any other kind; :class:`~._converter.WireReader` then reads the row the careful
way, which accepts the unusual value or raises a PayloadError with its JSON path. Both ways
give equal objects for every row the fast way accepts (a test compares them on mutated
rows); the rules themselves are documented once, on :func:`._converter.make_converter`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from storebridge.kit import (
    NotPlain,
    PlainStatus,
    exact_sum,
    plain_amount,
    plain_flag,
    plain_model,
    plain_money,
    plain_ref,
    plain_text,
    split_name,
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
from storebridge_24nettbutikk._bodies import PLATFORM
from storebridge_24nettbutikk._local_time import wall_time

# Countries the admin writes in Norwegian; anything else is passed on as the shop wrote it.
COUNTRIES = {
    "norge": "NO", "norway": "NO", "no": "NO", "sverige": "SE", "sweden": "SE", "se": "SE",
    "danmark": "DK", "denmark": "DK", "dk": "DK", "finland": "FI", "suomi": "FI", "fi": "FI",
    "island": "IS", "iceland": "IS", "tyskland": "DE", "germany": "DE",
}  # fmt: skip
SkuMap = Mapping[str, str]
"""A product's article numbers: ``unique_product_id`` -> SKU, and ``""`` -> the SKU of a
product sold without variants."""

_UNFULFILLED = FulfillmentStatus.UNFULFILLED
_FULFILLED = FulfillmentStatus.FULFILLED
_PARTIAL = FulfillmentStatus.PARTIALLY_FULFILLED
_PAID = FinancialStatus.PAID
_PENDING = FinancialStatus.PENDING
_UNKNOWN_PAYMENT = FinancialStatus.UNKNOWN
_CANCELLED = OrderStatus.CANCELLED
_ZERO = Decimal(0)
_KNOWN_MAX = 4096
"""Spellings of sums and times a reader keeps (beyond them values are read afresh)."""
_STATUS = PlainStatus(OrderStatus)
# Every value below comes from a plain reader, so the objects are built without the checks.
_Order = plain_model(Order)
_OrderLine = plain_model(OrderLine)
_Customer = plain_model(Customer)
_Address = plain_model(Address)
# The billing address and the delivery address, in the order of the fields read below.
_BILLING_KEYS = ("first_name", "last_name", "company_name", "address_1", "address_2", "city",
                 "postcode", "country", "phone")  # fmt: skip
_DELIVERY_KEYS = ("delivery_name", "delivery_address_1", "delivery_address_2", "delivery_city",
                  "delivery_postcode")  # fmt: skip
# Short names for the kit's readers, so each field below reads as one call.
_text = plain_text
_flag = plain_flag
_amount = plain_amount
_money = plain_money


def _says_where(*values: str | None) -> bool:
    """A street, a city or a postcode that is not blank (the careful reader's rule)."""
    return any(value and value.strip() for value in values)


def _texts(row: dict[str, Any], keys: tuple[str, ...]) -> list[str | None]:
    """``plain_text`` of each key, with one type check per value and one text check."""
    values = list(map(row.get, keys))
    for value in values:
        if value is not None and type(value) is not str:
            raise NotPlain
    if not "".join(filter(None, values)).isascii():
        for value in values:
            _text(value)  # an unpaired surrogate raises: the careful way reports it
    return [value or None for value in values]


def line_fulfillment(sent: bool | None, quantity: Decimal, sent_qty: Decimal) -> FulfillmentStatus:
    """A line's state from its ``sent`` flag and ``quantity_sent``."""
    if sent or (quantity > 0 and sent_qty >= quantity):
        return _FULFILLED
    if sent_qty > 0:
        return _PARTIAL
    return _UNFULFILLED


def rate_unclear(code: str, shop: str, rate: Decimal | None) -> bool:
    """Whether an order's amounts could be in either of two currencies: it is in another
    currency than the shop's (``code``), at an ``exchange_rate`` (against NOK) other than 1.
    The notes do not say whether ``total_amount_gross`` and the other amounts are then in the
    order's currency or the shop's; at a rate of 1 (or in the shop's currency) both read the
    same."""
    return code != shop and rate != 1


def unclear_rate_message(code: str, shop: str, rate: Decimal | None) -> str:
    """What a PayloadError at ``exchange_rate`` says (see :func:`rate_unclear`)."""
    given = "none" if rate is None else str(rate)
    return (
        f"the order is in {code} at exchange_rate {given} (against NOK), and the shop's "
        f"currency is {shop}: 24Nettbutikk does not document whether its amounts "
        f"(total_amount_gross, unit_price...) are in {code} or {shop}, and read in the wrong "
        "one every amount is off by that rate; read this order's amounts in the shop's admin"
    )


def order_parts(
    lines: tuple[OrderLine, ...], shipping: list[Decimal], addition: Decimal | None
) -> Decimal | None:
    """The lines' totals + shipping + ``payment_addition``: what ``total_amount_gross``
    holds besides the lines' ``extra_price`` (None when a line has no total)."""
    totals = [line.total.amount for line in lines if line.total is not None]
    if len(totals) != len(lines):
        return None
    return exact_sum((*totals, *shipping, addition or _ZERO))


def extras_left_out(total: Money, parts: Decimal | None, extras: list[Decimal]) -> bool | None:
    """Whether the lines' totals leave out their (not all zero) ``extra_price``.

    Which way the shop sends it is not documented, so the order's own total decides: equal
    to :func:`order_parts`, the line totals already hold the extras (False); equal to that
    plus the extras, they leave them out (True). Anything else (None) cannot be told, and a
    guess would price the lines wrong without a sign.
    """
    if parts is None:
        return None
    if parts == total.amount:
        return False
    if exact_sum((parts, *extras)) == total.amount:
        return True
    return None


def payment_state(paid: bool | None) -> FinancialStatus:
    """An order's payment state from its ``paid`` flag (fully paid or not). A null flag is
    a blank field: whether the order was paid is not known, so it is not read as pending."""
    if paid is None:
        return _UNKNOWN_PAYMENT
    return _PAID if paid else _PENDING


def order_fulfillment(lines: tuple[OrderLine, ...], sent_date: str | None) -> FulfillmentStatus:
    """An order's state from its lines' (or, without lines, from ``sent_date``)."""
    if not lines:
        return _FULFILLED if sent_date else _UNFULFILLED
    states = {line.fulfillment_status for line in lines}
    if len(states) == 1:
        (state,) = states
        if state is _FULFILLED or state is _UNFULFILLED:
            return state
    return _PARTIAL


class PlainOrders:
    """Plain order rows of one shop (its zone and default currency) as Orders, and the
    customer rows joined to them as Customers."""

    def __init__(self, zone: ZoneInfo, currency: str) -> None:
        self.zone = zone
        self.currency = currency
        # Sums repeat from row to row (0.00 shipping, the same line totals); Money is
        # immutable, so each spelling is built once and shared.
        self._sums: dict[str, dict[str, Money]] = {}

    def amount(self, value: Decimal, code: str) -> Money:
        """``Money(value, code)`` for a sum worked out here (shared like read amounts)."""
        known = self._sums.get(code)
        if known is None:
            known = self._sums[code] = {}
        spelling = str(value)  # 1.0 and 1.00 are equal Decimals but print differently
        found = known.get(spelling)
        if found is None:
            found = Money(value, code)
            if len(known) < _KNOWN_MAX:
                known[spelling] = found
        return found

    def local(self, value: Any) -> datetime | None:
        """A plain ``YYYY-MM-DD HH:MM:SS`` (or null) as an aware datetime."""
        if value is None:
            return None
        if type(value) is str and len(value) == 19:
            moment = wall_time(value, self.zone)
            if moment is not None:
                return moment
        raise NotPlain

    def placed(self, day: Any, clock: Any) -> datetime | None:
        """``order_date`` + ``order_time`` when both are plain, None without a date."""
        if day is None or day == "":
            return None
        if type(day) is str and len(day) == 10 and type(clock) is str and len(clock) == 8:
            moment = wall_time(f"{day} {clock}", self.zone)
            if moment is not None:
                return moment
        raise NotPlain

    def order(
        self,
        row: dict[str, Any],
        customer: Customer | None,
        skus: Mapping[str, SkuMap | None] | None,
    ) -> Order:
        get = row.get
        code = get("currency")
        if code is None:
            code = self.currency
        elif not (type(code) is str and len(code) == 3 and code.isupper() and code.isalpha()):
            raise NotPlain
        if code != self.currency and rate_unclear(
            code, self.currency, _amount(get("exchange_rate"))
        ):
            raise NotPlain  # the careful way refuses it, naming the field
        line_rows = get("order_lines")
        if line_rows:
            if type(line_rows) is not list:
                raise NotPlain
            lines = tuple([self.line(line, code, skus) for line in line_rows])
        else:
            line_rows, lines = (), ()
        status_raw = _text(get("status"))
        status = _CANCELLED if _flag(get("deleted")) else _STATUS(status_raw)
        paid = get("paid")
        total = _money(get("total_amount_gross"), code)
        if total is None:
            raise NotPlain  # the careful way names the missing amount
        costs, svalbard = _amount(get("shipping_costs")), _amount(get("shipping_svalbard"))
        addition = _amount(get("payment_addition"))
        extras = [_amount(line.get("extra_price")) or _ZERO for line in line_rows]
        if any(extras):
            parts = order_parts(lines, [a for a in (costs, svalbard) if a is not None], addition)
            left_out = extras_left_out(total, parts, extras)
            if left_out is None:
                raise NotPlain  # the careful way refuses it, naming the field
            if left_out:
                lines = tuple([self.line(line, code, skus, extra)
                               for line, extra in zip(line_rows, extras, strict=True)])  # fmt: skip
        return self.assemble(
            _Order,
            row,
            ref=plain_ref(get("order_no")),
            code=code,
            lines=lines,
            total=total,
            tax=_money(get("total_vat"), code),
            shipping=[a for a in (costs, svalbard) if a is not None],
            discounts=[d for line in line_rows if (d := _amount(line.get("discount"))) is not None],
            status=status,
            status_raw=status_raw,
            paid=_flag(paid),
            paid_raw=_text(paid),
            sent_date=_text(get("sent_date")),
            customer=customer,
            note=_text(get("customer_comment")),
            created_at=self.placed(get("order_date"), get("order_time")),
            updated_at=self.local(get("modified_on")),
        )

    def assemble(
        self,
        build: Callable[..., Order],
        row: Mapping[str, Any],
        *,
        ref: str,
        code: str,
        lines: tuple[OrderLine, ...],
        total: Money,
        tax: Money | None,
        shipping: list[Decimal],
        discounts: list[Decimal],
        status: OrderStatus,
        status_raw: str | None,
        paid: bool | None,
        paid_raw: str | None,
        sent_date: str | None,
        customer: Customer | None,
        note: str | None,
        created_at: datetime | None,
        updated_at: datetime | None,
    ) -> Order:
        """An Order from an order row's values, read the fast way or the careful way: the
        sums, the states and the addresses taken from the customer are worked out here for
        both. ``build`` is ``Order`` (checks its input) or the plain model (values already
        checked)."""
        totals = [line.total.amount for line in lines if line.total is not None]
        billing = shipping_address = None
        if customer is not None and customer.addresses:
            billing, shipping_address = customer.addresses[0], customer.addresses[-1]
        return build(
            platform=PLATFORM,
            ref=ref,
            number=ref,
            status=status,
            status_raw=status_raw,
            currency=code,
            total=total,
            financial_status=payment_state(paid),
            financial_status_raw=paid_raw,
            fulfillment_status=order_fulfillment(lines, sent_date),
            subtotal=self.amount(exact_sum(totals), code) if len(totals) == len(lines) else None,
            shipping_total=self.amount(exact_sum(shipping), code) if shipping else None,
            tax_total=tax,
            discount_total=self.amount(exact_sum(discounts), code) if discounts else None,
            # Amounts on this platform are gross (``total_amount_gross``): VAT is inside.
            taxes_included=True,
            lines=lines,
            email=customer.email if customer is not None else None,
            customer=customer,
            billing_address=billing,
            shipping_address=shipping_address,
            note=note,
            created_at=created_at,
            updated_at=updated_at,
            raw=row,
        )

    def customer(self, row: dict[str, Any]) -> Customer:
        """A plain customer row (as joined to its orders) as a Customer."""
        get = row.get
        first, last, company, line1, line2, city, postal, country, phone = _texts(
            row, _BILLING_KEYS
        )
        if country is not None:
            text = country.strip()
            country = COUNTRIES.get(text.lower(), text)
        billing = _Address(first_name=first, last_name=last, company=company, line1=line1,
                           line2=line2, city=city, postal_code=postal, country=country,
                           phone=phone)  # fmt: skip
        addresses = [billing] if _says_where(line1, city, postal) else []
        if _flag(get("use_delivery_address")):
            name, d_line1, d_line2, d_city, d_postal = _texts(row, _DELIVERY_KEYS)
            d_first, d_last = split_name(name)
            delivery = _Address(first_name=d_first or first, last_name=d_last or last,
                                line1=d_line1, line2=d_line2, city=d_city,
                                postal_code=d_postal, country=country, phone=phone)  # fmt: skip
            if delivery != billing and _says_where(d_line1, d_city, d_postal):
                addresses.append(delivery)
        return _Customer(
            platform=PLATFORM,
            ref=plain_ref(get("id")),
            email=_text(get("e_mail")),
            first_name=first,
            last_name=last,
            phone=phone,
            addresses=tuple(addresses),
            accepts_marketing=None,
            created_at=self.local(get("registration_date")),
            updated_at=self.local(get("modified_on")),
            raw=row,
        )

    def line(
        self,
        row: Any,
        currency: str,
        skus: Mapping[str, SkuMap | None] | None,
        extra: Decimal = _ZERO,
    ) -> OrderLine:
        """A plain line row; ``extra`` is added to its total (see :func:`extras_left_out`)."""
        if type(row) is not dict:
            raise NotPlain
        get = row.get
        quantity = _amount(get("quantity"))
        unit_price = _money(get("unit_price"), currency)
        if quantity is None or unit_price is None:
            raise NotPlain  # both are required: the careful way names the missing one
        total = _money(get("total_amount_gross"), currency)
        if extra and total is not None:
            total = self.amount(exact_sum((total.amount, extra)), currency)
        whole = quantity == quantity.to_integral_value()
        if not whole and total is None:
            raise NotPlain  # the careful way refuses it, naming the field
        sent = get("sent")
        product_ref = _text(get("product_id"))
        variant_ref = _text(get("unique_product_id"))
        sku = _text(get("article_no"))
        if sku is None and skus and product_ref:
            known = skus.get(product_ref) or {}
            sku = known.get(variant_ref or "") or known.get("")
        return _OrderLine(
            platform=PLATFORM,
            ref=plain_ref(get("id")),
            sku=sku,
            title=_text(get("product_name")) or "",
            quantity=int(quantity) if whole else 1,
            unit_price=unit_price if whole else (total or unit_price),
            total=total,
            product_ref=product_ref,
            variant_ref=variant_ref,
            fulfillment_status=line_fulfillment(
                _flag(sent), quantity, _amount(get("quantity_sent")) or _ZERO
            ),
            fulfillment_status_raw=_text(sent),
            raw=row,
        )


__all__ = [
    "COUNTRIES",
    "PlainOrders",
    "SkuMap",
    "extras_left_out",
    "line_fulfillment",
    "order_fulfillment",
    "order_parts",
    "payment_state",
    "rate_unclear",
    "unclear_rate_message",
]
