"""SHOPLINE wire <-> storebridge model, both directions.

Reading goes through one cattrs converter per currency (:func:`make_converter`, whose
docstring lists the mapping rules; :data:`converter_for` keeps one per currency). Writing is
the ``*_body`` functions: model inputs -> the JSON bodies SHOPLINE's write endpoints take.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import cattrs

from storebridge.http import Response
from storebridge.kit import AddressFields, Payload, make_wire_converter, read_json
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderDraft,
    OrderLine,
    OrderStatus,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
    TransactionAllocation,
    TransactionKind,
    TransactionStatus,
    Variant,
)  # fmt: skip
from storebridge_shopline import _fields, _wire
from storebridge_shopline._fast_orders import fast_order
from storebridge_shopline._fields import product, variant
from storebridge_shopline._money import (
    money,
    money_side,
    money_text,
    order_discount,
    refund_currency,
)
from storebridge_shopline._wire import FULFILLMENT_ALIASES, PLATFORM, join_tags, split_tags

RESTOCK_ALIASES = {"no_restock": "no_restock", "returned": "return"}
TRANSACTION_STATUS_ALIASES = {"fail": "failure", "error": "failure"}
MOVED_MONEY = frozenset({TransactionStatus.SUCCESS, TransactionStatus.PENDING})
"""Refund transactions a refund's amount counts: pending ones too, as SHOPLINE answers a
refund it accepted with them (the money is on its way, and a second refund for it would
be one too many); failed ones (``failure``, ``error``) returned nothing."""
NO_MONEY = frozenset({TransactionStatus.FAILURE})
"""Refund transactions that returned nothing (``failure``, and ``error`` read as it)."""

ADDRESS = AddressFields(line1="address1", line2="address2", region=_wire.REGION, postal_code="zip",
                        country=("country_code", "country"), full_name="name",
                        more_lines=("district",))  # fmt: skip
"""Addresses both ways: ``address1/2``, ``province`` (read: else a code, see REGION), ``zip``,
``country_code`` (read: else ``country``); read, ``name`` when there is no first and last
name, and ``district`` onto ``address2`` (written blank when ``address2`` is written)."""

REFUNDS_BEFORE = "storebridge_refunds_before"
"""Key added to a refund quote's ``raw``: the ids of the order's refunds when the quote was
calculated, so the refund the quote produced can be told apart when it is read back."""


# Reading -----------------------------------------------------------------------------------
def payload_of(response: Response) -> Payload:
    """The answer's JSON body, for reading with JSON paths from ``$``."""
    return Payload(read_json(response), "$", PLATFORM)


def epoch_ms(value: str) -> datetime:
    """Refund-create's ``create_at``: epoch milliseconds as a string."""
    if not (value.isascii() and value.isdigit() and len(value) <= 15):
        raise ValueError("expected epoch milliseconds")
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def _fulfillment(raw: str | None) -> FulfillmentStatus:
    if not raw:
        return FulfillmentStatus.UNFULFILLED
    return FulfillmentStatus.parse(raw, FULFILLMENT_ALIASES)


