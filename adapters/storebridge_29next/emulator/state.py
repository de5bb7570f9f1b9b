"""The emulated store's records and the indexes that keep every request page-sized.

Records are kept in an internal shape and rendered per API version by the resource
modules. Orders are kept sorted by placement (the order lists are read in), users, products
and transactions by id; lookups that would otherwise scan the store (a variant by id, a
user's orders, an order's fulfillment orders, users by email) are dicts kept up to date as
records are added.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from storebridge.sandbox import Listings, SortedIndex
from storebridge_29next.emulator.wire import not_found

__all__ = [
    "FulfillmentOrderRecord",
    "Line",
    "OrderRecord",
    "StoreState",
    "TransactionRecord",
    "add_fulfillment_order",
]


@attrs.define
class Line:
    id: int
    product_id: int
    variant_id: int
    sku: str
    product_title: str
    variant_title: str
    price: Decimal
    quantity: int
    current_quantity: int
    fulfillable_quantity: int
    requires_shipping: bool
    refunded_quantity: int = 0
    stockrecord_id: int = 0


@attrs.define
class OrderRecord:
    number: str
    user_id: int
    currency: str
    lines: list[Line]
    shipping: Decimal
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    date_placed: datetime
    created_at: datetime
    updated_at: datetime
    status: str = "open"
    payment_status: str = "paid"
    fulfillment_status: str = "unfulfilled"
    tags: list[str] = attrs.field(factory=list)
    metadata: dict[str, Any] | None = None
    source: str = "checkout"
    transaction_ids: list[int] = attrs.field(factory=list)
    refunds: list[dict[str, Any]] = attrs.field(factory=list)
    shipping_refunded: Decimal = Decimal("0")
    cancel_reason: str | None = None

    @property
    def lines_total(self) -> Decimal:
        return sum((line.price * line.current_quantity for line in self.lines), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.lines_total + self.shipping


@attrs.define
class TransactionRecord:
    id: int
    order: str | None
    user_id: int
    type: str
    amount: Decimal
    currency: str
    date_created: datetime
    status: str = "succeeded"
    available_for_refund: Decimal = Decimal("0")
    parent_id: int | None = None
    gateway_id: int = 1
    gateway_name: str = "Sandbox Gateway"
    is_external: bool = False
    voided: bool = False

    @property
    def refundable(self) -> Decimal:
        """What is left to refund (an authorization voids in full, never in part, once)."""
        if self.status != "succeeded":
            return Decimal(0)
        if self.type == "debit":
            return self.available_for_refund
        if self.type == "authorize" and not self.voided:
            return self.amount
        return Decimal(0)


@attrs.define
class FulfillmentOrderRecord:
    id: int
    order_number: str
    location_id: int
    line_items: list[dict[str, Any]]
    """``{"id", "order_line_id", "quantity"}``."""
    created_at: datetime
    updated_at: datetime
    status: str = "open"
    request_status: str = "pending"
    holds: list[dict[str, Any]] = attrs.field(factory=list)
    merchant_requests: list[dict[str, Any]] = attrs.field(factory=list)


def _placed(order: OrderRecord) -> tuple[datetime, str]:
    return (order.date_placed, order.number)


def _by_id(record: dict[str, Any]) -> int:
    return int(record["id"])


class StoreState:
    """Everything the emulated store holds; ids come from per-kind counters.

    Add records through the ``add_*`` methods so the indexes stay right.
    """

    def __init__(self) -> None:
        self.locations: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.transactions: dict[int, TransactionRecord] = {}
        self.fulfillment_orders: dict[int, FulfillmentOrderRecord] = {}
        self.counters: dict[str, int] = {}
        self.orders_by_placed: SortedIndex[OrderRecord] = SortedIndex(
            key=_placed, ident=lambda o: o.number
        )
        self.users_by_id: SortedIndex[dict[str, Any]] = SortedIndex(key=_by_id, ident=_by_id)
        self.products_by_id: SortedIndex[dict[str, Any]] = SortedIndex(key=_by_id, ident=_by_id)
        self.transactions_by_id: SortedIndex[TransactionRecord] = SortedIndex(
            key=lambda t: t.id, ident=lambda t: t.id
        )
        self.orders_of_user: dict[int, list[str]] = {}
        self.fulfillment_of_order: dict[str, list[int]] = {}
        self.emails: dict[str, set[int]] = {}
        """Lower-cased email -> ids of the users with it."""
        self.variants: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.skus: set[str] = set()
        self.offset_orders = 0
        """Orders placed with a UTC offset other than zero: date filters then need care."""
        self.listings = Listings()
        self.revision: Callable[[], int] = lambda: 0
        """The emulator's store revision (set by the emulator) for kept list answers."""

    def next_id(self, kind: str, start: int = 1000) -> int:
        value = self.counters.get(kind, start)
        self.counters[kind] = value + 1
        return value

    def order(self, number: str) -> OrderRecord:
        """The order, or the API's 404."""
        record = self.orders.get(number)
        if record is None:
            raise not_found()
        return record

    def variant(self, variant_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        return self.variants.get(variant_id)

    # Adding records --------------------------------------------------------------------
    def add_user(self, user: dict[str, Any]) -> None:
        self.users[user["id"]] = user
        self.users_by_id.add(user)
        self.index_email(user, None)

    def index_email(self, user: dict[str, Any], previous: Any) -> None:
        """Keep the email lookup right after ``user``'s email changed from ``previous``."""
        if isinstance(previous, str):
            self.emails.get(previous.lower(), set()).discard(user["id"])
        email = user.get("email")
        if isinstance(email, str) and email:
            self.emails.setdefault(email.lower(), set()).add(user["id"])

    def user_with_email(self, email: str, other_than: int | None = None) -> int | None:
        """The id of a user with ``email`` (any case), other than ``other_than``."""
        for uid in sorted(self.emails.get(email.lower(), ())):
            user = self.users.get(uid)
            if uid != other_than and user and str(user["email"]).lower() == email.lower():
                return uid
        return None

    def add_product(self, product: dict[str, Any]) -> None:
        self.products[product["id"]] = product
        self.products_by_id.add(product)
        for variant in product["variants"]:
            self.variants[variant["id"]] = (product, variant)
            if variant.get("sku"):
                self.skus.add(variant["sku"])

    def add_order(self, order: OrderRecord) -> None:
        self.orders[order.number] = order
        self.orders_by_placed.add(order)
        self.orders_of_user.setdefault(order.user_id, []).append(order.number)
        if order.date_placed.utcoffset() != timedelta(0):
            self.offset_orders += 1

    def add_transaction(self, txn: TransactionRecord) -> None:
        self.transactions[txn.id] = txn
        self.transactions_by_id.add(txn)

    def add_fulfillment_order_record(self, fo: FulfillmentOrderRecord) -> None:
        self.fulfillment_orders[fo.id] = fo
        self.fulfillment_of_order.setdefault(fo.order_number, []).append(fo.id)

    def fulfillment_orders_of(self, number: str) -> list[FulfillmentOrderRecord]:
        ids = self.fulfillment_of_order.get(number, [])
        return [self.fulfillment_orders[i] for i in ids if i in self.fulfillment_orders]

    def orders_of(self, user_id: int) -> list[OrderRecord]:
        numbers = self.orders_of_user.get(user_id, [])
        return [self.orders[n] for n in numbers if n in self.orders]


def add_fulfillment_order(state: StoreState, record: OrderRecord, fulfilled: bool) -> None:
    """The fulfillment order a new order gets at location 1 (shippable lines only)."""
    shippable = [line for line in record.lines if line.requires_shipping]
    if not shippable:
        return
    fo = FulfillmentOrderRecord(
        id=state.next_id("fulfillment_order", 9000),
        order_number=record.number,
        location_id=1,
        line_items=[
            {
                "id": state.next_id("fulfillment_order_line", 9500),
                "order_line_id": line.id,
                "quantity": line.quantity,
            }
            for line in shippable
        ],
        created_at=record.date_placed,
        updated_at=record.updated_at,
        status="closed" if fulfilled else "open",
        request_status="closed" if fulfilled else "pending",
    )
    state.add_fulfillment_order_record(fo)
