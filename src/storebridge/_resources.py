"""The resources of a store (``store.orders``, ``.customers`` ...), each operation declared once.

Each method checks the capability and its arguments (raising before any request) and
returns the adapter's flow; :mod:`storebridge._operations` binds it to the store's runner,
so on a :class:`~storebridge.Store` it returns results and on an
:class:`~storebridge.AsyncStore` awaitables and async iterators of the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from difflib import get_close_matches
from typing import Any

import attrs

from storebridge._answer_checks import (
    as_asked,
    holding,
    new_customer,
    new_order,
    new_product,
    ref_of,
)
from storebridge._operations import M, Resource, Runner, listing, operation
from storebridge._policy import StoreOptions
from storebridge.adapter import Adapter, ListQuery, OrderQuery
from storebridge.errors import ConfigurationError, ValidationError
from storebridge.flow import Flow, ListFlow, past_caches
from storebridge.idempotency import default_store, single_use_refund
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Money,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    Transaction,
)
from storebridge.model.changes import TOPICS, WebhookSubscription
from storebridge.refs import check_ref
from storebridge.settings import check_base_url
from storebridge.validation import describe


def _check_type(value: object, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise ValidationError(
            f"{what} must be a {cls.__name__}, got {type(value).__name__}", field=what
        )


_CORE_FILTERS = {
    "orders": (
        "updated_since", "updated_until", "created_since", "created_until", "status",
        "financial_status", "fulfillment_status", "page_size", "detail",
    ),
    "customers": ("updated_since", "updated_until", "created_since", "created_until", "page_size"),
    "products": (
        "updated_since", "updated_until", "created_since", "created_until", "page_size", "detail",
    ),
}  # fmt: skip


def _check_detail(detail: object) -> None:
    if not isinstance(detail, bool):  # "no" would read as True
        raise ValidationError(
            f"detail must be True or False, got {type(detail).__name__} {detail!r}",
            field="detail",
        )


def _blank(value: Any) -> bool:
    """None, an empty or blank string, or a collection empty or holding one: a platform
    reads each as no filter (``email=""`` lists every customer) or matches nothing."""
    if isinstance(value, list | tuple | set | frozenset):
        return not value or any(_blank(item) for item in value)
    return value is None or (isinstance(value, str) and not value.strip())


def _platform_filters(adapter: Adapter, resource: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` once every name in it is a filter the platform's listing takes (when the
    adapter declares them: see :attr:`Adapter.list_filters`); else a ValidationError naming
    the filter, the likely one meant and the ones there are."""
    declared = type(adapter).list_filters
    if declared is None or not extra:
        return extra
    known = declared.get(resource, frozenset())
    for name, value in extra.items():
        if name in known:
            if _blank(value):
                # Sent as nothing, it would list every record: the caller meant some.
                raise ValidationError(
                    f"filter {name!r} is {value!r}: give it a value, or leave it out to list "
                    f"every {resource[:-1]}",
                    field=name,
                )
            continue
        meant = get_close_matches(name, [*_CORE_FILTERS[resource], *known], n=1, cutoff=0.6)
        hint = f" (did you mean {meant[0]}?)" if meant else ""
        takes = (
            f"its platform filters are {', '.join(sorted(known))}"
            if known
            else "it takes no platform filters"
        )
        raise ValidationError(
            f"{adapter.display_name} {resource}.list has no filter {name!r}{hint}; the "
            f"filters every platform has are {', '.join(_CORE_FILTERS[resource])}, and "
            f"{takes}",
            field=name,
        )
    return extra


