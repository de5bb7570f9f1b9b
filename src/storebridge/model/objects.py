"""The domain model: what storebridge returns, whatever the platform.

Conventions:

* ``ref`` is the platform's own key as a string (29 Next order *number*, SHOPLINE id, ...).
* money is :class:`~storebridge.model.money.Money`, never a float.
* datetimes are timezone-aware; building an object with a naive datetime raises ``ValueError``.
* statuses are open enums; the raw platform value sits next to each one (``status_raw``...).
* ``platform`` names the source platform and ``raw`` keeps its payload untouched, as the
  escape hatch for fields the model does not cover. ``raw`` takes no part in equality.

Objects are frozen; use :func:`attrs.evolve` to derive a changed copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

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


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{attribute.name} must be timezone-aware, got naive {value!r}")


def _raw() -> Any:
    return attrs.field(factory=dict, eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Address:
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


@attrs.frozen(kw_only=True)
class Customer:
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


@attrs.frozen(kw_only=True)
class CustomerDraft:
    """A customer to create."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = ()
    tags: tuple[str, ...] = ()
    note: str | None = None
    accepts_marketing: bool | None = None


@attrs.frozen(kw_only=True)
class CustomerUpdate:
    """Changes to a customer; fields left as ``None`` are not sent."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    tags: tuple[str, ...] | None = None
    note: str | None = None
    accepts_marketing: bool | None = None


@attrs.frozen(kw_only=True)
class Variant:
    platform: str
    ref: str
    sku: str | None = None
    title: str | None = None
    price: Money | None = None
    stock: int | None = None
    """Units available; ``None`` when the platform does not track stock for it."""
    product_ref: str | None = None
    raw: Mapping[str, Any] = _raw()


@attrs.frozen(kw_only=True)
class Product:
    platform: str
    ref: str
    title: str
    description: str | None = None
    variants: tuple[Variant, ...] = ()
    tags: tuple[str, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()


@attrs.frozen(kw_only=True)
class VariantDraft:
    sku: str
    price: Money
    title: str | None = None
    stock: int | None = None


@attrs.frozen(kw_only=True)
class ProductDraft:
    """A product to create."""

    title: str
    variants: tuple[VariantDraft, ...]
    description: str | None = None
    tags: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class OrderLine:
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


@attrs.frozen(kw_only=True)
class Transaction:
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


@attrs.frozen(kw_only=True)
class RefundLine:
    """A line in a refund: which order line, how many units, and what happens to stock."""

    line_ref: str
    quantity: int
    restock: RestockType = RestockType.NO_RESTOCK
    amount: Money | None = None


@attrs.frozen(kw_only=True)
class TransactionAllocation:
    """How much of a refund goes back through one payment transaction."""

    transaction_ref: str
    amount: Money
    gateway: str | None = None
    maximum: Money | None = None


@attrs.frozen(kw_only=True)
class RefundQuote:
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


@attrs.frozen(kw_only=True)
class Refund:
    platform: str
    ref: str
    order_ref: str
    amount: Money
    lines: tuple[RefundLine, ...] = ()
    note: str | None = None
    transactions: tuple[Transaction, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()


@attrs.frozen(kw_only=True)
class FulfillmentOrderLine:
    ref: str
    line_ref: str | None
    quantity: int
    sku: str | None = None


@attrs.frozen(kw_only=True)
class FulfillmentOrder:
    platform: str
    ref: str
    order_ref: str
    status: FulfillmentOrderStatus
    status_raw: str | None = None
    location_ref: str | None = None
    lines: tuple[FulfillmentOrderLine, ...] = ()
    raw: Mapping[str, Any] = _raw()


@attrs.frozen(kw_only=True)
class Fulfillment:
    platform: str
    ref: str
    order_ref: str
    status: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    raw: Mapping[str, Any] = _raw()


@attrs.frozen(kw_only=True)
class Order:
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


@attrs.frozen(kw_only=True)
class OrderLineDraft:
    title: str
    quantity: int
    unit_price: Money
    sku: str | None = None
    variant_ref: str | None = None
    product_ref: str | None = None


@attrs.frozen(kw_only=True)
class OrderDraft:
    """A (usually historical) order to create on a target store, e.g. during a migration."""

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
