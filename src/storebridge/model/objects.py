"""The domain model: what storebridge returns, whatever the platform.

Conventions:

* ``ref`` is the platform's own key as a string (29 Next order *number*, SHOPLINE id, ...).
* money is :class:`~storebridge.model.money.Money`, never a float.
* datetimes are timezone-aware; building an object with a naive datetime raises
  :class:`~storebridge.errors.ValidationError` (a ``ValueError``).
* statuses are open enums; the raw platform value sits next to each one (``status_raw``...).
* ``platform`` names the source platform and ``raw`` keeps its payload untouched, as the
  escape hatch for fields the model does not cover. ``raw`` takes no part in equality and
  never appears in a repr; reprs are one short line (``Order(ref='100123', ...)``).
* every object has ``to_dict()``, ``to_json()`` and ``from_dict()``.

Two kinds of object live here. Objects read from a platform (``Order``, ``Customer``...)
accept what platforms really send. Inputs (the ``*Draft`` classes, ``CustomerUpdate``,
``RefundLine``, ``Address``) are checked at construction with the rules of
:mod:`storebridge.validation` and raise ``ValidationError`` naming the field and the fix,
never a bare ``TypeError``; ``Address`` and ``RefundLine`` skip the checks when a converter
builds them from a platform's answer (see :func:`storebridge.validation.platform_data`).

Objects are frozen; use :func:`attrs.evolve` to derive a changed copy (inputs are checked
again).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from storebridge import validation as check
from storebridge.errors import ValidationError
from storebridge.model._field_rules import _aware, _input, _opt_text, _raw, _short_repr, _tags
from storebridge.model.base import ModelObject
from storebridge.model.money import Money
from storebridge.model.status import (
    FinancialStatus,
    FulfillmentOrderStatus,
    FulfillmentStatus,
    OrderStatus,
    RestockType,
    TransactionKind,
    TransactionStatus,
)


@_input
@attrs.frozen(kw_only=True)
class Address(ModelObject):
    """A postal address. Built by you, every field is single-line text (no control
    characters); read from a platform, it holds what the platform sent."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2 code where the platform gives one, else the platform's text."""
    phone: str | None = None

    def __attrs_post_init__(self) -> None:
        if check.checking_input():
            check.address(self, "")


@attrs.frozen(kw_only=True, repr=False)
class Customer(ModelObject):
    """A customer read from a platform."""

    platform: str
    ref: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = ()
    tags: tuple[str, ...] = ()
    note: str | None = None
    accepts_marketing: bool | None = None
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, email=self.email, platform=self.platform)


def _person(obj: CustomerDraft | CustomerUpdate) -> None:
    _opt_text(obj.first_name, "first_name")
    _opt_text(obj.last_name, "last_name")
    _opt_text(obj.phone, "phone")
    _opt_text(obj.note, "note", multiline=True)
    check.flag(obj.accepts_marketing, "accepts_marketing")


@_input
@attrs.frozen(kw_only=True)
class CustomerDraft(ModelObject):
    """A customer to create. ``email`` is required and must be an e-mail address."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = ()
    tags: tuple[str, ...] = ()
    note: str | None = None
    accepts_marketing: bool | None = None

    def __attrs_post_init__(self) -> None:
        check.email(self.email, "email")
        _person(self)
        for index, address in enumerate(check.items(self.addresses, "addresses", Address)):
            check.address(address, f"addresses[{index}]")
        _tags(self.tags)


@_input
@attrs.frozen(kw_only=True)
class CustomerUpdate(ModelObject):
    """Changes to a customer; fields left as ``None`` are not sent."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    tags: tuple[str, ...] | None = None
    note: str | None = None
    accepts_marketing: bool | None = None

    def __attrs_post_init__(self) -> None:
        if self.email is not None:
            check.email(self.email, "email")
        _person(self)
        if self.tags is not None:
            _tags(self.tags)