class Orders(Resource[M]):
    """``store.orders``: read, create, cancel and re-address orders."""

    @listing
    def list(
        self,
        /,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        created_since: datetime | None = None,
        created_until: datetime | None = None,
        status: str | None = None,
        financial_status: str | None = None,
        fulfillment_status: str | None = None,
        page_size: int | None = None,
        detail: bool = False,
        **extra: Any,
    ) -> ListFlow[Order]:
        """Every matching order exactly once, fetched page by page as you iterate.

        ``detail=True`` returns complete orders (with lines) on platforms whose list rows are
        slim, at the cost of one extra request per order (sent concurrently). A listing never
        ends early in silence: a page that cannot be read or does not move forward is asked
        for again and then raises :class:`~storebridge.errors.PaginationError`.
        """
        self._require("orders.list")
        _check_detail(detail)
        query = OrderQuery(
            updated_since=updated_since, updated_until=updated_until,
            created_since=created_since, created_until=created_until, status=status,
            financial_status=financial_status, fulfillment_status=fulfillment_status,
            page_size=page_size, detail=detail,
            extra=_platform_filters(self._adapter, "orders", dict(extra)),
        )  # fmt: skip
        return self._adapter.list_orders(query)

    @operation
    def get(self, ref: str) -> Flow[Order]:
        """The order whose platform key is ``ref``."""
        self._require("orders.get")
        return self._adapter.get_order(check_ref(ref))

    @operation
    def create(self, draft: OrderDraft) -> Flow[Order]:
        """Create an order (usually a historical one, e.g. during a migration)."""
        self._require("orders.create")
        _check_type(draft, OrderDraft, "draft")
        self._kept(draft)
        return holding(self._adapter.create_order(draft), "orders.create", new_order(draft))

    @operation
    def cancel(
        self,
        ref: str,
        *,
        reason: str | None = None,
        refund: bool = False,
        notify: bool = False,
        restock: bool | None = None,
    ) -> Flow[Order]:
        """Cancel the order; ``refund=True`` also refunds what was paid, where the platform can.

        ``restock=False`` leaves the order's units out of stock (an order that never took
        stock, such as a migrated copy), ``True`` puts them back; None (the default) leaves
        it to the platform. A platform with no such choice refuses either with a
        ValidationError.
        """
        self._require("orders.cancel")
        # Strictly booleans: ``refund="no"`` is truthy, and refunding is not undone.
        for name, value in (("refund", refund), ("notify", notify)):
            if not isinstance(value, bool):
                raise ValidationError(
                    f"{name} must be True or False, got {describe(value)}", field=name
                )
        if restock is not None and not isinstance(restock, bool):
            raise ValidationError(
                f"restock must be True, False or None, got {describe(restock)}", field="restock"
            )
        # Passed on only when chosen: adapters written before it keep working.
        chosen = {} if restock is None else {"restock": restock}
        ref = check_ref(ref)
        flow = self._adapter.cancel_order(
            ref, reason=reason, refund=refund, notify=notify, **chosen
        )
        return holding(flow, "orders.cancel", ref_of(ref))

    @operation
    def update_shipping_address(self, ref: str, address: Address) -> Flow[Order]:
        """Replace the order's shipping address."""
        self._require("orders.update_shipping_address")
        _check_type(address, Address, "address")
        if all(getattr(address, name) in (None, "") for name in attrs.fields_dict(Address)):
            # Sent, it changes nothing and comes back as a success.
            raise ValidationError(
                "address is empty: give at least one field (an address is replaced by the "
                "fields given)",
                field="address",
            )
        self._kept(address, "address")
        ref = check_ref(ref)
        flow = self._adapter.update_shipping_address(ref, address)
        return holding(flow, "orders.update_shipping_address", ref_of(ref))


class Customers(Resource[M]):
    """``store.customers``: read, create and update customers."""

    @listing
    def list(
        self,
        /,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        created_since: datetime | None = None,
        created_until: datetime | None = None,
        page_size: int | None = None,
        **extra: Any,
    ) -> ListFlow[Customer]:
        """Every matching customer exactly once, fetched page by page as you iterate.

        ``created_since``/``created_until`` filter by creation time (bounds included); a
        platform that keeps no creation time for customers refuses them with a ValidationError.
        """
        self._require("customers.list")
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until,
            created_since=created_since, created_until=created_until, page_size=page_size,
            extra=_platform_filters(self._adapter, "customers", dict(extra)),
        )  # fmt: skip
        return self._adapter.list_customers(query)

    @operation
    def get(self, ref: str) -> Flow[Customer]:
        """The customer whose platform key is ``ref``."""
        self._require("customers.get")
        return self._adapter.get_customer(check_ref(ref))

    @operation
    def create(self, draft: CustomerDraft) -> Flow[Customer]:
        """Create a customer."""
        self._require("customers.create")
        _check_type(draft, CustomerDraft, "draft")
        if "@" not in draft.email:
            raise ValidationError(f"email {draft.email!r} is not an e-mail address", field="email")
        self._kept(draft)
        return holding(
            self._adapter.create_customer(draft), "customers.create", new_customer(draft)
        )

    @operation
    def update(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        """Change the fields of ``update`` that are not None."""
        self._require("customers.update")
        _check_type(update, CustomerUpdate, "update")
        self._kept(update)
        ref = check_ref(ref)
        return holding(self._adapter.update_customer(ref, update), "customers.update", ref_of(ref))


class Products(Resource[M]):
    """``store.products``: read and create products."""

    @listing
    def list(
        self,
        /,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        created_since: datetime | None = None,
        created_until: datetime | None = None,
        page_size: int | None = None,
        detail: bool = False,
        **extra: Any,
    ) -> ListFlow[Product]:
        """Every matching product exactly once, fetched page by page as you iterate.

        ``detail=True`` returns complete products on platforms whose list rows are slim
        (29 Next leaves out the description; such products read ``partial=True``), at the
        cost of one extra request per product.

        ``created_since``/``created_until`` filter by creation time (bounds included); a
        platform that keeps no creation time for products refuses them with a ValidationError.
        """
        self._require("products.list")
        _check_detail(detail)
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until,
            created_since=created_since, created_until=created_until, page_size=page_size,
            detail=detail, extra=_platform_filters(self._adapter, "products", dict(extra)),
        )  # fmt: skip
        return self._adapter.list_products(query)

    @operation
    def get(self, ref: str) -> Flow[Product]:
        """The product whose platform key is ``ref``."""
        self._require("products.get")
        return self._adapter.get_product(check_ref(ref))

    @operation
    def create(self, draft: ProductDraft) -> Flow[Product]:
        """Create a product with its variants."""
        self._require("products.create")
        _check_type(draft, ProductDraft, "draft")
        if not draft.variants:
            raise ValidationError("a product needs at least one variant", field="variants")
        self._kept(draft)
        return holding(self._adapter.create_product(draft), "products.create", new_product(draft))


