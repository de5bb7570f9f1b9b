"""29 Next payloads <-> storebridge model: the one converter factory, its hooks, and the
request bodies the adapter sends (the other direction)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from storebridge import validation
from storebridge.errors import PayloadError, ValidationError
from storebridge.kit import AddressFields, Payload, make_wire_converter, parse_json
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    FulfillmentOrder,
    FulfillmentStatus,
    Money,
    Order,
    OrderDraft,
    OrderLine,
    OrderStatus,
    Product,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
    TransactionKind,
    TransactionStatus,
    Variant,
)
from storebridge_29next._settings import variants_key

T = TypeVar("T")

PLATFORM = "29next"
TAGS_METADATA_KEY = "storebridge_tags"
"""Products have no tags on 29 Next; identity tags live in product metadata under this key."""
AMOUNTS_METADATA_KEY = "storebridge_amounts"
"""Orders created by storebridge keep the draft's shipping, tax, discount and
``taxes_included`` here (see :func:`order_body`)."""

ORDER_STATUS_ALIASES = {"canceled": "cancelled", "archived": "closed"}
FINANCIAL_STATUS_ALIASES = {"expiring": "authorized"}
FULFILLMENT_STATUS_ALIASES = {"processing": "unfulfilled", "on_hold": "unfulfilled"}
FULFILLMENT_ORDER_STATUS_ALIASES = {"processing": "in_progress", "canceled": "cancelled"}
TRANSACTION_KIND_ALIASES = {"debit": "sale", "authorize": "authorization"}
TRANSACTION_STATUS_ALIASES = {"succeeded": "success", "failed": "failure"}

ADDRESS = AddressFields(
    company=None,
    city="line4",
    region="state",
    postal_code="postcode",
    phone="phone_number",
    more_lines=("line3",),
)
"""Admin API addresses: ``line4`` is the city, ``state`` the region, ``line3`` is read onto
``line2``; there is no company."""
_CENT = Decimal("0.01")
REQUIRED_ADDRESS_FIELDS = (("line1", "line1"), ("city", "line4"), ("country", "country"))
"""(model field, wire field) the Admin API requires on every address it stores."""
ADDRESS_LENGTHS = {
    "first_name": 255, "last_name": 255, "line1": 255, "line2": 255, "line3": 255,
    "line4": 255, "state": 255, "postcode": 64, "phone_number": 128,
}  # fmt: skip
"""The spec's ``maxLength`` of each address field (wire names): longer is refused."""


def too_long_fields(address: Mapping[str, Any]) -> dict[str, list[str]]:
    """The wire fields of ``address`` longer than the spec allows, with the API's message."""
    return {
        key: [f"Ensure this field has no more than {longest} characters."]
        for key, longest in ADDRESS_LENGTHS.items()
        if isinstance(address.get(key), str) and len(address[key]) > longest
    }


ORDER_LISTS = ("lines", "refunds", "transactions")
"""Lists every full order holds (both versions' specs require them); an order read without
one is ``partial``."""