@attrs.frozen(kw_only=True, repr=False)
class Variant(ModelObject):
    """A purchasable variant of a product, read from a platform."""

    platform: str
    ref: str
    sku: str | None = None
    title: str | None = None
    price: Money | None = None
    """What a buyer pays for it now (its sale price while it is on sale)."""
    stock: int | None = None
    """Units available; ``None`` when the platform does not track stock for it."""
    product_ref: str | None = None
    compare_at_price: Money | None = None
    """The regular price a sale price is compared with: SHOPLINE's ``compare_at_price``, 29
    Next's ``retail`` price, 24Nettbutikk's ``price`` while a lower ``sales_price`` is what
    the variant sells at. None: no such price (not on sale, or the platform has none)."""
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, sku=self.sku, price=self.price, stock=self.stock,
                           platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Product(ModelObject):
    """A product read from a platform."""

    platform: str
    ref: str
    title: str
    description: str | None = None
    variants: tuple[Variant, ...] = ()
    tags: tuple[str, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    partial: bool = False
    """True when list rows omit detail (29 Next: the description); ``detail=True`` fills it."""
    active: bool | None = None
    """Whether buyers see it and can buy it: 24Nettbutikk's ``active`` flag, SHOPLINE's
    ``status`` (``active``; ``draft`` and ``archived`` are hidden, the value itself stays in
    ``raw``), 29 Next's ``is_public``. None: the platform does not say."""
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, title=self.title, variants=len(self.variants),
                           platform=self.platform)  # fmt: skip


@_input
@attrs.frozen(kw_only=True)
class VariantDraft(ModelObject):
    """A variant to create: a non-blank SKU, a price that is not negative and has no more
    decimals than its currency, and a stock level within
    :data:`~storebridge.validation.STOCK_MIN`..:data:`~storebridge.validation.STOCK_MAX`
    (``None``: not tracked). ``price`` is what a buyer pays; ``compare_at_price``, when the
    variant is on sale, its regular price in the same currency (see
    :attr:`Variant.compare_at_price`)."""

    sku: str
    price: Money
    title: str | None = None
    stock: int | None = None
    compare_at_price: Money | None = None

    def __attrs_post_init__(self) -> None:
        check.text(self.sku, "sku", required=True)
        check.money(self.price, "price")
        if self.compare_at_price is not None:
            check.money(self.compare_at_price, "compare_at_price", currency=self.price.currency)
        _opt_text(self.title, "title")
        if self.stock is not None:
            check.stock(self.stock, "stock")


@_input
@attrs.frozen(kw_only=True)
class ProductDraft(ModelObject):
    """A product to create: a non-blank title and its variants. ``description`` may span
    lines (HTML on most platforms). ``active=False`` creates it hidden from buyers (a
    SHOPLINE draft, a 29 Next product that is not public; see :attr:`Product.active`)."""

    title: str
    variants: tuple[VariantDraft, ...]
    description: str | None = None
    tags: tuple[str, ...] = ()
    active: bool = True

    def __attrs_post_init__(self) -> None:
        check.text(self.title, "title", required=True)
        if check.flag(self.active, "active") is None:
            raise ValidationError("active must be True or False, not None", field="active")
        check.items(self.variants, "variants", VariantDraft)
        _opt_text(self.description, "description", multiline=True)
        _tags(self.tags)


@attrs.frozen(kw_only=True, repr=False)
class OrderLine(ModelObject):
    """A line of an order read from a platform."""

    platform: str
    ref: str
    sku: str | None
    title: str
    quantity: int
    unit_price: Money
    total: Money | None = None
    product_ref: str | None = None
    variant_ref: str | None = None
    requires_shipping: bool | None = None
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNKNOWN
    fulfillment_status_raw: str | None = None
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, sku=self.sku, quantity=self.quantity,
                           unit_price=self.unit_price, platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Transaction(ModelObject):
    """A payment transaction (sale, capture, refund...) read from a platform."""

    platform: str
    ref: str
    kind: TransactionKind
    status: TransactionStatus
    amount: Money
    kind_raw: str | None = None
    status_raw: str | None = None
    gateway: str | None = None
    order_ref: str | None = None
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, kind=self.kind, status=self.status,
                           amount=self.amount, platform=self.platform)  # fmt: skip