class Refunds(Resource[M]):
    """``store.refunds``: quote a refund, then issue exactly that refund once."""

    def __init__(self, adapter: Adapter, runner: Runner, options: StoreOptions) -> None:
        super().__init__(adapter, runner)
        self._options = options

    @operation
    def calculate(
        self, order_ref: str, *, lines: Sequence[RefundLine] = (), shipping: Money | None = None
    ) -> Flow[RefundQuote]:
        """Ask the platform what refunding ``lines`` (and ``shipping``) would return, and how."""
        self._require("refunds.calculate")
        order_ref = check_ref(order_ref, "order_ref")  # an int ref as its digits
        for index, line in enumerate(lines):
            _check_type(line, RefundLine, f"lines[{index}]")
            if line.quantity < 1:
                raise ValidationError(
                    f"lines[{index}].quantity must be at least 1", field=f"lines[{index}].quantity"
                )
        if shipping is not None:
            _check_type(shipping, Money, "shipping")
            if shipping.amount < 0:
                raise ValidationError("shipping must not be negative", field="shipping")
        if not lines and shipping is None:
            raise ValidationError("a refund needs lines, shipping, or both", field="lines")
        # Past caches: a quote from the order as a cache held it is refused by create.
        flow = self._adapter.calculate_refund(order_ref, lines=tuple(lines), shipping=shipping)
        return as_asked(past_caches(flow), lines, self._adapter.display_name)

    @operation
    def create(
        self, quote: RefundQuote, *, note: str | None = None, notify: bool = False
    ) -> Flow[Refund]:
        """Issue the refund a :meth:`calculate` call quoted, exactly once.

        A quote is single-use: calling again with the same quote returns the first refund
        (read back from the platform if its answer was lost) instead of refunding twice.
        Keys are kept in ``StoreOptions.idempotency_store`` (this process's memory unless
        you pass a persistent one, see :mod:`storebridge.idempotency`).
        """
        self._require("refunds.create")
        _check_type(quote, RefundQuote, "quote")
        if quote.platform != self._adapter.name:
            raise ValidationError(
                f"this quote was calculated on {quote.platform}, not {self._adapter.name}",
                field="quote",
            )
        keys = self._options.idempotency_store or default_store()
        return single_use_refund(self._adapter, quote, note, notify, keys)


class Transactions(Resource[M]):
    """``store.transactions``: payment transactions."""

    @listing
    def list(self, *, order_ref: str | None = None) -> ListFlow[Transaction]:
        """Transactions, of one order when ``order_ref`` is given."""
        self._require("transactions.list")
        if order_ref is not None:
            order_ref = check_ref(order_ref, "order_ref")  # an int ref as its digits
        return self._adapter.list_transactions(order_ref)


class Webhooks(Resource[M]):
    """``store.webhooks``: the platform's webhook subscriptions."""

    @operation
    def subscribe(
        self, topics: Sequence[str], url: str, *, secret: str | None = None
    ) -> Flow[list[WebhookSubscription]]:
        """Have the platform deliver ``topics`` (unified names such as ``orders.updated``,
        see :data:`storebridge.model.TOPICS`) to ``url``; returns the subscriptions made."""
        self._require("webhooks.subscribe")
        chosen = (topics,) if isinstance(topics, str) else tuple(topics)
        unknown = [t for t in chosen if t not in TOPICS]
        if not chosen or unknown:
            raise ValidationError(
                f"topics must be some of {', '.join(TOPICS)}; got {unknown or 'none'}",
                field="topics",
            )
        try:
            check_base_url(url, setting="url")
        except ConfigurationError as exc:
            raise ValidationError(str(exc), field="url") from None
        return self._adapter.subscribe_webhooks(chosen, url, secret=secret)

    @listing
    def list(self, /) -> ListFlow[WebhookSubscription]:
        """Every webhook subscription of this store."""
        self._require("webhooks.list")
        return self._adapter.list_webhooks()

    @operation
    def unsubscribe(self, ref: str) -> Flow[None]:
        """Remove the subscription ``ref``."""
        self._require("webhooks.unsubscribe")
        return self._adapter.unsubscribe_webhook(check_ref(ref))


__all__ = ["Customers", "Orders", "Products", "Refunds", "Transactions", "Webhooks"]
