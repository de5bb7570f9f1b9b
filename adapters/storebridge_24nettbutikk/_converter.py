"""24Nettbutikk wire payloads <-> storebridge model objects, both directions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import cattrs

from storebridge import validation
from storebridge.errors import ValidationError
from storebridge.kit import (
    AddressFields,
    Payload,
    exact_sum,
    make_wire_converter,
    read_plain,
    split_name,
)
from storebridge.model import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Variant,
)
from storebridge.model.money import Money
from storebridge_24nettbutikk._bodies import PLATFORM
from storebridge_24nettbutikk._fast_orders import (
    COUNTRIES,
    PlainOrders,
    SkuMap,
    extras_left_out,
    line_fulfillment,
    order_parts,
    rate_unclear,
    unclear_rate_message,
)
from storebridge_24nettbutikk._local_time import order_placed, parse_local, wall_time

BILLING = AddressFields(
    company="company_name",
    line1="address_1",
    line2="address_2",
    region=None,
    postal_code="postcode",
)
DELIVERY = AddressFields(
    first_name=None,
    last_name=None,
    company=None,
    line1="delivery_address_1",
    line2="delivery_address_2",
    city="delivery_city",
    region=None,
    postal_code="delivery_postcode",
    country=None,
    phone=None,
)
STATUS_MAX = 32
"""Longest order status code accepted in a write (the shop's codes are short numbers)."""
EXTRA_FIELD_MAX = 255
"""Longest ``extra_field`` text accepted in a write."""
_ZERO = Decimal(0)
_KNOWN_MAX = 4096
"""Spellings of amounts and numbers a reader keeps (beyond them values are read afresh)."""


class WireReader:
    """Reads one shop's payloads into model objects (the rules: :func:`make_converter`).

    Methods take a :class:`Payload` rooted where the row sits in the answer, so every error
    names its place (``$.data[3].order_lines[0].unit_price``). Called directly, they must
    run through ``kit.read_payload``; the wire converter does that itself.
    """

    def __init__(self, zone: ZoneInfo, currency: str) -> None:
        self.zone = zone
        self.currency = currency
        # Amounts, quantities and status codes repeat from row to row; Money, Decimal and
        # enum members are immutable, so each spelling is read once and its value shared.
        self._money: dict[str, dict[str, Money]] = {}
        self._decimals: dict[str, Decimal] = {}
        self._statuses: dict[str, OrderStatus] = {}
        # Order rows made only of plain values take the fast way; the rest are read here.
        self._plain = PlainOrders(zone, currency)
        self.amount = self._plain.amount

    def local(self, p: Payload, key: str) -> datetime | None:
        """A server-local ``YYYY-MM-DD HH:MM:SS`` as an aware datetime (None when blank)."""
        value = p.data.get(key)
        if type(value) is str and len(value) == 19:
            moment = wall_time(value, self.zone)
            if moment is not None:
                return moment
        zone = self.zone
        return p.opt_timestamp(key, lambda text: parse_local(text, zone))

    def money(self, p: Payload, key: str, code: str) -> Money | None:
        """``p.opt_money(key, code)``, shared between rows that spell the amount the same."""
        value = p.data.get(key)
        if type(value) is not str:
            return p.opt_money(key, code)
        known = self._money.get(code)
        if known is None:
            known = self._money[code] = {}
        found = known.get(value)
        if found is None:
            found = p.opt_money(key, code)
            if found is not None and len(known) < _KNOWN_MAX:
                known[value] = found
        return found

    def decimal(self, p: Payload, key: str) -> Decimal | None:
        """``p.opt_decimal(key)``, shared between rows that spell the number the same."""
        value = p.data.get(key)
        if type(value) is not str:
            return p.opt_decimal(key)
        found = self._decimals.get(value)
        if found is None:
            found = p.opt_decimal(key)
            if found is not None and len(self._decimals) < _KNOWN_MAX:
                self._decimals[value] = found
        return found

    # Orders --------------------------------------------------------------------------
    def order(
        self,
        p: Payload,
        customer: Customer | None = None,
        skus: Mapping[str, SkuMap | None] | None = None,
    ) -> Order:
        """The order row in ``p``: plain rows the fast way, any other the careful way."""
        if type(p.data) is dict:
            plain = read_plain(self._plain.order, p.data, customer, skus)
            if plain is not None:
                return plain
        return self.order_carefully(p, customer, skus)

    def order_carefully(
        self,
        p: Payload,
        customer: Customer | None = None,
        skus: Mapping[str, SkuMap | None] | None = None,
    ) -> Order:
        """The order row in ``p`` read with the Payload accessors (errors name their path)."""
        data = p.data
        code = data.get("currency")
        if not (type(code) is str and len(code) == 3 and code.isupper() and code.isalpha()):
            code = p.opt_currency("currency") or self.currency
        if code != self.currency:
            rate = self.decimal(p, "exchange_rate")
            if rate_unclear(code, self.currency, rate):
                p.fail(unclear_rate_message(code, self.currency, rate), "exchange_rate")
        line_rows = p.objects("order_lines") if data.get("order_lines") else ()
        lines = tuple([self.line(lp, code, skus) for lp in line_rows])
        status_raw = p.opt_string("status")
        if p.opt_bool("deleted"):
            status = OrderStatus.CANCELLED
        elif status_raw in self._statuses:
            status = self._statuses[status_raw]
        else:
            status = self._statuses.setdefault(status_raw or "", OrderStatus.parse(status_raw))
        paid = p.opt_bool("paid")
        total = self.money(p, "total_amount_gross", code) or p.money("total_amount_gross", code)
        costs = (self.decimal(p, "shipping_costs"), self.decimal(p, "shipping_svalbard"))
        shipping = [a for a in costs if a is not None]
        addition = self.decimal(p, "payment_addition")
        extras = [self.decimal(lp, "extra_price") or _ZERO for lp in line_rows]
        if any(extras):
            lines = self.with_extras(line_rows, lines, extras, total, shipping, addition, skus)
        return self._plain.assemble(
            Order,
            data,
            ref=p.ref("order_no"),
            code=code,
            lines=lines,
            total=total,
            tax=self.money(p, "total_vat", code),
            shipping=shipping,
            discounts=[d for lp in line_rows if (d := self.decimal(lp, "discount")) is not None],
            status=status,
            status_raw=status_raw,
            paid=paid,
            paid_raw=p.opt_string("paid"),
            sent_date=p.opt_string("sent_date"),
            customer=customer,
            note=p.opt_string("customer_comment"),
            created_at=self.placed(p),
            updated_at=self.local(p, "modified_on"),
        )

    def with_extras(
        self,
        rows: Sequence[Payload],
        lines: tuple[OrderLine, ...],
        extras: list[Decimal],
        total: Money,
        shipping: list[Decimal],
        addition: Decimal | None,
        skus: Mapping[str, SkuMap | None] | None,
    ) -> tuple[OrderLine, ...]:
        """``lines`` with each ``extra_price`` in its total when the order's total says the
        line totals leave it out; a PayloadError at the first extra when it cannot tell."""
        parts = order_parts(lines, shipping, addition)
        left_out = extras_left_out(total, parts, extras)
        if left_out is False:
            return lines
        if left_out:
            code = total.currency
            return tuple([self.line(row, code, skus, extra)
                          for row, extra in zip(rows, extras, strict=True)])  # fmt: skip
        index = next(i for i, extra in enumerate(extras) if extra)
        extra = extras[index]
        if lines[index].total is None:
            rows[index].fail(
                f"extra_price {extra} is set but the line has no total_amount_gross, so what "
                "the line charged is unknown; give the line's total_amount_gross",
                "extra_price",
            )
        if parts is None:
            why = "another line has no total_amount_gross"
        else:
            why = (
                f"the order's total_amount_gross {total.amount} is neither the lines' totals + "
                f"shipping + payment_addition ({parts}) nor that plus the lines' extra_price "
                f"({exact_sum((parts, *extras))})"
            )
        rows[index].fail(
            f"extra_price {extra}: cannot tell whether the line's total_amount_gross includes "
            f"it: {why}; correct the order's amounts in the shop",
            "extra_price",
        )

    def placed(self, p: Payload) -> datetime | None:
        """``order_date`` + ``order_time`` (midnight without a time); None when blank."""
        day, clock = p.data.get("order_date"), p.data.get("order_time")
        if type(day) is str and len(day) == 10 and type(clock) is str and len(clock) == 8:
            moment = wall_time(f"{day} {clock}", self.zone)
            if moment is not None:
                return moment
        placed = p.opt_string("order_date")
        if not placed or placed == "0000-00-00":
            return None
        time_text, zone = p.opt_string("order_time"), self.zone
        return p.opt_timestamp("order_date", lambda text: order_placed(text, time_text, zone))

    def line(
        self,
        p: Payload,
        currency: str,
        skus: Mapping[str, SkuMap | None] | None,
        extra: Decimal = _ZERO,
    ) -> OrderLine:
        """The line row in ``p``; ``extra`` is added to its total (see :meth:`with_extras`)."""
        quantity = self.decimal(p, "quantity")
        if quantity is None:
            quantity = p.decimal("quantity")  # raises: the quantity is required
        unit_price = self.money(p, "unit_price", currency) or p.money("unit_price", currency)
        total = self.money(p, "total_amount_gross", currency)
        if extra and total is not None:
            total = self.amount(exact_sum((total.amount, extra)), currency)
        whole = quantity == quantity.to_integral_value()
        if not whole and total is None:
            # Read as one unit, the line would be priced at one unit's price.
            p.fail(
                f"quantity {quantity} is fractional and the line has no total_amount_gross "
                "to price it as one unit",
                "quantity",
            )
        fulfillment = line_fulfillment(
            p.opt_bool("sent"), quantity, self.decimal(p, "quantity_sent") or _ZERO
        )
        product_ref = p.opt_string("product_id")
        variant_ref = p.opt_string("unique_product_id")
        sku = p.opt_string("article_no")
        if sku is None and skus and product_ref:
            known = skus.get(product_ref) or {}
            sku = known.get(variant_ref or "") or known.get("")
        return OrderLine(
            platform=PLATFORM,
            ref=p.ref("id"),
            sku=sku,
            title=p.opt_string("product_name") or "",
            quantity=int(quantity) if whole else 1,
            unit_price=unit_price if whole else (total or unit_price),
            total=total,
            product_ref=product_ref,
            variant_ref=variant_ref,
            fulfillment_status=fulfillment,
            fulfillment_status_raw=p.opt_string("sent"),
            raw=p.data,
        )

    # Customers -----------------------------------------------------------------------
    def customer(self, p: Payload) -> Customer:
        """The customer row in ``p``: plain rows the fast way, any other the careful way."""
        if type(p.data) is dict:
            plain = read_plain(self._plain.customer, p.data)
            if plain is not None:
                return plain
        return self.customer_carefully(p)

    def customer_carefully(self, p: Payload) -> Customer:
        """The customer row in ``p`` read with the Payload accessors."""
        billing = BILLING.read(p)
        if billing.country is not None:
            billing = _with_country(billing)
        addresses = [billing] if _has_address(billing) else []
        if p.opt_bool("use_delivery_address"):
            first, last = split_name(p.opt_string("delivery_name"))
            delivery = attrs.evolve(
                DELIVERY.read(p),
                first_name=first or billing.first_name,
                last_name=last or billing.last_name,
                country=billing.country,
                phone=billing.phone,
            )
            # A delivery flag over blank delivery fields is no address: appended, it would
            # be the orders' shipping address, with no street.
            if delivery != billing and _has_address(delivery):
                addresses.append(delivery)
        return Customer(
            platform=PLATFORM,
            ref=p.ref("id"),
            email=p.opt_string("e_mail"),
            first_name=billing.first_name,
            last_name=billing.last_name,
            phone=billing.phone,
            addresses=tuple(addresses),
            accepts_marketing=None,
            created_at=self.local(p, "registration_date"),
            updated_at=self.local(p, "modified_on"),
            raw=p.data,
        )

    # Products ------------------------------------------------------------------------
    def variant(self, p: Payload) -> Variant:
        price = p.opt_money("price", self.currency)
        sale = p.opt_money("sales_price", self.currency)
        # A reduced price is one below the normal price; blank, 0.00 or not below it, the
        # row has no sale on (the notes give no sale dates, only the two prices).
        on_sale = price is not None and sale is not None and 0 < sale.amount < price.amount
        return Variant(
            platform=PLATFORM,
            ref=p.opt_ref("unique_product_id") or p.ref("id"),
            sku=p.opt_string("article_no"),
            title=p.opt_string("variant"),
            price=sale if on_sale else price,
            compare_at_price=price if on_sale else None,
            stock=p.opt_integer("stock"),
            product_ref=p.ref("id"),
            raw=p.data,
        )

    def product(self, p: Payload, variant_rows: Sequence[Payload] | None = None) -> Product:
        rows = variant_rows or (p,)
        return Product(
            platform=PLATFORM,
            ref=p.ref("id"),
            title=p.string("name"),
            description=p.opt_string("description") or p.opt_string("summary"),
            variants=tuple([self.variant(row) for row in rows]),
            updated_at=self.local(p, "modified_on"),
            active=p.opt_bool("active"),
            raw=p.data,
        )


def sku_map(rows: Sequence[Payload]) -> dict[str, str]:
    """A product's article numbers from its ``flat=1`` rows (see :data:`SkuMap`)."""
    found: dict[str, str] = {}
    for row in rows:
        sku = row.opt_string("article_no")
        if sku is None:
            continue
        variant = row.opt_string("unique_product_id")
        if variant is not None:
            found[variant] = sku
        if len(rows) == 1:
            found[""] = sku
    return found


def has_variants(row: Payload) -> bool:
    """Whether a ``flat=0`` product row stands for several variant rows.

    Rows that do not say (no ``attributes`` key at all) are asked about, to be sure.
    """
    return "attributes" not in row.data or bool(row.data["attributes"])


def make_converter(zone: ZoneInfo, currency: str) -> cattrs.Converter:
    """The 24Nettbutikk wire converter. Mapping rules:

    * Every scalar may arrive as a string (``"199.00"``, ``"0"``/``"1"``) or a number;
      blanks arrive as ``null`` or ``""``; dates ``0000-00-00`` count as blank.
    * Times (``modified_on``, ``registration_date``, ``order_date`` + ``order_time``) are
      server-local wall-clock times in ``zone`` and become aware datetimes with a fixed
      offset (the earlier reading in a repeated DST hour).
    * Order: ``ref`` and ``number`` = ``order_no``; ``total`` = ``total_amount_gross``;
      ``tax_total`` = ``total_vat``; ``shipping_total`` = ``shipping_costs`` +
      ``shipping_svalbard``; ``subtotal`` = sum of line totals; ``discount_total`` = sum of
      line discounts; ``taxes_included`` is always true (amounts are gross);
      ``payment_addition`` (the payment method's surcharge) has no field in the model: it is
      read (a malformed value is a PayloadError) and stays in ``raw``, and ``total`` holds
      it, so ``subtotal + shipping_total - discount_total`` falls short of ``total`` by it.
      Migrations therefore refuse such an order on SHOPLINE ("above what SHOPLINE would
      record") and carry it inside 29 Next's shipping charge, whose create API takes all
      of the total beyond the lines there; neither writes it short;
      ``currency`` = ``currency`` or ``currency`` (setting) when blank; an order in another
      currency than the setting's at an ``exchange_rate`` (against NOK) other than 1 is a
      PayloadError at ``exchange_rate``: the notes do not say which of the two currencies
      its amounts are in, and either reading could be off by the rate;
      ``note`` = ``customer_comment``; ``status`` is ``cancelled`` when ``deleted`` is set,
      else the shop's status code (values undocumented) kept in ``status_raw`` as UNKNOWN;
      ``financial_status`` = PAID when ``paid`` is set, PENDING when it is ``0``, UNKNOWN
      when it is null (a blank flag says nothing); ``fulfillment_status`` from the lines'
      ``sent`` flags (or ``sent_date`` when there are no lines). Email, customer, addresses
      and line SKUs are not on the order: the adapter joins them (``email`` = the
      customer's; ``billing_address`` = its first address, ``shipping_address`` its last).
    * Order line: ``ref`` = ``id``; ``title`` = ``product_name``; ``product_ref`` =
      ``product_id``; ``variant_ref`` = ``unique_product_id``; ``sku`` = ``article_no`` of
      the variant's (or the product's) ``flat=1`` row; ``total`` = ``total_amount_gross``,
      plus ``extra_price`` (the line's extra cost) when the line totals leave it out. The
      notes do not say whether they do, so the order's ``total_amount_gross`` decides: equal
      to the line totals + shipping + ``payment_addition``, they hold it; equal to that plus
      the extras, they do not. Any other sum, or an extra on a line without a total, is a
      PayloadError at ``extra_price`` (a guess would price the line wrong). ``unit_price``
      stays the listed price, as with discounts. A fractional ``quantity`` (metres, kilos)
      becomes quantity 1 priced at the line's gross total, so line sums still add up (raw
      keeps the original); without a line total such a line is a PayloadError (no unit
      price could be right).
    * Customer: ``email`` = ``e_mail``; billing address from ``address_1``... and
      ``company_name``; a delivery address from ``delivery_*`` when ``use_delivery_address``
      is set (``delivery_name`` split at the last space); ``created_at`` =
      ``registration_date``; Norwegian country names become ISO codes.
    * Product: ``ref`` = ``id``; ``title`` = ``name``; ``description`` = ``description`` or
      ``summary``; ``updated_at`` = ``modified_on``; ``variants`` from its ``flat=1`` rows.
      Variant: ``ref`` = ``unique_product_id`` (or ``id`` for a product without variants);
      ``sku`` = ``article_no``; ``title`` = ``variant``; ``price`` = ``price``, or
      ``sales_price`` (the reduced price) when it is above 0 and below ``price``, which then
      is ``compare_at_price``; ``stock`` = ``stock``; ``active`` = ``active``.
    * 24Nettbutikk has no tags, so ``tags`` is always empty.
    * Writes (the other direction): ``{"status": code}`` for an order, ``{"sent": 0|1,
      "sent_date": "YYYY-MM-DD", "extra_field": text}`` for an order line, ``{"stock": n}``
      for a product or variant (see :func:`status_body`, :func:`line_body`,
      :func:`stock_body`).
    """
    reader = WireReader(zone, currency)
    hooks: dict[type, Callable[[Payload], object]] = {
        Order: reader.order,
        Customer: reader.customer,
        Product: reader.product,
        Variant: reader.variant,
    }
    return make_wire_converter(PLATFORM, hooks)


# Model -> wire (the PATCH bodies) --------------------------------------------------------
def status_body(status: Any) -> dict[str, Any]:
    """``PATCH /orders/{no}``: the shop's status code as text."""
    return {"status": validation.text(status, "status", required=True, max_length=STATUS_MAX)}


def line_body(sent: Any, sent_date: Any, extra_field: Any) -> dict[str, Any]:
    """``PATCH /orders/{no}/lines/{id}``: the fields given (at least one)."""
    body: dict[str, Any] = {}
    if sent is not None:
        if not isinstance(sent, bool):
            raise ValidationError(f"sent must be True or False, got {sent!r}", field="sent")
        body["sent"] = int(sent)
    if sent_date is not None:
        if not isinstance(sent_date, date) or isinstance(sent_date, datetime):
            raise ValidationError(
                "sent_date must be a datetime.date (the day, without a time)", field="sent_date"
            )
        body["sent_date"] = sent_date.isoformat()
    if extra_field is not None:
        body["extra_field"] = validation.text(
            extra_field, "extra_field", max_length=EXTRA_FIELD_MAX
        )
    if not body:
        raise ValidationError("give at least one of sent, sent_date, extra_field", field="sent")
    return body


def stock_body(stock: Any) -> dict[str, Any]:
    """``PATCH /products/{id}``: a stock level from 0 to 2**31 - 1."""
    return {"stock": validation.stock(stock, "stock")}


def _with_country(address: Address) -> Address:
    text = (address.country or "").strip()
    code = COUNTRIES.get(text.lower(), text)
    return address if code == address.country else attrs.evolve(address, country=code)


def _has_address(address: Address) -> bool:
    """Whether ``address`` says where: a street, a city or a postcode that is not blank."""
    return any(v and v.strip() for v in (address.line1, address.city, address.postal_code))


__all__ = [
    "BILLING",
    "DELIVERY",
    "EXTRA_FIELD_MAX",
    "STATUS_MAX",
    "SkuMap",
    "WireReader",
    "has_variants",
    "line_body",
    "make_converter",
    "sku_map",
    "status_body",
    "stock_body",
]