def make_converter(api_version: str | None = None) -> cattrs.Converter:
    """The 29 Next wire converter for ``api_version`` (None: the default version). Mapping
    rules:

    * Orders are keyed by ``number`` (``ref`` and ``number`` are both it; there is no id).
    * ``status`` open/archived/canceled -> OPEN/CLOSED/CANCELLED; ``payment_status`` ->
      ``financial_status`` (``expiring`` counts as AUTHORIZED); ``fulfillment_status``
      processing/on_hold count as UNFULFILLED. Raw values are kept in ``*_raw``.
    * Money is a decimal string in the order's ``currency`` (a line in another is refused;
      transactions name theirs). ``total`` = ``total_incl_tax``, ``shipping_total`` =
      ``shipping_incl_tax``, ``tax_total`` = ``total_tax``, ``discount_total`` =
      ``total_discount``, ``subtotal`` = ``total_excl_tax - shipping_excl_tax``, and
      ``taxes_included`` is True (``price_incl_tax``). An order storebridge created keeps
      the draft's shipping, tax, discount (as given) and ``taxes_included`` in
      ``metadata.storebridge_amounts`` (the create API has no such fields), read back.
    * ``created_at`` is ``date_placed`` (the business date, which historical imports set),
      falling back to ``created_at``.
    * List rows (``OrderList``) have no lines, addresses, tags or transactions (2023-02-10
      rows: no refunds or transactions): the order is returned with ``partial=True``;
      ``orders.get`` or ``orders.list(detail=True)`` fill it. Transactions embedded in an
      order carry its number as ``order_ref``.
    * Order lines: 2024-04-01 lines (``sku``, ``product_title``, ``current_quantity``) and
      2023-02-10 lines (``product.title``, ``stockrecord.partner_sku``, ``price_currency``)
      both map to OrderLine; ``quantity`` is what is still on the order (``current_quantity``;
      2023-02-10: ``quantity``), ``unit_price`` is ``price_incl_tax``.
    * Addresses: ``line4`` is the city, ``state`` the region, ``postcode`` the postal code;
      ``line3`` is read after ``line2`` on ``line2`` (the model has two lines).
    * Customers are ``/users/``: ``phone_number`` -> ``phone``, ``date_joined`` ->
      ``created_at`` (users have no updated timestamp).
    * Products: variants are listed under ``variants`` (2023-02-10: ``children``), a list
      every product row must hold; only a ``parent`` product may list none. Variants'
      ``prices[0]`` is the price, its ``retail`` the ``compare_at_price``; ``stock`` is the
      sum over stock records of ``num_in_stock - num_allocated`` when ``track_stock``, else
      None. ``is_public`` is ``active``. Product tags are read from
      ``metadata.storebridge_tags`` (a JSON list in a string).
    * Transactions: ``type`` debit/authorize/capture/refund/void -> SALE/AUTHORIZATION/
      CAPTURE/REFUND/VOID; ``status`` succeeded/failed -> SUCCESS/FAILURE.
    * Refund quotes come from the refund calculation; the adapter adds ``order_number``
      (the response does not carry it). Allocations are the ``transactions`` entries, their
      ``maximum`` the transaction's ``refundable_amount`` when the quote was calculated.
    """
    # Refunds, their quotes, fulfillment orders and products are read in the modules of
    # their operations.
    from storebridge_29next._fulfillment import fulfillment_order
    from storebridge_29next._products import product_reader, variant
    from storebridge_29next._refunds import refund, refund_quote

    return make_wire_converter(
        PLATFORM,
        {
            Order: order,
            Customer: customer,
            Product: product_reader(variants_key(api_version)),
            Variant: variant,
            Transaction: transaction,
            RefundQuote: refund_quote,
            Refund: refund,
            FulfillmentOrder: fulfillment_order,
            Address: ADDRESS.read,
        },
    )


# Reading ---------------------------------------------------------------------------------
def _tags(p: Payload, key: str = "tags") -> tuple[str, ...]:
    value = p.raw(key)
    if value is None:
        return ()
    if type(value) is not list:
        p.fail("expected a list of tags", key)
    for index, item in enumerate(value):
        if item is not None and type(item) is not str:
            raise PayloadError(
                "expected a tag (text)", path=f"{p.path}.{key}[{index}]", platform=p.platform
            )
    return tuple(item for item in value if item)


def is_legacy_line(line: Payload) -> bool:
    """A 2023-02-10 order line (``OrderLineDetail``, and its list rows' ``OrderLine``): the
    product as an object, no ``sku`` (2024-04-01 lines require theirs)."""
    return line.has("product") and not line.has("sku")