def customer(p: Payload) -> Customer:
    return Customer(
        platform=PLATFORM,
        ref=p.ref("id"),
        email=p.opt_string("email"),
        first_name=p.opt_string("first_name"),
        last_name=p.opt_string("last_name"),
        phone=p.opt_string("phone"),
        addresses=_fields.customer_addresses(p, ADDRESS),
        tags=split_tags(p.opt_string("tags")),
        note=p.opt_string("note"),
        accepts_marketing=_fields.accepts_marketing(p),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def order_line(p: Payload, currency: str) -> OrderLine:
    unit = money(p, "price", currency)
    if unit is None:  # read as 0.00, the line would be a free one
        p.fail("required field is missing (the line's unit price)", "price")
    quantity = p.integer("quantity")
    raw_status = p.opt_string("fulfillment_status")
    return OrderLine(
        platform=PLATFORM,
        ref=p.ref("id"),
        sku=p.opt_string("sku"),
        title=p.opt_string("title") or p.opt_string("name") or "",
        quantity=quantity,
        unit_price=unit,
        total=p.line_total(unit, quantity),
        product_ref=p.opt_string("product_id"),
        variant_ref=p.opt_string("variant_id"),
        requires_shipping=p.opt_bool("requires_shipping"),
        fulfillment_status=_fulfillment(raw_status),
        fulfillment_status_raw=raw_status,
        raw=p.data,
    )


def transaction(
    p: Payload, currency: str | None = None, order_ref: str | None = None
) -> Transaction:
    cur = p.opt_currency("currency") or currency
    if cur is None:
        p.fail("required field is missing", "currency")
    kind_raw = p.opt_string("kind")
    status_raw = p.opt_string("status")
    created = p.opt_timestamp("created_at") or p.opt_timestamp("processed_at")
    if created is None and p.opt_string("create_at"):
        created = p.timestamp("create_at", epoch_ms)
    return Transaction(
        platform=PLATFORM,
        ref=p.ref("id"),
        kind=TransactionKind.parse(kind_raw),
        kind_raw=kind_raw,
        status=TransactionStatus.parse(status_raw, TRANSACTION_STATUS_ALIASES),
        status_raw=status_raw,
        amount=p.money("amount", cur),
        gateway=p.opt_string("gateway"),
        order_ref=p.opt_string("order_id") or order_ref,
        created_at=created,
        raw=p.data,
    )


def refund_line(p: Payload, currency: str) -> RefundLine:
    return RefundLine(
        line_ref=p.ref("line_item_id"),
        quantity=p.integer("quantity"),
        # SHOPLINE documents no default: a line that does not say is UNKNOWN, not "kept".
        restock=RestockType.parse(p.opt_string("restock_type"), RESTOCK_ALIASES),
        amount=money(p, "subtotal", currency),
    )


def refund(p: Payload, currency: str) -> Refund:
    """A refund object (order ``refunds[]``, refund GET) or refund-create's ``data``."""
    order_ref = p.ref("order_id")
    if p.raw("transactions") is None:  # the amount is theirs: without them it would read 0
        p.fail("required field is missing", "transactions")
    rows = list(p.iter("transactions"))
    transactions = tuple(transaction(t, currency, order_ref) for t in rows)
    # Refund transactions carry their own currency; it wins over the caller's guess.
    currency = next((t.amount.currency for t in transactions), currency)
    refunded = []
    for row, done in zip(rows, transactions, strict=True):
        if done.kind is not TransactionKind.REFUND or done.status in NO_MONEY:
            continue
        if done.status not in MOVED_MONEY:
            row.fail("not a refund status SHOPLINE documents (pending, success, failure, "
                     "error): whether it returned money is unknown", "status")  # fmt: skip
        refunded.append(done.amount)
    if any(m.currency != currency for m in refunded):
        p.fail("refund transactions are in more than one currency", "transactions")
    created = p.opt_timestamp("created_at")
    if created is None and p.opt_string("create_at"):
        created = p.timestamp("create_at", epoch_ms)
    return Refund(
        platform=PLATFORM,
        ref=p.ref("id"),
        order_ref=order_ref,
        amount=Money.sum(refunded, currency),
        lines=p.each("refund_line_items", lambda line: refund_line(line, currency)),
        note=p.opt_string("note"),
        transactions=transactions,
        created_at=created,
        raw=p.data,
    )


def order(p: Payload) -> Order:
    currency = p.currency("currency")
    status_raw = p.opt_string("status")
    status = OrderStatus.parse(status_raw, _wire.ORDER_STATUS_ALIASES)
    if p.opt_string("cancelled_at"):
        status = OrderStatus.CANCELLED
    total = money(p, "current_total_price", currency)
    if total is None:
        # Orders have no total_price, and total_outstanding is what is left to pay (0.00
        # once paid): no other field is the order's total.
        p.fail("required field is missing (an order's total)", "current_total_price")
    fulfillment_raw = p.opt_string("fulfillment_status")
    financial_raw = p.opt_string("financial_status")
    shipping = money_side(p, "total_shipping_price_set", currency)
    buyer = p.opt_obj("customer")
    return Order(
        platform=PLATFORM,
        ref=p.ref("id"),
        number=p.opt_string("name") or p.ref("id"),
        status=status,
        status_raw=status_raw,
        financial_status=FinancialStatus.parse(financial_raw),
        financial_status_raw=financial_raw,
        fulfillment_status=_fulfillment(fulfillment_raw),
        fulfillment_status_raw=fulfillment_raw,
        email=p.opt_string("email") or (buyer.opt_string("email") if buyer else None),
        currency=currency,
        total=total,
        subtotal=money(p, "subtotal_price", currency),
        shipping_total=shipping.opt_money("amount", currency) if shipping else None,
        tax_total=money(p, "total_tax", currency),
        discount_total=money(p, "total_discounts", currency),
        taxes_included=p.opt_bool("taxes_included"),
        lines=p.each("line_items", lambda line: order_line(line, currency)),
        customer=customer(buyer) if buyer is not None and buyer.has("id") else None,
        shipping_address=ADDRESS.read_optional(p, "shipping_address"),
        billing_address=ADDRESS.read_optional(p, "billing_address"),
        refunds=p.each("refunds", lambda r: refund(r, currency)),
        tags=split_tags(p.opt_string("tags")),
        note=p.opt_string("note") or p.opt_string("buyer_note"),
        created_at=p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )


def refund_quote(
    p: Payload,
    order_ref: str,
    currency: str,
    asked: Sequence[RefundLine] = (),
    refunds_before: Iterable[str] = (),
) -> RefundQuote:
    """The calculate answer's ``refund`` object (its transactions key is ``transactons``).

    ``asked`` are the lines the caller asked for: their restock intent is kept next to
    SHOPLINE's answer. ``refunds_before`` are the order's refunds at calculation time.
    """
    cur = p.opt_currency("currency") or currency
    if cur != currency:
        p.fail(f"the quote is in {cur}, the order in {currency}", "currency")
    restock = {line.line_ref: line.restock for line in asked}
    lines = p.each("refund_line_items", lambda line: _quote_line(line, cur, restock))
    allocations = p.each("transactons", lambda t: _allocation(t, cur))
    subtotal = Money.sum((line.amount for line in lines if line.amount is not None), cur)
    tax = Money.sum((money(item, "total_tax", cur) or Money.zero(cur) for item in
                     p.iter("refund_line_items")), cur)  # fmt: skip
    shipping_obj = p.opt_obj("shipping")
    shipping = money(shipping_obj, "amount", cur) if shipping_obj is not None else None
    if shipping_obj is not None and shipping is not None:
        tax = tax + (money(shipping_obj, "tax", cur) or Money.zero(cur))
    return RefundQuote(
        platform=PLATFORM,
        order_ref=order_ref,
        lines=lines,
        total=Money.sum((a.amount for a in allocations), cur),
        shipping=shipping,
        subtotal=subtotal,
        tax=tax,
        allocations=allocations,
        raw={**p.data, REFUNDS_BEFORE: sorted(refunds_before)},
    )


def _quote_line(p: Payload, currency: str, restock: Mapping[str, RestockType]) -> RefundLine:
    ref = p.ref("line_item_id")
    kind = (p.opt_string("type") or "").lower()
    answered = RestockType.RETURN if kind == "returned" else RestockType.NO_RESTOCK
    return RefundLine(
        line_ref=ref,
        quantity=p.integer("quantity"),
        restock=restock.get(ref, answered),
        amount=money(p, "subtotal", currency),
    )


def _allocation(p: Payload, currency: str) -> TransactionAllocation:
    cur = p.opt_currency("currency") or currency
    if cur != currency:
        p.fail(f"a suggested refund in {cur} on a quote in {currency}", "currency")
    return TransactionAllocation(
        transaction_ref=p.ref("parent_id"),
        amount=p.money("amount", cur),
        gateway=p.opt_string("gateway"),
        maximum=money(p, "maximum_refundable", cur),
    )


def make_converter(store_currency: str | None) -> cattrs.Converter:
    """The SHOPLINE wire converter; ``store_currency`` prices products (they carry none).
    None (not read yet): a record that needs it is a PayloadError at ``currency``, never
    read in a guessed one.

    Mapping rules:

    * ids are numeric strings and become ``ref`` as given; ``Order.number`` is ``name``
      (the custom order number), or the id when the order has none.
    * money is a string (sometimes a number) with a ``*_set`` twin
      ``{shop_money, presentment_money: {amount, currency_code}}``; the set's side in the
      record's currency is read (the plain field, which may be in the store's currency,
      must equal one of the sides), else the plain field; either form of ``amount`` is a
      Decimal, never a float. A set with no side in the record's currency is a
      PayloadError.
    * orders have no ``total_price``: ``Order.total`` is ``current_total_price`` (the total
      after edits and refunds; without it the order is a PayloadError, never its
      ``total_outstanding``), ``subtotal`` ``subtotal_price``, ``tax_total``
      ``total_tax``, ``discount_total`` ``total_discounts``, ``shipping_total`` the side
      of ``total_shipping_price_set`` in the order's currency.
    * ``fulfillment_status`` ``null`` means unfulfilled, ``partial`` partially fulfilled;
      an order with ``cancelled_at`` is cancelled whatever its ``status``.
    * ``tags`` is one comma-separated string, split and stripped into a tuple.
    * addresses: ``address1/2`` -> ``line1/2``, ``province`` (else its code, see
      ``_wire.REGION``) -> ``region``, ``zip`` -> ``postal_code``, ``country_code`` (else
      ``country``) -> ``country``; written back with the first of each. An order's
      ``customer`` holds one address object under ``addresses`` (a customer, a list).
    * products list their variants under ``variants`` (a row without it is a PayloadError);
      ``inventory_quantity`` (int or numeric string) is ``stock`` unless
      ``inventory_tracker`` is false (not tracked: ``None``); missing otherwise, a
      PayloadError; ``compare_at_price`` is the variant's; a product is ``active`` when its
      ``status`` is ``active`` (``draft``, ``archived``: hidden; none: None). Order
      ``status`` ``canceled`` and ``cancelled`` are both CANCELLED.
    * times are ISO 8601 with an offset; empty strings are absent; refund-create's
      ``create_at`` is epoch milliseconds.
    * a refund's amount is the sum of its ``refund`` transactions (all in one currency)
      that are ``success`` or ``pending`` (:data:`MOVED_MONEY`); ``failure`` and ``error``
      ones count nothing, and any other status is a PayloadError; a
      refund quote's total is the sum of the calculate answer's ``transactons`` (sic)
      suggestions, which must be in the order's currency.
    * well-formed order rows take a fast path (:mod:`._fast_orders`) with the same result;
      anything unusual is read the careful way, so errors carry their JSON path.
    """

    def read_order(p: Payload) -> Order:
        found = fast_order(p.data)
        return found if found is not None else order(p)

    def store(p: Payload) -> str:
        if store_currency is None:
            p.fail("this record names no currency, and the store's has not been read: read it "
                   "first (store.extra.shop_currency())", "currency")  # fmt: skip
        return store_currency

    return make_wire_converter(
        PLATFORM,
        {
            Order: read_order,
            Customer: customer,
            Product: lambda p: product(p, store(p)),
            Variant: lambda p: variant(p, store(p)),
            Transaction: lambda p: transaction(p, p.opt_currency("currency") or store(p)),
            Refund: lambda p: refund(p, refund_currency(p) or store(p)),
        },
    )


converter_for: Callable[[str | None], cattrs.Converter] = functools.cache(make_converter)
"""The wire converter for a store currency, built once per currency and shared: converters
hold no state of their own."""


# Writing -----------------------------------------------------------------------------------
def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def address_body(address: Address) -> dict[str, Any]:
    return ADDRESS.write(address)


def _consent(accepts: bool) -> dict[str, int]:
    return {"state": 1 if accepts else 2}  # 1 subscribed, 2 not subscribed


def customer_body(given: CustomerDraft | CustomerUpdate, ref: str | None = None) -> dict[str, Any]:
    """A ``customer`` to create (``POST customers.json``) or, with ``ref``, the changes of an
    update (``PUT customers/{id}.json``): only the fields given."""
    body: dict[str, Any] = {} if ref is None else {"id": ref}
    for key in ("email", "first_name", "last_name", "phone", "note"):
        if getattr(given, key) is not None:
            body[key] = getattr(given, key)
    if given.tags is not None:
        body["tags"] = join_tags(given.tags)
    addresses = getattr(given, "addresses", ())
    if addresses:
        body["addresses"] = [address_body(a) for a in addresses]
    if given.accepts_marketing is not None:
        body["email_marketing_consent"] = _consent(given.accepts_marketing)
    return body


def product_body(draft: ProductDraft) -> dict[str, Any]:
    """``POST products/products.json``'s ``product``: one ``Title`` option over variants."""
    variants = []
    for index, item in enumerate(draft.variants):
        variant_body: dict[str, Any] = {
            "sku": item.sku,
            "price": money_text(item.price, f"variants[{index}].price"),
            "title": item.title or item.sku,
            "option1": item.title or item.sku,
        }
        if item.compare_at_price is not None:
            field = f"variants[{index}].compare_at_price"
            variant_body["compare_at_price"] = money_text(item.compare_at_price, field)
        if item.stock is not None:
            variant_body.update(inventory_quantity=item.stock, inventory_tracker=True)
        else:
            # Said outright: a store may default to tracking, and a variant tracked with no
            # quantity given shows as sold out.
            variant_body["inventory_tracker"] = False
        variants.append(variant_body)
    body: dict[str, Any] = {
        "title": draft.title,
        "tags": join_tags(draft.tags),
        "status": "active" if draft.active else "draft",
        "variants": variants,
        "options": [{"name": "Title", "values": [v["option1"] for v in variants]}],
    }
    if draft.description is not None:
        body["body_html"] = draft.description
    return body


def order_body(draft: OrderDraft) -> dict[str, Any]:
    """``POST orders.json``'s ``order``: a historical order recorded as paid outside SHOPLINE.

    Orders have no total field: the total follows from lines, shipping, tax and discounts,
    so a source total below that sum is sent as a discount, and one above it is refused
    (:func:`._money.order_discount`).
    """
    discount = order_discount(draft)
    lines = []
    for index, line in enumerate(draft.lines):
        item: dict[str, Any] = {
            "title": line.title,
            "quantity": line.quantity,
            "price": money_text(line.unit_price, f"lines[{index}].unit_price"),
        }
        for key, value in (("sku", line.sku), ("variant_id", line.variant_ref),
                           ("product_id", line.product_ref)):  # fmt: skip
            if value:
                item[key] = value
        lines.append(item)
    order_: dict[str, Any] = {
        "currency": draft.currency,
        "line_items": lines,
        "financial_status": draft.financial_status.value,
        "tags": join_tags(draft.tags),
        "send_receipt": False,
        "inventory_behaviour": "bypass",
    }
    attributes = []
    if draft.number:
        order_["name"] = draft.number
        attributes.append({"name": "original_number", "value": draft.number})
    if draft.created_at is not None:
        order_["processed_at"] = iso(draft.created_at)
        attributes.append({"name": "original_created_at", "value": iso(draft.created_at)})
    if attributes:
        order_["note_attributes"] = attributes
    order_.update({k: v for k, v in (("email", draft.email), ("note", draft.note)) if v})
    if draft.customer_ref:
        order_["customer"] = {"id": draft.customer_ref}
    for key, field, amount in (("subtotal_price", "subtotal", draft.subtotal),
                               ("total_tax", "tax_total", draft.tax_total)):  # fmt: skip
        if amount is not None:
            order_[key] = money_text(amount, field)
    if draft.taxes_included is not None:
        order_["taxes_included"] = draft.taxes_included
    if draft.shipping_total is not None:
        order_["shipping_lines"] = [
            {"title": "Shipping", "price": money_text(draft.shipping_total, "shipping_total")}
        ]
    if discount is not None:
        order_["total_discounts"] = money_text(discount, "total")
    for key, address in (("shipping_address", draft.shipping_address),
                         ("billing_address", draft.billing_address)):  # fmt: skip
        if address is not None:
            order_[key] = address_body(address)
    if draft.financial_status is FinancialStatus.PAID:
        order_["transactions"] = [
            {"kind": "sale", "status": "success", "gateway": "manual",
             "amount": money_text(draft.total, "total")}
        ]  # fmt: skip
    return order_


def refund_type(line: RefundLine) -> str:
    """The calculate/create ``type``: a returned (shipped) unit, or one never shipped."""
    return "Returned" if line.restock is RestockType.RETURN else "Unshipped"


def calculate_body(
    currency: str, lines: Sequence[RefundLine], shipping: Money | None
) -> dict[str, Any]:
    """``POST orders/{id}/refunds/calculate.json``."""
    body: dict[str, Any] = {
        "currency": currency,
        "refund_line_items": [
            {"line_item_id": line.line_ref, "quantity": line.quantity, "type": refund_type(line)}
            for line in lines
        ],
    }
    if shipping is not None:
        body["shipping"] = {"amount": money_text(shipping, "shipping")}
    return body


def refund_body(quote: RefundQuote, note: str | None, notify: bool) -> dict[str, Any]:
    """``POST order/refund.json``: the quote's lines and its suggested transactions."""
    body: dict[str, Any] = {
        "order_id": quote.order_ref,
        "notify": notify,
        "currency": quote.total.currency,
        "refund_line_items": [
            {"line_item_id": line.line_ref, "quantity": line.quantity, "type": refund_type(line),
             "restock_type": "return" if line.restock is RestockType.RETURN else "no_restock"}
            for line in quote.lines
        ],
        # type True: back to the original payment method.
        "transactions": [
            {"id": a.transaction_ref, "gateway": a.gateway, "kind": "refund", "type": True,
             "amount": money_text(a.amount, f"quote.allocations[{index}].amount"),
             "currency": a.amount.currency}
            for index, a in enumerate(quote.allocations)
            if a.amount.amount > 0
        ],
    }  # fmt: skip
    if note:
        body["note"] = note
    if quote.shipping is not None:
        body["shipping"] = {"amount": money_text(quote.shipping, "quote.shipping")}
    return body


__all__ = [
    "ADDRESS",
    "PLATFORM",
    "REFUNDS_BEFORE",
    "address_body",
    "calculate_body",
    "converter_for",
    "customer_body",
    "join_tags",
    "make_converter",
    "money_text",
    "order_body",
    "payload_of",
    "product",
    "product_body",
    "refund_body",
    "split_tags",
    "variant",
]
