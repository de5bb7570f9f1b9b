"""29 Next payloads -> storebridge model: the one converter factory and its hooks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import cattrs

from storebridge.model import (
    Address,
    Customer,
    FinancialStatus,
    FulfillmentOrder,
    FulfillmentOrderLine,
    FulfillmentOrderStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
    TransactionAllocation,
    TransactionKind,
    TransactionStatus,
    Variant,
)
from storebridge.payload import Payload
from storebridge.serialization import make_wire_converter

PLATFORM = "29next"
TAGS_METADATA_KEY = "storebridge_tags"
"""Products have no tags on 29 Next; identity tags live in product metadata under this key."""

ORDER_STATUS_ALIASES = {"canceled": "cancelled", "archived": "closed"}
FINANCIAL_STATUS_ALIASES = {"expiring": "authorized"}
FULFILLMENT_STATUS_ALIASES = {"processing": "unfulfilled", "on_hold": "unfulfilled"}
FULFILLMENT_ORDER_STATUS_ALIASES = {"processing": "in_progress", "canceled": "cancelled"}
TRANSACTION_KIND_ALIASES = {"debit": "sale", "authorize": "authorization"}
TRANSACTION_STATUS_ALIASES = {"succeeded": "success", "failed": "failure"}


def make_converter() -> cattrs.Converter:
    """The 29 Next wire converter. Mapping rules:

    * Orders are keyed by ``number`` (``ref`` and ``number`` are both it; there is no id).
    * ``status`` open/archived/canceled -> OPEN/CLOSED/CANCELLED; ``payment_status`` ->
      ``financial_status`` (``expiring`` counts as AUTHORIZED); ``fulfillment_status``
      processing/on_hold count as UNFULFILLED. Raw values are kept in ``*_raw``.
    * Money is a decimal string; the currency is the order's ``currency`` (or the line's,
      transaction's). ``total`` = ``total_incl_tax``, ``shipping_total`` =
      ``shipping_incl_tax``, ``tax_total`` = ``total_tax``, ``discount_total`` =
      ``total_discount``, ``subtotal`` = ``total_excl_tax - shipping_excl_tax``.
    * ``created_at`` is ``date_placed`` (the business date, which historical imports set),
      falling back to ``created_at``.
    * List rows (``OrderList``) have no lines, addresses, tags or transactions: the order is
      returned with ``partial=True``; ``orders.get`` or ``orders.list(detail=True)`` fill it.
    * Order lines: 2024-04-01 lines (``sku``, ``product_title``, ``current_quantity``) and
      2023-02-10 lines (``product.title``, ``stockrecord.partner_sku``, ``price_currency``)
      both map to OrderLine; ``quantity`` is what is still on the order (``current_quantity``),
      ``unit_price`` is ``price_incl_tax``.
    * Addresses: ``line4`` is the city, ``state`` the region, ``postcode`` the postal code.
    * Customers are ``/users/``: ``phone_number`` -> ``phone``, ``date_joined`` ->
      ``created_at`` (users have no updated timestamp).
    * Products: variants' ``prices[0]`` is the price; ``stock`` is the sum over stock
      records of ``num_in_stock - num_allocated`` when ``track_stock``, else None. Product
      tags are read from ``metadata.storebridge_tags`` (a JSON list in a string).
    * Transactions: ``type`` debit/authorize/capture/refund/void -> SALE/AUTHORIZATION/
      CAPTURE/REFUND/VOID; ``status`` succeeded/failed -> SUCCESS/FAILURE.
    * Refund quotes come from the refund calculation; the adapter adds ``order_number``
      (the response does not carry it). Allocations are the ``transactions`` entries.
    """
    return make_wire_converter(
        PLATFORM,
        {
            Order: order,
            Customer: customer,
            Product: product,
            Variant: variant,
            Transaction: transaction,
            RefundQuote: refund_quote,
            Refund: refund,
            FulfillmentOrder: fulfillment_order,
            Address: address,
        },
    )


def address(p: Payload) -> Address:
    return Address(
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        line1=p.opt_string("line1"),
        line2=p.opt_string("line2"),
        city=p.opt_string("line4"),
        region=p.opt_string("state"),
        postal_code=p.opt_string("postcode"),
        country=p.opt_string("country"),
        phone=p.opt_string("phone_number"),
    )


def address_to_wire(value: Address) -> dict[str, str]:
    """An Address as the Admin API's address object (fields left None are not sent)."""
    wire = {
        "first_name": value.first_name,
        "last_name": value.last_name,
        "line1": value.line1,
        "line2": value.line2,
        "line4": value.city,
        "state": value.region,
        "postcode": value.postal_code,
        "country": value.country,
        "phone_number": value.phone,
    }
    return {k: v for k, v in wire.items() if v is not None}


def _tags(p: Payload) -> tuple[str, ...]:
    return tuple(str(t) for t in (p.raw("tags") or ()) if t)


