"""SHOPLINE payloads -> storebridge model, through one cattrs converter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import cattrs

from storebridge.model import (
    Address,
    Customer,
    FinancialStatus,
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

PLATFORM = "shopline"

FULFILLMENT_ALIASES = {
    "partial": "partially_fulfilled",
    "shipped": "fulfilled",
    "unshipped": "unfulfilled",
}
RESTOCK_ALIASES = {"no_restock": "no_restock", "returned": "return"}


def split_tags(value: str | None) -> tuple[str, ...]:
    """SHOPLINE tags are one comma-separated string."""
    if not value:
        return ()
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


def join_tags(tags: tuple[str, ...] | list[str]) -> str:
    return ",".join(tags)


def amount(p: Payload, key: str) -> Decimal | None:
    """``key`` as a string or number, else ``key_set.shop_money.amount`` (string or number)."""
    value = p.opt_decimal(key)
    if value is not None:
        return value
    money_set = p.opt_obj(f"{key}_set")
    if money_set is None:
        return None
    shop = money_set.opt_obj("shop_money")
    return None if shop is None else shop.opt_decimal("amount")


def money(p: Payload, key: str, currency: str) -> Money | None:
    value = amount(p, key)
    return None if value is None else Money(value, currency)


def epoch_ms(value: str) -> datetime:
    """Refund-create's ``create_at``: epoch milliseconds as a string."""
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def address(p: Payload) -> Address:
    return Address(
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        company=p.opt_string("company"),
        line1=p.opt_string("address1"),
        line2=p.opt_string("address2"),
        city=p.opt_string("city"),
        region=p.opt_string("province") or p.opt_string("province_code"),
        postal_code=p.opt_string("zip"),
        country=p.opt_string("country_code") or p.opt_string("country"),
        phone=p.opt_string("phone"),
    )


def _opt_address(p: Payload, key: str) -> Address | None:
    found = p.opt_obj(key)
    return None if found is None else address(found)