def line_quantity(line: Payload) -> tuple[int, str]:
    """Units still on the order and the field they are read from: ``current_quantity``
    (2024-04-01, whose ``quantity`` also counts units removed since, so it never stands in),
    2023-02-10's ``quantity``."""
    key = "quantity" if is_legacy_line(line) else "current_quantity"
    return line.integer(key), key


def _line(p: Payload, order_currency: str) -> OrderLine:
    legacy = is_legacy_line(p)
    # An Order's amounts are summed: a line in another currency than its order's is refused.
    currency_key = "price_currency" if legacy else "currency"
    if (code := p.opt_currency(currency_key)) not in (None, order_currency):
        p.fail(f"the line is in {code}, not in its order's {order_currency}", currency_key)
    quantity, quantity_key = line_quantity(p)
    if legacy:
        product_obj = p.obj("product")
        title = product_obj.string("title")
        # The SKU is the stock record's, required: without it the line would read as one
        # with no SKU.
        sku = p.obj("stockrecord").opt_string("partner_sku")
        product_ref = str(product_obj.integer("id"))
        variant_ref = None
    else:
        title = p.string("product_title")
        variant_title = p.opt_string("variant_title")
        if variant_title and variant_title != title:
            title = f"{title} - {variant_title}"
        if "sku" not in p.data:  # required: left out, it is not a line without a SKU
            p.fail("required field is missing", "sku")
        sku = p.opt_string("sku")
        product_ref = str(p.integer("product_id"))
        variant_ref = str(p.integer("variant_id"))
    unit = p.money("price_incl_tax", order_currency)
    fulfillable = p.opt_integer("fulfillable_quantity")
    status = FulfillmentStatus.UNKNOWN
    # A line whose units were all removed has nothing to fulfil and nothing shipped: not
    # "fulfilled" (it stays UNKNOWN, with the numbers in ``raw``).
    if fulfillable is not None and quantity > 0:
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
        total=p.line_total(unit, quantity, quantity_key),
        product_ref=product_ref,
        variant_ref=variant_ref,
        requires_shipping=p.opt_bool("requires_shipping"),
        fulfillment_status=status,
        raw=p.data,
    )


def _inline_user(user: Payload) -> Customer:
    return Customer(
        platform=PLATFORM,
        ref=str(user.integer("id")),
        email=user.opt_string("email"),
        first_name=user.opt_string("first_name"),
        last_name=user.opt_string("last_name"),
        phone=user.opt_string("phone_number"),
        accepts_marketing=user.opt_bool("accepts_marketing"),
        raw=user.data,
    )


def stored_amounts(metadata: Any) -> tuple[dict[str, Decimal], bool | None]:
    """``shipping``/``tax``/``discount`` and the draft's ``taxes_included`` of an order made
    by storebridge; ``({}, None)`` when absent or unreadable (the platform's fields stand)."""
    if not isinstance(metadata, Mapping):
        return {}, None
    text = metadata.get(AMOUNTS_METADATA_KEY)
    if not isinstance(text, str) or len(text) > 500:
        return {}, None
    try:
        reader = Payload(parse_json(text))
        found = {key: reader.opt_decimal(key) for key in ("shipping", "tax", "discount")}
        flag = reader.opt_bool("taxes_included")
    except PayloadError:
        return {}, None
    return {key: amount for key, amount in found.items() if amount is not None}, flag


def subtotal(excl: Decimal | None, shipping_excl: Decimal | None, code: str) -> Money | None:
    """``total_excl_tax - shipping_excl_tax``, the same digits in both order readers."""
    if excl is None:
        return None
    return Money(excl if shipping_excl is None else excl - shipping_excl, code)