def _line(p: Payload, order_currency: str) -> OrderLine:
    if p.has("product") and not p.has("sku"):  # 2023-02-10 OrderLineDetail
        currency = p.opt_string("price_currency") or order_currency
        stockrecord = p.opt_obj("stockrecord")
        title = p.obj("product").string("title")
        sku = stockrecord.opt_string("partner_sku") if stockrecord else None
        quantity = p.integer("quantity")
        product_ref = str(p.obj("product").integer("id"))
        variant_ref = None
    else:
        currency = p.opt_string("currency") or order_currency
        title = p.string("product_title")
        variant_title = p.opt_string("variant_title")
        if variant_title and variant_title != title:
            title = f"{title} - {variant_title}"
        sku = p.opt_string("sku")
        current = p.opt_integer("current_quantity")
        quantity = current if current is not None else p.integer("quantity")
        product_ref = str(p.integer("product_id"))
        variant_ref = str(p.integer("variant_id"))
    unit = p.money("price_incl_tax", currency)
    fulfillable = p.opt_integer("fulfillable_quantity")
    status = FulfillmentStatus.UNKNOWN
    if fulfillable is not None:
        if fulfillable == 0:
            status = FulfillmentStatus.FULFILLED
        elif fulfillable < quantity:
            status = FulfillmentStatus.PARTIALLY_FULFILLED
        else:
            status = FulfillmentStatus.UNFULFILLED
    return OrderLine(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        sku=sku,
        title=title,
        quantity=quantity,
        unit_price=unit,
        total=unit * quantity,
        product_ref=product_ref,
        variant_ref=variant_ref,
        requires_shipping=p.opt_bool("requires_shipping"),
        fulfillment_status=status,
        raw=p.data,
    )


def order(p: Payload) -> Order:
    currency = p.string("currency")
    number = p.string("number")
    user = p.opt_obj("user")
    customer_obj = None
    if user is not None and user.has("id"):
        customer_obj = Customer(
            platform=PLATFORM,
            ref=str(user.integer("id")),
            email=user.opt_string("email"),
            first_name=user.opt_string("first_name"),
            last_name=user.opt_string("last_name"),
            phone=user.opt_string("phone_number"),
            accepts_marketing=user.opt_bool("accepts_marketing"),
            raw=user.data,
        )
    total_excl = p.opt_decimal("total_excl_tax")
    shipping_excl = p.opt_decimal("shipping_excl_tax") or Decimal("0")
    shipping = p.opt_obj("shipping_address")
    billing = p.opt_obj("billing_address")
    status_raw = p.opt_string("status")
    payment_raw = p.opt_string("payment_status")
    fulfillment_raw = p.opt_string("fulfillment_status")
    return Order(
        platform=PLATFORM,
        ref=number,
        number=number,
        status=OrderStatus.parse(status_raw, ORDER_STATUS_ALIASES),
        status_raw=status_raw,
        financial_status=FinancialStatus.parse(payment_raw, FINANCIAL_STATUS_ALIASES),
        financial_status_raw=payment_raw,
        fulfillment_status=FulfillmentStatus.parse(fulfillment_raw, FULFILLMENT_STATUS_ALIASES),
        fulfillment_status_raw=fulfillment_raw,
        currency=currency,
        total=p.money("total_incl_tax", currency),
        subtotal=None if total_excl is None else Money(total_excl - shipping_excl, currency),
        shipping_total=p.opt_money("shipping_incl_tax", currency),
        tax_total=p.opt_money("total_tax", currency),
        discount_total=p.opt_money("total_discount", currency),
        email=customer_obj.email if customer_obj else None,
        customer=customer_obj,
        lines=tuple(_line(line, currency) for line in p.iter("lines")),
        shipping_address=address(shipping) if shipping else None,
        billing_address=address(billing) if billing else None,
        transactions=tuple(_transaction(t, currency) for t in p.iter("transactions")),
        refunds=tuple(_refund(r, currency) for r in p.iter("refunds")),
        tags=_tags(p),
        created_at=p.opt_timestamp("date_placed") or p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        partial="lines" not in p.data,
        raw=p.data,
    )


def customer(p: Payload) -> Customer:
    return Customer(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        email=p.opt_string("email"),
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        phone=p.opt_string("phone_number"),
        addresses=p.each("addresses", address),
        tags=_tags(p),
        accepts_marketing=p.opt_bool("accepts_marketing"),
        created_at=p.opt_timestamp("date_joined"),
        raw=p.data,
    )


def variant(p: Payload) -> Variant:
    price = None
    for entry in p.iter("prices"):
        code = entry.opt_string("currency")
        if code:
            price = entry.money("price", code)
            break
    stock = None
    if p.opt_bool("track_stock") is not False:
        levels = [
            (r.opt_integer("num_in_stock") or 0) - (r.opt_integer("num_allocated") or 0)
            for r in p.iter("stockrecords")
        ]
        stock = sum(levels) if levels else None
    return Variant(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        sku=p.opt_string("sku"),
        title=p.opt_string("title"),
        price=price,
        stock=stock,
        product_ref=str(p.integer("product_id")) if p.has("product_id") else None,
        raw=p.data,
    )


