"""Example Commerce payloads -> storebridge model objects.

Mapping rules:

* ids are numbers on the wire and ``ref`` strings in the model; an order's ``ref`` is its
  id (what ``GET /orders/{id}`` takes), its ``number`` the ``EX-...`` text shown to shoppers;
* amounts are decimal strings in the order's ``currency``;
* ``payment_status`` is the financial status (``paid``, ``partially_refunded``...);
* addresses use ``street``/``zip``/``country_code``;
* a refund's ``client_key`` is the ``idempotency_key`` of the quote that issued it.
"""

from __future__ import annotations

from storebridge.kit import AddressFields, Payload
from storebridge.model import (
    Customer,
    FinancialStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
    RefundQuote,
)
from storebridge_example.api import PLATFORM

ADDRESS = AddressFields(line1="street", line2="street2", postal_code="zip", country="country_code")


def to_customer(p: Payload) -> Customer:
    """A customer row (also the ``customer`` object inside an order)."""
    return Customer(
        platform=PLATFORM,
        ref=p.ref("id"),
        email=p.opt_string("email"),
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        phone=p.opt_string("phone"),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def to_refund_line(p: Payload) -> RefundLine:
    """One entry of a refund's ``lines``: which order line, how many units."""
    return RefundLine(line_ref=p.ref("line_id"), quantity=p.integer("quantity"))


def to_refund(p: Payload, order_ref: str, currency: str) -> Refund:
    """A refund object; the order it belongs to and its currency come from the caller."""
    return Refund(
        platform=PLATFORM,
        ref=p.ref("id"),
        order_ref=order_ref,
        amount=p.money("amount", currency),
        lines=p.each("lines", to_refund_line),
        note=p.opt_string("note"),
        created_at=p.opt_timestamp("created_at"),
        raw=p.data,
    )


def to_quote_line(p: Payload, currency: str) -> RefundLine:
    """One line of a refund preview, with the amount it would return."""
    return RefundLine(
        line_ref=p.ref("line_id"),
        quantity=p.integer("quantity"),
        amount=p.money("amount", currency),
    )


def to_quote(p: Payload, order_ref: str) -> RefundQuote:
    """A refund preview: what refunding would return, line by line."""
    currency = p.currency("currency")
    return RefundQuote(
        platform=PLATFORM,
        order_ref=order_ref,
        lines=p.each("lines", lambda line: to_quote_line(line, currency)),
        total=p.money("amount", currency),
        subtotal=p.opt_money("subtotal", currency),
        shipping=p.opt_money("shipping", currency),
        raw=p.data,
    )


def to_order_line(p: Payload, currency: str) -> OrderLine:
    """One entry of an order's ``lines``."""
    return OrderLine(
        platform=PLATFORM,
        ref=p.ref("id"),
        sku=p.opt_string("sku"),
        title=p.string("name"),
        quantity=p.integer("quantity"),
        unit_price=p.money("price", currency),
        raw=p.data,
    )


def to_order(p: Payload) -> Order:
    """An order as ``GET /orders`` and ``GET /orders/{id}`` send it (the same shape)."""
    currency = p.currency("currency")
    ref = p.ref("id")
    customer = p.opt_obj("customer")
    status = p.opt_string("status")
    payment_status = p.opt_string("payment_status")
    return Order(
        platform=PLATFORM,
        ref=ref,
        number=p.string("number"),
        status=OrderStatus.parse(status),
        status_raw=status,
        financial_status=FinancialStatus.parse(payment_status),
        financial_status_raw=payment_status,
        currency=currency,
        total=p.money("total", currency),
        subtotal=p.opt_money("subtotal", currency),
        shipping_total=p.opt_money("shipping", currency),
        email=p.opt_string("email"),
        customer=to_customer(customer) if customer is not None else None,
        shipping_address=ADDRESS.read_optional(p, "shipping_address"),
        lines=p.each("lines", lambda line: to_order_line(line, currency)),
        refunds=p.each("refunds", lambda refund: to_refund(refund, ref, currency)),
        created_at=p.timestamp("created_at"),
        updated_at=p.timestamp("updated_at"),
        raw=p.data,
    )