def order(p: Payload) -> Order:
    currency = p.currency("currency")
    number = p.ref("number")
    user = p.opt_obj("user")
    customer_obj = _inline_user(user) if user is not None and user.has("id") else None
    total_excl = p.opt_decimal("total_excl_tax")
    shipping_excl = p.opt_decimal("shipping_excl_tax")
    shipping_total = p.opt_money("shipping_incl_tax", currency)
    tax_total = p.opt_money("total_tax", currency)
    discount_total = p.opt_money("total_discount", currency)
    stored, stored_flag = stored_amounts(p.raw("metadata"))
    if stored:
        shipping_total = Money(stored.get("shipping", Decimal(0)), currency)
        tax_total = Money(stored.get("tax", Decimal(0)), currency)
        discount_total = Money(stored.get("discount", Decimal(0)), currency)
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
        subtotal=subtotal(total_excl, shipping_excl, currency),
        shipping_total=shipping_total,
        tax_total=tax_total,
        discount_total=discount_total,
        email=customer_obj.email if customer_obj else None,
        customer=customer_obj,
        lines=p.each("lines", lambda line: _line(line, currency)),
        shipping_address=ADDRESS.read_optional(p, "shipping_address"),
        billing_address=ADDRESS.read_optional(p, "billing_address"),
        transactions=p.each("transactions", lambda t: _transaction(t, currency, number)),
        refunds=p.each("refunds", lambda r: refund_in(r, currency)),
        tags=_tags(p),
        created_at=p.opt_timestamp("date_placed") or p.opt_timestamp("created_at"),
        updated_at=p.opt_timestamp("updated_at"),
        # Prices are price_incl_tax, unless storebridge made the order from a draft saying not.
        taxes_included=stored_flag if stored else True,
        # 2023-02-10 list rows hold lines but no refunds or transactions: without them the
        # order is incomplete, not one never paid or refunded.
        partial=any(key not in p.data for key in ORDER_LISTS),
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
        addresses=p.each("addresses", ADDRESS.read),
        tags=_tags(p),
        accepts_marketing=p.opt_bool("accepts_marketing"),
        created_at=p.opt_timestamp("date_joined"),
        raw=p.data,
    )


def _transaction(
    p: Payload, default_currency: str | None, order_ref: str | None = None
) -> Transaction:
    """``order_ref``: the order the transaction is embedded in (``TransactionObject`` has no
    ``order`` field; the store's listing has)."""
    currency = p.opt_currency("currency") or default_currency
    amount_at = p
    if currency is None:
        # ``report_values`` is the transaction in the store's reporting currency: its amount
        # goes with its currency, never the transaction's own amount with it.
        report = p.opt_obj("report_values")
        currency = report.opt_currency("currency") if report else None
        if report is not None and currency is not None:
            amount_at = report
    if currency is None:
        p.fail("transaction has no currency", "currency")
    kind_raw = p.opt_string("type")
    status_raw = p.opt_string("status")
    gateway = None
    details = p.opt_obj("payment_details")
    if details is not None:
        found = details.opt_obj("gateway")
        gateway = found.opt_string("name") if found is not None else None
    return Transaction(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        kind=TransactionKind.parse(kind_raw, TRANSACTION_KIND_ALIASES),
        kind_raw=kind_raw,
        status=TransactionStatus.parse(status_raw, TRANSACTION_STATUS_ALIASES),
        status_raw=status_raw,
        amount=amount_at.money("amount", currency),
        gateway=gateway or p.opt_string("payment_method"),
        order_ref=p.opt_string("order") or order_ref,
        created_at=p.opt_timestamp("date_created"),
        raw=p.data,
    )


def transaction(p: Payload) -> Transaction:
    return _transaction(p, None)


def refund_line(line: Payload, key: str, currency: str) -> RefundLine:
    return RefundLine(
        line_ref=str(line.integer(key)),
        quantity=line.integer("quantity"),
        restock=RestockType.parse(line.opt_string("restock_type")),
        amount=line.opt_money("amount_incl_tax", currency),
    )