@_input
@attrs.frozen(kw_only=True)
class RefundLine(ModelObject):
    """A line in a refund: which order line, how many units, and what happens to stock.

    Built by you: ``line_ref`` non-blank, ``quantity`` an int of at least 1, ``restock`` a
    :class:`RestockType`, ``amount`` (when given) Money that is not negative. Adapters
    also check the quantity against what is refundable. ``amount`` is what a quote's lines
    carry; asked for in ``refunds.calculate``, an amount the quote does not return for
    the line's units is refused (``ValidationError``), never dropped: SHOPLINE and 29 Next
    refund whole units at their own price.
    """

    line_ref: str
    quantity: int
    restock: RestockType = RestockType.NO_RESTOCK
    amount: Money | None = None

    def __attrs_post_init__(self) -> None:
        if not check.checking_input():
            return
        check.text(self.line_ref, "line_ref", required=True)
        check.quantity(self.quantity, "quantity")
        check.member(self.restock, "restock", RestockType)
        if self.amount is not None:
            check.money(self.amount, "amount")


@attrs.frozen(kw_only=True)
class TransactionAllocation(ModelObject):
    """How much of a refund goes back through one payment transaction."""

    transaction_ref: str
    amount: Money
    gateway: str | None = None
    maximum: Money | None = None