def product_tags(metadata: Any) -> tuple[str, ...]:
    if not isinstance(metadata, Mapping):
        return ()
    value = metadata.get(TAGS_METADATA_KEY)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v)
    return ()


def product(p: Payload) -> Product:
    return Product(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        title=p.string("title"),
        description=p.opt_string("description"),
        variants=p.each("variants", variant),
        tags=product_tags(p.raw("metadata")),
        created_at=p.opt_timestamp("date_created"),
        updated_at=p.opt_timestamp("date_updated"),
        raw=p.data,
    )


def _transaction(p: Payload, default_currency: str | None) -> Transaction:
    currency = p.opt_string("currency") or default_currency
    if currency is None:
        report = p.opt_obj("report_values")
        currency = report.opt_string("currency") if report else None
    if currency is None:
        p.fail("transaction has no currency", "currency")
    kind_raw = p.opt_string("type")
    status_raw = p.opt_string("status")
    gateway = None
    details = p.opt_obj("payment_details")
    if details is not None and details.opt_obj("gateway") is not None:
        gateway = details.obj("gateway").opt_string("name")
    return Transaction(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        kind=TransactionKind.parse(kind_raw, TRANSACTION_KIND_ALIASES),
        kind_raw=kind_raw,
        status=TransactionStatus.parse(status_raw, TRANSACTION_STATUS_ALIASES),
        status_raw=status_raw,
        amount=p.money("amount", currency),
        gateway=gateway or p.opt_string("payment_method"),
        order_ref=p.opt_string("order"),
        created_at=p.opt_timestamp("date_created"),
        raw=p.data,
    )


def transaction(p: Payload) -> Transaction:
    return _transaction(p, None)


def _refund(p: Payload, currency: str) -> Refund:
    lines = tuple(
        RefundLine(
            line_ref=str(line.integer("line_item_id")),
            quantity=line.integer("quantity"),
            restock=RestockType.parse(line.opt_string("restock_type")),
            amount=line.opt_money("amount_incl_tax", currency),
        )
        for line in p.iter("refund_line_items")
    )
    return Refund(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        order_ref=p.string("order_number"),
        amount=p.money("total_refund_amount", currency),
        lines=lines,
        note=p.opt_string("note"),
        transactions=tuple(_transaction(t, currency) for t in p.iter("transactions")),
        created_at=p.opt_timestamp("created_at"),
        raw=p.data,
    )


def refund(p: Payload) -> Refund:
    report = p.opt_obj("report_values")
    currency = None
    for t in p.iter("transactions"):
        currency = t.opt_string("currency")
        if currency:
            break
    if currency is None and report is not None:
        currency = report.opt_string("currency")
    if currency is None:
        p.fail("refund has no currency on its transactions or report values", "transactions")
    return _refund(p, currency)


def refund_quote(p: Payload) -> RefundQuote:
    currency = p.string("currency")
    lines = tuple(
        RefundLine(
            line_ref=str(line.integer("line_id")),
            quantity=line.integer("quantity"),
            restock=RestockType.parse(line.opt_string("restock_type")),
            amount=line.opt_money("amount_incl_tax", currency),
        )
        for line in p.iter("refund_lines")
    )
    shipping = p.opt_obj("refund_shipping")
    shipping_amount = shipping.opt_money("amount_incl_tax", currency) if shipping else None
    allocations = tuple(
        TransactionAllocation(
            transaction_ref=str(t.integer("id")),
            amount=t.money("amount", currency),
            gateway=t.opt_string("gateway_name") or t.opt_string("payment_method"),
            maximum=t.opt_money("refundable_amount", currency),
        )
        for t in p.iter("transactions")
    )
    total = p.money("amount_incl_tax", currency)
    return RefundQuote(
        platform=PLATFORM,
        order_ref=p.string("order_number"),
        lines=lines,
        total=total,
        shipping=shipping_amount,
        subtotal=p.opt_money("amount_excl_tax", currency),
        tax=p.opt_money("total_tax", currency),
        allocations=allocations,
        raw=p.data,
    )


def fulfillment_order(p: Payload) -> FulfillmentOrder:
    status_raw = p.opt_string("status")
    location = p.opt_obj("assigned_location")
    return FulfillmentOrder(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        order_ref=p.string("order_number"),
        status=FulfillmentOrderStatus.parse(status_raw, FULFILLMENT_ORDER_STATUS_ALIASES),
        status_raw=status_raw,
        location_ref=str(location.integer("id")) if location and location.has("id") else None,
        lines=tuple(
            FulfillmentOrderLine(
                ref=str(line.integer("id")),
                line_ref=str(line.integer("order_line_id")),
                quantity=line.opt_integer("quantity") or 0,
                sku=line.opt_string("sku"),
            )
            for line in p.iter("line_items")
        ),
        raw=p.data,
    )