def refund_in(p: Payload, currency: str) -> Refund:
    order_ref = p.ref("order_number")
    return Refund(
        platform=PLATFORM,
        ref=str(p.integer("id")),
        order_ref=order_ref,
        amount=p.money("total_refund_amount", currency),
        lines=p.each("refund_line_items", lambda line: refund_line(line, "line_item_id", currency)),
        note=p.opt_string("note"),
        transactions=p.each("transactions", lambda t: _transaction(t, currency, order_ref)),
        created_at=p.opt_timestamp("created_at"),
        raw=p.data,
    )


# Writing ---------------------------------------------------------------------------------
def wire_amount(value: Money, field: str, *, currency: str | None = None, digits: int = 10) -> str:
    """``value`` as the Admin API's decimal string, or ValidationError naming ``field``.

    The spec's pattern allows at most ``digits`` digits before the point and 2 after it.
    """
    validation.money(value, field, currency=currency)
    amount = value.amount
    if amount != amount.quantize(_CENT):
        raise ValidationError(
            f"{field} {value} has more than 2 decimals, which 29 Next does not store; round it",
            field=field,
        )
    if abs(amount) >= Decimal(10) ** digits:
        raise ValidationError(
            f"{field} {value} is too large for 29 Next (at most {digits} digits before the "
            "decimal point)",
            field=field,
        )
    return str(amount.quantize(_CENT))


_FIELDS_BY_WIRE = {
    "first_name": "first_name", "last_name": "last_name", "line1": "line1", "line2": "line2",
    "city": "line4", "region": "state", "postal_code": "postcode", "phone": "phone_number",
}  # fmt: skip
"""Model field -> wire field of the address fields with a length limit."""


def address_to_wire(
    value: Address, field: str = "address", *, of_order: bool = False
) -> dict[str, Any]:
    """``value`` as the Admin API's address object, or ValidationError naming the first
    field 29 Next requires and did not get (``line1``, ``city``, a two-letter ``country``).
    An order's address always carries ``first_name`` and ``last_name`` (blank when unknown),
    as the spec requires of shipping and billing addresses."""
    body = ADDRESS.write(value)
    if of_order:
        body.setdefault("first_name", "")
        body.setdefault("last_name", "")
    for name, key in REQUIRED_ADDRESS_FIELDS:
        if not str(body.get(key) or "").strip():
            raise ValidationError(
                f"{field}.{name} is required by 29 Next for an address", field=f"{field}.{name}"
            )
    for name, key in _FIELDS_BY_WIRE.items():
        text = body.get(key)
        if isinstance(text, str) and len(text) > ADDRESS_LENGTHS[key]:
            raise ValidationError(
                f"{field}.{name} is {len(text)} characters long; 29 Next takes at most "
                f"{ADDRESS_LENGTHS[key]}",
                field=f"{field}.{name}",
            )
    country = str(body["country"]).strip()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ValidationError(
            f"{field}.country must be a two-letter ISO 3166 code such as 'US' on 29 Next, "
            f"got {country!r}",
            field=f"{field}.country",
        )
    body["country"] = country.upper()
    return body