def customer(p: Payload) -> Customer:
    addresses = p.each("addresses", address)
    if not addresses and p.opt_obj("default_address") is not None:
        addresses = (address(p.obj("default_address")),)
    consent = p.opt_obj("email_marketing_consent")
    accepts: bool | None = None
    if consent is not None and consent.opt_integer("state") is not None:
        accepts = consent.opt_integer("state") == 1  # 1: subscribed
    return Customer(
        platform=PLATFORM,
        ref=p.string("id"),
        email=p.opt_string("email"),
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        phone=p.opt_string("phone"),
        addresses=addresses,
        tags=split_tags(p.opt_string("tags")),
        note=p.opt_string("note"),
        accepts_marketing=accepts,
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def order_line(p: Payload, currency: str) -> OrderLine:
    unit = money(p, "price", currency) or Money.zero(currency)
    quantity = p.integer("quantity")
    raw_status = p.opt_string("fulfillment_status")
    return OrderLine(
        platform=PLATFORM,
        ref=p.string("id"),
        sku=p.opt_string("sku"),
        title=p.opt_string("title") or p.opt_string("name") or "",
        quantity=quantity,
        unit_price=unit,
        total=unit * quantity,
        product_ref=p.opt_string("product_id"),
        variant_ref=p.opt_string("variant_id"),
        requires_shipping=p.opt_bool("requires_shipping"),
        fulfillment_status=(
            FulfillmentStatus.parse(raw_status, FULFILLMENT_ALIASES)
            if raw_status
            else FulfillmentStatus.UNFULFILLED
        ),
        fulfillment_status_raw=raw_status,
        raw=p.data,
    )


def transaction(
    p: Payload, currency: str | None = None, order_ref: str | None = None
) -> Transaction:
    cur = p.opt_string("currency") or currency
    if cur is None:
        p.fail("required field is missing", "currency")
    kind_raw = p.opt_string("kind")
    status_raw = p.opt_string("status")
    created = p.opt_timestamp("created_at") or p.opt_timestamp("processed_at")
    if created is None and p.opt_string("create_at"):
        created = epoch_ms(p.string("create_at"))
    return Transaction(
        platform=PLATFORM,
        ref=p.string("id"),
        kind=TransactionKind.parse(kind_raw),
        kind_raw=kind_raw,
        status=TransactionStatus.parse(status_raw, {"fail": "failure", "error": "failure"}),
        status_raw=status_raw,
        amount=Money(p.decimal("amount"), cur),
        gateway=p.opt_string("gateway"),
        order_ref=p.opt_string("order_id") or order_ref,
        created_at=created,
        raw=p.data,
    )


def refund_line(p: Payload, currency: str) -> RefundLine:
    return RefundLine(
        line_ref=p.string("line_item_id"),
        quantity=p.integer("quantity"),
        restock=RestockType.parse(p.opt_string("restock_type") or "no_restock", RESTOCK_ALIASES),
        amount=money(p, "subtotal", currency),
    )


def refund(p: Payload, currency: str) -> Refund:
    """A refund object (order ``refunds[]``, refund GET) or refund-create's ``data``."""
    order_ref = p.string("order_id")
    transactions = tuple(transaction(t, currency, order_ref) for t in p.iter("transactions"))
    # Refund transactions carry their own currency; it wins over the caller's guess.
    currency = next((t.amount.currency for t in transactions), currency)
    total = Money.sum(
        (t.amount for t in transactions if t.kind is TransactionKind.REFUND), currency
    )
    created = p.opt_timestamp("created_at")
    if created is None and p.opt_string("create_at"):
        created = p.timestamp("create_at", epoch_ms)
    return Refund(
        platform=PLATFORM,
        ref=p.string("id"),
        order_ref=order_ref,
        amount=total,
        lines=p.each("refund_line_items", lambda line: refund_line(line, currency)),
        note=p.opt_string("note"),
        transactions=transactions,
        created_at=created,
        raw=p.data,
    )


def order(p: Payload) -> Order:
    currency = p.string("currency")
    status_raw = p.opt_string("status")
    status = OrderStatus.parse(status_raw)
    if p.opt_string("cancelled_at"):
        status = OrderStatus.CANCELLED
    total = money(p, "current_total_price", currency)
    if total is None:
        total = money(p, "total_outstanding", currency)
    if total is None:
        p.fail("required field is missing", "current_total_price")
    fulfillment_raw = p.opt_string("fulfillment_status")
    shipping = p.opt_obj("total_shipping_price_set")
    shipping_total = None
    if shipping is not None and shipping.opt_obj("shop_money") is not None:
        shipping_total = shipping.obj("shop_money").opt_money("amount", currency)
    buyer = p.opt_obj("customer")
    return Order(
        platform=PLATFORM,
        ref=p.string("id"),
        number=p.opt_string("name") or p.string("id"),
        status=status,
        status_raw=status_raw,
        financial_status=FinancialStatus.parse(p.opt_string("financial_status")),
        financial_status_raw=p.opt_string("financial_status"),
        fulfillment_status=(
            FulfillmentStatus.parse(fulfillment_raw, FULFILLMENT_ALIASES)
            if fulfillment_raw
            else FulfillmentStatus.UNFULFILLED
        ),
        fulfillment_status_raw=fulfillment_raw,
        email=p.opt_string("email") or (buyer.opt_string("email") if buyer else None),
        currency=currency,
        total=total,
        subtotal=money(p, "subtotal_price", currency),
        shipping_total=shipping_total,
        tax_total=money(p, "total_tax", currency),
        discount_total=money(p, "total_discounts", currency),
        taxes_included=p.opt_bool("taxes_included"),
        lines=p.each("line_items", lambda line: order_line(line, currency)),
        customer=customer(buyer) if buyer is not None and buyer.has("id") else None,
        shipping_address=_opt_address(p, "shipping_address"),
        billing_address=_opt_address(p, "billing_address"),
        refunds=p.each("refunds", lambda r: refund(r, currency)),
        tags=split_tags(p.opt_string("tags")),
        note=p.opt_string("note") or p.opt_string("buyer_note"),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def variant(p: Payload, currency: str) -> Variant:
    tracked = p.opt_bool("inventory_tracker")
    return Variant(
        platform=PLATFORM,
        ref=p.string("id"),
        sku=p.opt_string("sku"),
        title=p.opt_string("title"),
        price=money(p, "price", currency),
        stock=None if tracked is False else p.opt_integer("inventory_quantity"),
        product_ref=p.opt_string("product_id"),
        raw=p.data,
    )


def product(p: Payload, currency: str) -> Product:
    return Product(
        platform=PLATFORM,
        ref=p.string("id"),
        title=p.string("title"),
        description=p.opt_string("body_html"),
        variants=p.each("variants", lambda v: variant(v, currency)),
        tags=split_tags(p.opt_string("tags")),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def refund_quote(p: Payload, order_ref: str, currency: str) -> RefundQuote:
    """The calculate answer's ``refund`` object; its transactions key is ``transactons``."""
    cur = p.opt_string("currency") or currency
    lines = p.each("refund_line_items", lambda line: _quote_line(line, cur))
    allocations = p.each("transactons", lambda t: _allocation(t, cur))
    subtotal = Money.sum((line.amount for line in lines if line.amount is not None), cur)
    tax = Money.sum((_opt(p_line, "total_tax", cur) for p_line in p.iter("refund_line_items")), cur)
    shipping_obj = p.opt_obj("shipping")
    shipping = money(shipping_obj, "amount", cur) if shipping_obj is not None else None
    if shipping_obj is not None and shipping is not None:
        shipping_tax = money(shipping_obj, "tax", cur)
        if shipping_tax is not None:
            tax = tax + shipping_tax
    total = Money.sum((a.amount for a in allocations), cur)
    return RefundQuote(
        platform=PLATFORM,
        order_ref=order_ref,
        lines=lines,
        total=total,
        shipping=shipping,
        subtotal=subtotal,
        tax=tax,
        allocations=allocations,
        raw=p.data,
    )


def _opt(p: Payload, key: str, currency: str) -> Money:
    return money(p, key, currency) or Money.zero(currency)


def _quote_line(p: Payload, currency: str) -> RefundLine:
    kind = (p.opt_string("type") or "").lower()
    return RefundLine(
        line_ref=p.string("line_item_id"),
        quantity=p.integer("quantity"),
        restock=RestockType.RETURN if kind == "returned" else RestockType.NO_RESTOCK,
        amount=money(p, "subtotal", currency),
    )


def _allocation(p: Payload, currency: str) -> TransactionAllocation:
    cur = p.opt_string("currency") or currency
    return TransactionAllocation(
        transaction_ref=p.string("parent_id"),
        amount=Money(p.decimal("amount"), cur),
        gateway=p.opt_string("gateway"),
        maximum=money(p, "maximum_refundable", cur),
    )


def make_converter(store_currency: str) -> cattrs.Converter:
    """The SHOPLINE wire converter; ``store_currency`` prices products (they carry none).

    Mapping rules:

    * ids are numeric strings and become ``ref`` as given; ``Order.number`` is ``name``
      (the custom order number), or the id when the order has none.
    * money is a string (sometimes a number) with a ``*_set`` twin
      ``{shop_money: {amount, currency_code}}``; the plain field wins, the set is the
      fallback, and either form of ``amount`` is read as a Decimal, never a float.
    * orders have no ``total_price``: ``Order.total`` is ``current_total_price`` (the total
      after edits and refunds), ``subtotal`` ``subtotal_price``, ``tax_total``
      ``total_tax``, ``discount_total`` ``total_discounts``, ``shipping_total`` the shop
      money of ``total_shipping_price_set``.
    * ``fulfillment_status`` ``null`` means unfulfilled, ``partial`` partially fulfilled;
      an order with ``cancelled_at`` is cancelled whatever its ``status``.
    * ``tags`` is one comma-separated string, split and stripped into a tuple.
    * addresses: ``address1/2`` -> ``line1/2``, ``province`` -> ``region``, ``zip`` ->
      ``postal_code``, ``country_code`` (else ``country``) -> ``country``.
    * variants: ``inventory_quantity`` (int or numeric string) is ``stock`` unless
      ``inventory_tracker`` is false, which means stock is not tracked (``None``).
    * times are ISO 8601 with an offset; empty strings are absent; refund-create's
      ``create_at`` is epoch milliseconds.
    * a refund's amount is the sum of its ``refund`` transactions; a refund quote's total
      is the sum of the calculate answer's ``transactons`` (sic) suggestions.
    """
    return make_wire_converter(
        PLATFORM,
        {
            Order: order,
            Customer: customer,
            Product: lambda p: product(p, store_currency),
            Variant: lambda p: variant(p, store_currency),
            Transaction: lambda p: transaction(p, store_currency),
            Refund: lambda p: refund(p, p.opt_string("currency") or store_currency),
        },
    )


def each_payload(items: Any, path: str) -> Iterator[Payload]:
    """Payloads of a JSON list, with paths like ``$.orders[3]``."""
    for index, item in enumerate(items or []):
        yield Payload(item, f"{path}[{index}]", PLATFORM)


__all__ = ["PLATFORM", "join_tags", "make_converter", "split_tags"]