@attrs.frozen(kw_only=True, repr=False)
class RefundQuote(ModelObject):
    """The result of a refund calculation: what ``refunds.create`` needs to issue it."""

    platform: str
    order_ref: str
    lines: tuple[RefundLine, ...]
    total: Money
    shipping: Money | None = None
    subtotal: Money | None = None
    tax: Money | None = None
    allocations: tuple[TransactionAllocation, ...] = ()
    raw: Mapping[str, Any] = _raw()
    idempotency_key: str = attrs.field(factory=lambda: uuid.uuid4().hex, eq=False)
    """Makes the quote single-use: ``refunds.create`` refunds it once, however often it is
    called (see :mod:`storebridge.idempotency`). Copies made with ``attrs.evolve`` keep it."""

    def __repr__(self) -> str:
        return _short_repr(self, order_ref=self.order_ref, total=self.total,
                           lines=len(self.lines), platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Refund(ModelObject):
    """A refund read from a platform."""

    platform: str
    ref: str
    order_ref: str
    amount: Money
    lines: tuple[RefundLine, ...] = ()
    note: str | None = None
    transactions: tuple[Transaction, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, order_ref=self.order_ref, amount=self.amount,
                           lines=len(self.lines), platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True)
class FulfillmentOrderLine(ModelObject):
    """A line of a fulfillment order: which order line and how many units."""

    ref: str
    line_ref: str | None
    quantity: int
    sku: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class FulfillmentOrder(ModelObject):
    """What a location is asked to ship for an order, read from a platform."""

    platform: str
    ref: str
    order_ref: str
    status: FulfillmentOrderStatus
    status_raw: str | None = None
    location_ref: str | None = None
    lines: tuple[FulfillmentOrderLine, ...] = ()
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, order_ref=self.order_ref, status=self.status,
                           lines=len(self.lines), platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Fulfillment(ModelObject):
    """A shipment of (some of) an order's lines, read from a platform."""

    platform: str
    ref: str
    order_ref: str
    status: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, order_ref=self.order_ref, status=self.status,
                           platform=self.platform)  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Order(ModelObject):
    """An order read from a platform."""

    platform: str
    ref: str
    number: str
    status: OrderStatus
    currency: str
    total: Money
    """What the order amounts to now: after refunds, where the platform reports them."""
    financial_status: FinancialStatus = FinancialStatus.UNKNOWN
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNKNOWN
    status_raw: str | None = None
    financial_status_raw: str | None = None
    fulfillment_status_raw: str | None = None
    email: str | None = None
    subtotal: Money | None = None
    shipping_total: Money | None = None
    tax_total: Money | None = None
    discount_total: Money | None = None
    lines: tuple[OrderLine, ...] = ()
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    refunds: tuple[Refund, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    tags: tuple[str, ...] = ()
    note: str | None = None
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    taxes_included: bool | None = None
    """True when line prices already include tax (gross prices), None when unknown."""
    partial: bool = False
    """True when the platform's list rows omit detail (lines...); ``orders.get`` fills it."""
    raw: Mapping[str, Any] = _raw()

    def __repr__(self) -> str:
        return _short_repr(self, ref=self.ref, number=self.number, total=self.total,
                           lines=len(self.lines), platform=self.platform)  # fmt: skip


@_input
@attrs.frozen(kw_only=True)
class OrderLineDraft(ModelObject):
    """A line of an order to create: ``quantity`` an int of at least 1, ``unit_price``
    Money that is not negative (a free line is 0)."""

    title: str
    quantity: int
    unit_price: Money
    sku: str | None = None
    variant_ref: str | None = None
    product_ref: str | None = None

    def __attrs_post_init__(self) -> None:
        check.text(self.title, "title")
        check.quantity(self.quantity, "quantity")
        check.money(self.unit_price, "unit_price")
        _opt_text(self.sku, "sku")
        _opt_text(self.variant_ref, "variant_ref")
        _opt_text(self.product_ref, "product_ref")


_ORDER_AMOUNTS = ("total", "subtotal", "shipping_total", "tax_total", "discount_total")


@_input
@attrs.frozen(kw_only=True)
class OrderDraft(ModelObject):
    """A (usually historical) order to create on a target store, e.g. during a migration.

    Every amount (lines included) is Money in ``currency`` (stored upper-cased), not
    negative (``discount_total`` is a positive amount taken off), with no more decimals
    than the currency has; ``created_at`` is timezone-aware.
    """

    currency: str
    lines: tuple[OrderLineDraft, ...]
    total: Money
    number: str | None = None
    email: str | None = None
    customer_ref: str | None = None
    subtotal: Money | None = None
    shipping_total: Money | None = None
    tax_total: Money | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    discount_total: Money | None = None
    taxes_included: bool | None = None
    """Line prices already include tax: the target must not add tax on top."""
    financial_status: FinancialStatus = FinancialStatus.PAID
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    tags: tuple[str, ...] = ()
    note: str | None = None

    def __attrs_post_init__(self) -> None:
        code = check.currency(self.currency)
        object.__setattr__(self, "currency", code)  # "usd" is stored as "USD"
        for index, line in enumerate(check.items(self.lines, "lines", OrderLineDraft)):
            check.money(line.unit_price, f"lines[{index}].unit_price", currency=code)
        for name in _ORDER_AMOUNTS:
            amount = getattr(self, name)
            if amount is not None or name == "total":
                check.money(amount, name, currency=code)
        _opt_text(self.number, "number")
        if self.email is not None:
            check.email(self.email, "email")
        _opt_text(self.customer_ref, "customer_ref")
        for name in ("shipping_address", "billing_address"):
            if getattr(self, name) is not None:
                check.address(getattr(self, name), name)
        check.flag(self.taxes_included, "taxes_included")
        check.member(self.financial_status, "financial_status", FinancialStatus)
        _tags(self.tags)
        _opt_text(self.note, "note", multiline=True)


__all__ = [
    "Address",
    "Customer",
    "CustomerDraft",
    "CustomerUpdate",
    "Fulfillment",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "Order",
    "OrderDraft",
    "OrderLine",
    "OrderLineDraft",
    "Product",
    "ProductDraft",
    "Refund",
    "RefundLine",
    "RefundQuote",
    "Transaction",
    "TransactionAllocation",
    "Variant",
    "VariantDraft",
]