_PERSON = (
    ("email", "email"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("phone_number", "phone"),
    ("accepts_marketing", "accepts_marketing"),
)
"""(wire field, model field) of a user that drafts and updates set alike."""


def _person(value: CustomerDraft | CustomerUpdate) -> dict[str, Any]:
    found = ((wire, getattr(value, name)) for wire, name in _PERSON)
    return {wire: item for wire, item in found if item is not None}


def customer_body(draft: CustomerDraft) -> dict[str, Any]:
    """``POST /users/`` body (the draft's ``note`` is not sent: notes are their own resource)."""
    body: dict[str, Any] = {**_person(draft), "tags": list(draft.tags)}
    if draft.addresses:
        body["addresses"] = [
            address_to_wire(item, f"addresses[{i}]") for i, item in enumerate(draft.addresses)
        ]
    return body


def customer_update_body(update: CustomerUpdate) -> dict[str, Any]:
    """``PATCH /users/{id}/`` body: only the fields the update sets."""
    body = _person(update)
    if update.tags is not None:
        body["tags"] = list(update.tags)
    if not body:
        raise ValidationError(
            "the update changes nothing 29 Next stores (note is not sent); set a field",
            field="update",
        )
    return body


def order_body(draft: OrderDraft, variant_ids: list[int], *, legacy: bool) -> dict[str, Any]:
    """``POST /orders/`` body for ``draft`` whose lines are the variants ``variant_ids``.

    The create API has no tax or discount fields: what the draft's total holds beyond its
    lines and shipping (tax not included in the prices, minus discounts) travels in the
    shipping charge, so the created order's total is the draft's; the draft's own shipping,
    tax and discount are kept in ``metadata.storebridge_amounts`` and read back from there.
    """
    currency = draft.currency
    lines: list[dict[str, Any]] = []
    lines_total = Decimal(0)
    for index, (line, variant_id) in enumerate(zip(draft.lines, variant_ids, strict=True)):
        price = wire_amount(line.unit_price, f"lines[{index}].unit_price", currency=currency)
        entry: dict[str, Any] = {
            "product_id": variant_id,
            "quantity": line.quantity,
            "price": price,
        }
        if legacy:
            entry["currency"] = currency  # 2023-02-10 has the currency per line
        lines.append(entry)
        lines_total += Decimal(price) * line.quantity
    total = Decimal(wire_amount(draft.total, "total", currency=currency))
    shipping = Decimal(0)
    if draft.shipping_total is not None:
        shipping = Decimal(wire_amount(draft.shipping_total, "shipping_total", currency=currency))
    charge = total - lines_total
    if charge < 0:
        field = "discount_total" if draft.discount_total is not None else "total"
        raise ValidationError(
            f"{field}: the total {draft.total} is less than the lines ({lines_total} "
            f"{currency}), and 29 Next's order create has no discount field (discounts travel "
            "in the shipping charge, which cannot go below 0); fold the discount into the "
            "lines' unit prices",
            field=field,
        )
    body: dict[str, Any] = {
        "lines": lines,
        "tags": list(draft.tags),
        # Historical orders: the payment already happened elsewhere.
        "payment_method": "external",
        "payment_details": {"external_payment_method": "storebridge"},
        "send_receipt": False,
        "shipping_price": str(charge),
    }
    if not legacy:
        body["currency"] = currency
    recorded = {"shipping": shipping, "tax": _amount_or_zero(draft.tax_total),
                "discount": _amount_or_zero(draft.discount_total)}  # fmt: skip
    if charge != shipping or recorded["tax"] or recorded["discount"]:
        # Fixed-point text, every digit the draft has, and whether its prices include tax.
        kept: dict[str, Any] = {key: format(v, "f") for key, v in recorded.items()}
        body["metadata"] = {
            AMOUNTS_METADATA_KEY: _json_text({**kept, "taxes_included": draft.taxes_included})
        }
    if draft.created_at is not None:
        body["date_placed"] = draft.created_at.isoformat()
    for name in ("shipping_address", "billing_address"):
        if (given := getattr(draft, name)) is not None:
            body[name] = address_to_wire(given, name, of_order=True)
    return body


def _amount_or_zero(value: Money | None) -> Decimal:
    return Decimal(0) if value is None else value.amount  # ours: not bound to 2 decimals


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


_CONVERTERS: dict[str, cattrs.Converter] = {}
"""One converter per list of variants (the versions differ in nothing else read here)."""


def structure(payload: Payload, cls: type[T], api_version: str | None = None) -> T:
    """``payload`` as a ``cls`` model object as ``api_version`` (None: the default version)
    renders it; any bad value is a PayloadError with its path."""
    key = variants_key(api_version)
    found = _CONVERTERS.get(key)
    if found is None:
        # Built on first use: its hooks live in modules that import this one.
        found = _CONVERTERS[key] = make_converter(api_version)
    return found.structure(payload, cls)
