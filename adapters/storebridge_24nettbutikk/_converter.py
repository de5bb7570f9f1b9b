"""Wire payloads to storebridge model objects: the 24Nettbutikk converter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import cattrs

from storebridge.model import (
    Address,
    Customer,
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Variant,
)
from storebridge.model.money import Money
from storebridge.payload import Payload
from storebridge.serialization import make_wire_converter
from storebridge_24nettbutikk._local_time import order_placed, parse_local
from storebridge_24nettbutikk._wire import PLATFORM

# Countries the admin writes in Norwegian; anything else is passed on as the shop wrote it.
_COUNTRIES = {
    "norge": "NO", "norway": "NO", "no": "NO", "sverige": "SE", "sweden": "SE", "se": "SE",
    "danmark": "DK", "denmark": "DK", "dk": "DK", "finland": "FI", "suomi": "FI", "fi": "FI",
    "island": "IS", "iceland": "IS", "tyskland": "DE", "germany": "DE",
}  # fmt: skip


def make_converter(zone: ZoneInfo, currency: str) -> cattrs.Converter:
    """The 24Nettbutikk wire converter. Mapping rules:

    * Every scalar may arrive as a string (``"199.00"``, ``"0"``/``"1"``) or a number;
      blanks arrive as ``null`` or ``""``; dates ``0000-00-00`` count as blank.
    * Times (``modified_on``, ``registration_date``, ``order_date`` + ``order_time``) are
      server-local wall-clock times in ``zone`` and become aware datetimes (the earlier
      reading in a repeated DST hour).
    * Order: ``ref`` and ``number`` = ``order_no``; ``total`` = ``total_amount_gross``;
      ``tax_total`` = ``total_vat``; ``shipping_total`` = ``shipping_costs`` +
      ``shipping_svalbard``; ``subtotal`` = sum of line totals; ``discount_total`` = sum of
      line discounts; ``taxes_included`` is always true (amounts are gross);
      ``currency`` = ``currency`` or ``currency`` (setting) when blank;
      ``note`` = ``customer_comment``; ``status`` is ``cancelled`` when ``deleted`` is set,
      else the shop's status code (values undocumented) kept in ``status_raw`` as UNKNOWN;
      ``financial_status`` = ``paid`` ? PAID : PENDING; ``fulfillment_status`` from the lines'
      ``sent`` flags (or ``sent_date`` when there are no lines). Email, customer, addresses
      and line SKUs are not on the order: the adapter joins them.
    * Order line: ``ref`` = ``id``; ``title`` = ``product_name``; ``product_ref`` =
      ``product_id``; ``variant_ref`` = ``unique_product_id``; ``total`` =
      ``total_amount_gross``; a fractional ``quantity`` (metres, kilos) becomes quantity 1
      priced at the line's gross total, so line sums still add up (raw keeps the original).
    * Customer: ``email`` = ``e_mail``; billing address from ``address_1``... and
      ``company_name``; a delivery address from ``delivery_*`` when ``use_delivery_address``
      is set (``delivery_name`` split at the last space); ``created_at`` =
      ``registration_date``; Norwegian country names become ISO codes.
    * Product: ``ref`` = ``id``; ``title`` = ``name``; ``description`` = ``description`` or
      ``summary``; ``updated_at`` = ``modified_on``. Variant: ``ref`` = ``unique_product_id``
      (or ``id`` for a product without variants); ``sku`` = ``article_no``; ``title`` =
      ``variant``; ``price`` = ``price``; ``stock`` = ``stock``.
    * 24Nettbutikk has no tags, so ``tags`` is always empty.
    """

    def local(p: Payload, key: str) -> datetime | None:
        return p.opt_timestamp(key, lambda text: parse_local(text, zone))

    def variant(p: Payload) -> Variant:
        return Variant(
            platform=PLATFORM,
            ref=p.opt_string("unique_product_id") or p.string("id"),
            sku=p.opt_string("article_no"),
            title=p.opt_string("variant"),
            price=p.opt_money("price", currency),
            stock=p.opt_integer("stock"),
            product_ref=p.string("id"),
            raw=p.data,
        )

    def product(p: Payload) -> Product:
        return Product(
            platform=PLATFORM,
            ref=p.string("id"),
            title=p.string("name"),
            description=p.opt_string("description") or p.opt_string("summary"),
            variants=(variant(p),),
            updated_at=local(p, "modified_on"),
            raw=p.data,
        )

    def customer(p: Payload) -> Customer:
        billing = Address(
            first_name=p.opt_string("first_name"),
            last_name=p.opt_string("last_name"),
            company=p.opt_string("company_name"),
            line1=p.opt_string("address_1"),
            line2=p.opt_string("address_2"),
            city=p.opt_string("city"),
            postal_code=p.opt_string("postcode"),
            country=_country(p.opt_string("country")),
            phone=p.opt_string("phone"),
        )
        addresses = [billing] if _has_address(billing) else []
        delivery = delivery_address(p, billing)
        if delivery is not None and delivery != billing:
            addresses.append(delivery)
        return Customer(
            platform=PLATFORM,
            ref=p.string("id"),
            email=p.opt_string("e_mail"),
            first_name=p.opt_string("first_name"),
            last_name=p.opt_string("last_name"),
            phone=p.opt_string("phone"),
            addresses=tuple(addresses),
            accepts_marketing=None,
            created_at=local(p, "registration_date"),
            updated_at=local(p, "modified_on"),
            raw=p.data,
        )

    def order(p: Payload) -> Order:
        code = p.opt_string("currency") or currency
        lines = p.each("order_lines", lambda lp: _line(lp, code))
        deleted = bool(p.opt_bool("deleted"))
        status_raw = p.opt_string("status")
        placed = p.opt_string("order_date")
        placed_time = p.opt_string("order_time")
        placed_at = (
            p.opt_timestamp("order_date", lambda day: order_placed(day, placed_time, zone))
            if placed and placed != "0000-00-00"
            else None
        )
        discounts = [
            d for lp in p.iter("order_lines") if (d := lp.opt_decimal("discount")) is not None
        ]
        shipping = [
            amount
            for key in ("shipping_costs", "shipping_svalbard")
            if (amount := p.opt_decimal(key)) is not None
        ]
        line_totals = [line.total for line in lines if line.total is not None]
        return Order(
            platform=PLATFORM,
            ref=p.string("order_no"),
            number=p.string("order_no"),
            status=OrderStatus.CANCELLED if deleted else OrderStatus.parse(status_raw),
            status_raw=status_raw,
            currency=code,
            total=p.money("total_amount_gross", code),
            financial_status=FinancialStatus.PAID
            if p.opt_bool("paid")
            else FinancialStatus.PENDING,
            financial_status_raw=p.opt_string("paid"),
            fulfillment_status=_order_fulfillment(lines, p.opt_string("sent_date")),
            subtotal=Money.sum(line_totals, code) if len(line_totals) == len(lines) else None,
            shipping_total=Money(sum(shipping, Decimal(0)), code) if shipping else None,
            tax_total=p.opt_money("total_vat", code),
            discount_total=Money(sum(discounts, Decimal(0)), code) if discounts else None,
            # Amounts on this platform are gross (``total_amount_gross``): VAT is inside.
            taxes_included=True,
            lines=lines,
            note=p.opt_string("customer_comment"),
            created_at=placed_at,
            updated_at=local(p, "modified_on"),
            raw=p.data,
        )

    def delivery_address(p: Payload, billing: Address) -> Address | None:
        if not p.opt_bool("use_delivery_address"):
            return None
        first, last = _split_name(p.opt_string("delivery_name"))
        return Address(
            first_name=first or billing.first_name,
            last_name=last or billing.last_name,
            line1=p.opt_string("delivery_address_1"),
            line2=p.opt_string("delivery_address_2"),
            city=p.opt_string("delivery_city"),
            postal_code=p.opt_string("delivery_postcode"),
            country=billing.country,
            phone=billing.phone,
        )

    hooks: dict[type, Callable[[Payload], object]] = {
        Order: order,
        Customer: customer,
        Product: product,
        Variant: variant,
    }
    return make_wire_converter(PLATFORM, hooks)


def _line(p: Payload, currency: str) -> OrderLine:
    quantity = p.decimal("quantity")
    unit_price = p.money("unit_price", currency)
    total = p.opt_money("total_amount_gross", currency)
    whole = quantity == quantity.to_integral_value()
    sent = p.opt_bool("sent")
    sent_qty = p.opt_decimal("quantity_sent") or Decimal(0)
    if sent or (quantity > 0 and sent_qty >= quantity):
        fulfillment = FulfillmentStatus.FULFILLED
    elif sent_qty > 0:
        fulfillment = FulfillmentStatus.PARTIALLY_FULFILLED
    else:
        fulfillment = FulfillmentStatus.UNFULFILLED
    return OrderLine(
        platform=PLATFORM,
        ref=p.string("id"),
        sku=p.opt_string("article_no"),
        title=p.opt_string("product_name") or "",
        quantity=int(quantity) if whole else 1,
        unit_price=unit_price if whole else (total or unit_price),
        total=total,
        product_ref=p.opt_string("product_id"),
        variant_ref=p.opt_string("unique_product_id"),
        fulfillment_status=fulfillment,
        fulfillment_status_raw=p.opt_string("sent"),
        raw=p.data,
    )


def _order_fulfillment(lines: tuple[OrderLine, ...], sent_date: str | None) -> FulfillmentStatus:
    if not lines:
        return FulfillmentStatus.FULFILLED if sent_date else FulfillmentStatus.UNFULFILLED
    states = {line.fulfillment_status for line in lines}
    if states == {FulfillmentStatus.FULFILLED}:
        return FulfillmentStatus.FULFILLED
    if states == {FulfillmentStatus.UNFULFILLED}:
        return FulfillmentStatus.UNFULFILLED
    return FulfillmentStatus.PARTIALLY_FULFILLED


def _country(text: str | None) -> str | None:
    if text is None:
        return None
    return _COUNTRIES.get(text.strip().lower(), text.strip())


def _has_address(address: Address) -> bool:
    return any((address.line1, address.city, address.postal_code))


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.strip().rpartition(" ")
    return (first or None, last or None) if first else (last or None, None)


def with_customer(order: Order, customer: Customer | None) -> Order:
    """The order with its customer's email and addresses filled in."""
    if customer is None:
        return order
    billing = customer.addresses[0] if customer.addresses else None
    shipping = customer.addresses[-1] if customer.addresses else None
    return attrs.evolve(
        order,
        email=customer.email,
        customer=customer,
        billing_address=billing,
        shipping_address=shipping,
    )
