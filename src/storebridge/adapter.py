"""What an adapter provides: the contract between the facade and a platform.

An adapter is sans-I/O (see :mod:`storebridge.flow`). It declares:

* ``name`` (the entry-point name, e.g. ``"29next"``) and ``display_name`` for messages;
* ``Settings``: an attrs class validated at connect time (:mod:`storebridge.settings`);
* ``rate_limit``: what the platform allows per credential; the facade enforces it;
* ``auth``: an ``httpx.Auth`` flow; ``base_url``; ``secrets`` to redact;
* ``parse_error``: the platform's error body as an :class:`~storebridge.errors.APIError`;
* the operations it supports, as methods returning flows. A method not overridden is not
  supported: ``capabilities`` is derived from what the subclass overrides, so it cannot drift.

Platform-specific operations are plain methods marked with :func:`platform_operation`;
``store.extra.<name>(...)`` runs them (and ``store.run(flow)`` runs any flow).

To ship an adapter for a platform storebridge does not cover, subclass :class:`Adapter` and
register it in your package's ``pyproject.toml``::

    [project.entry-points."storebridge.adapters"]
    myplatform = "my_package:MyAdapter"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal, Self, TypeVar

import attrs

from storebridge._http import Auth, Headers, Response
from storebridge._json import read_json
from storebridge.errors import (
    APIError,
    PayloadError,
    RateLimited,
    UnsupportedOperation,
    ValidationError,
    error_class_for_status,
)
from storebridge.flow import Flow, ListFlow, just
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    Transaction,
)
from storebridge.model.changes import Change, WebhookSubscription
from storebridge.model.money import Money
from storebridge.sandbox.clock import Clock
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge.settings import Secret, canonical_host, parse_settings

F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class RateLimit:
    """Requests per second per credential, and how many may burst at once."""

    per_second: float
    burst: int = 1

    def __attrs_post_init__(self) -> None:
        per_second = self.per_second
        if not isinstance(per_second, int | float) or isinstance(per_second, bool):
            per_second = -1.0  # refused below, naming what was given
        if not (0 < per_second < float("inf")) or type(self.burst) is not int or self.burst < 1:
            raise ValidationError(
                "a rate limit needs per_second a number > 0 and burst a whole number >= 1, "
                f"got RateLimit({self.per_second!r}, {self.burst!r})",
                field="rate_limit",
            )


def _aware_or_none(_i: object, a: attrs.Attribute[Any], v: datetime | None) -> None:
    if v is not None and not isinstance(v, datetime):
        raise ValidationError(
            f"{a.name} must be a timezone-aware datetime, got {type(v).__name__} {v!r} "
            "(e.g. datetime(2025, 1, 1, tzinfo=UTC))",
            field=a.name,
        )
    if v is not None and (v.tzinfo is None or v.utcoffset() is None):
        raise ValidationError(
            f"{a.name} must be timezone-aware (e.g. datetime(..., tzinfo=UTC))", field=a.name
        )


def within(moment: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """Whether ``moment`` lies from ``since`` to ``until``, both included (None: no bound).

    A missing ``moment`` lies within no bound: a record without the time a filter asks
    about is left out, never guessed in.
    """
    if since is None and until is None:
        return True
    if moment is None:
        return False
    return (since is None or moment >= since) and (until is None or moment <= until)


FIRST_YEAR, LAST_YEAR = 1000, 9000
"""The years a listing's time filters may fall in."""


@attrs.frozen(kw_only=True)
class ListQuery:
    """Filters every listing understands; ``extra`` carries platform-specific ones."""

    updated_since: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    updated_until: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    created_since: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    created_until: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    page_size: int | None = None
    detail: bool = False
    """Return complete records (orders with lines, products with their description) even
    where list rows are slim; costs requests."""
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        size = self.page_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise ValidationError(
                f"page_size must be a whole number, got {type(size).__name__} {size!r}",
                field="page_size",
            )
        if self.page_size is not None and self.page_size < 1:
            raise ValidationError("page_size must be at least 1", field="page_size")
        for lo, hi in (("updated_since", "updated_until"), ("created_since", "created_until")):
            a, b = getattr(self, lo), getattr(self, hi)
            for name, bound in ((lo, a), (hi, b)):
                if bound is not None and not FIRST_YEAR <= bound.year <= LAST_YEAR:
                    # Adapters widen bounds (a day, a sync overlap): near year 1 or 9999
                    # that overflows, and no store holds records there.
                    raise ValidationError(
                        f"{name} is {bound.isoformat()}: a time filter must fall in the years "
                        f"{FIRST_YEAR} to {LAST_YEAR}; leave it out for no bound",
                        field=name,
                    )
            if a is not None and b is not None and a > b:
                raise ValidationError(f"{lo} is after {hi}", field=lo)

    @property
    def filters_created(self) -> bool:
        """Whether the query asks for a creation-time window."""
        return self.created_since is not None or self.created_until is not None

    def covers(self, *, created_at: datetime | None, updated_at: datetime | None) -> bool:
        """Whether a record with these times lies within the query's time windows (for
        adapters that filter client-side what the platform cannot)."""
        return within(created_at, self.created_since, self.created_until) and within(
            updated_at, self.updated_since, self.updated_until
        )


@attrs.frozen(kw_only=True)
class OrderQuery(ListQuery):
    status: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None


OPERATIONS: Mapping[str, str] = {
    "orders.list": "list_orders",
    "orders.get": "get_order",
    "orders.create": "create_order",
    "orders.cancel": "cancel_order",
    "orders.update_shipping_address": "update_shipping_address",
    "customers.list": "list_customers",
    "customers.get": "get_customer",
    "customers.create": "create_customer",
    "customers.update": "update_customer",
    "products.list": "list_products",
    "products.get": "get_product",
    "products.create": "create_product",
    "refunds.calculate": "calculate_refund",
    "refunds.create": "create_refund",
    "transactions.list": "list_transactions",
    "webhooks.subscribe": "subscribe_webhooks",
    "webhooks.list": "list_webhooks",
    "webhooks.unsubscribe": "unsubscribe_webhook",
    "webhooks.receive": "parse_webhook",
}
"""Unified operation name -> adapter method name."""


def platform_operation(kind: Literal["single", "list"] = "single") -> Callable[[F], F]:
    """Mark an adapter method as a platform-specific operation reachable via ``store.extra``."""

    def mark(fn: F) -> F:
        fn.__storebridge_extra__ = kind  # type: ignore[attr-defined]
        return fn

    return mark


class Adapter:
    """Base class of every adapter. Subclasses override what their platform supports."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    Settings: ClassVar[type[Any]]
    default_rate_limit: ClassVar[RateLimit] = RateLimit(per_second=2, burst=1)
    sensitive_headers: ClassVar[tuple[str, ...]] = ()
    """Header names that carry credentials or signatures on this platform (beyond
    ``Authorization`` and cookies): cassettes drop them, and logs never show them."""
    list_filters: ClassVar[Mapping[str, frozenset[str]] | None] = None
    """The platform filters each listing takes as extra keyword arguments, by resource
    (``"orders"``, ``"customers"``, ``"products"``): the facade refuses any other name
    before a request, since a platform ignores a parameter it does not know and a misspelt
    filter would list the records the caller meant to leave out. A resource missing from
    the mapping takes none. None (the default, for adapters written before this existed):
    ``query.extra`` is handed on unchecked, and the adapter must refuse what it cannot
    apply."""
    checkpoint_keys: ClassVar[frozenset[str] | None] = None
    """The orders a migration checkpoint may take this platform's listings to come in:
    ``"updated_asc"`` (oldest change first) and ``"created_desc"`` (newest first). A
    migration learns the order from the records it reads and resumes after the last one
    processed (``updated_since``/``created_until``), so a listing that only looks ordered
    (by id, with one record just edited) would make a resume skip records. None: any order
    the listing is seen to keep; an empty set: never (a resume reads the listing again
    from the start, recognising what the ledger has)."""
    not_kept: ClassVar[Mapping[str, str]] = {}
    """Fields of a write this platform has no place for, as ``"Class.field"`` (a model
    class: ``"CustomerDraft.note"``, ``"Address.company"``) with why. The facade refuses a
    write that sets one (a ValidationError naming it), and a migration leaves them out of
    its copies and names each in ``MigrationReport.not_carried``: nothing sent is dropped
    in silence."""
    documented_orders: ClassVar[frozenset[str]] = frozenset()
    """The orders among ``checkpoint_keys`` that the platform documents its listings to come
    in. A migration checkpoint relies on ``"updated_asc"`` only once the listing has shown
    it is not in order of ref (records edited in ref order make a listing by ref look
    ordered by change), unless it is documented here; every record is still checked."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, **given: Any) -> Self:
        """Validate ``given`` against ``Settings``; ConfigurationError names the bad one."""
        return cls(parse_settings(cls.Settings, given, platform=cls.name))

    # Transport-level declarations --------------------------------------------------
    @property
    def base_url(self) -> str:
        raise NotImplementedError(
            f"{type(self).__name__} must define the base_url property (where its API is)"
        )

    @property
    def auth(self) -> Auth | None:
        return None

    @property
    def rate_limit(self) -> RateLimit:
        return self.default_rate_limit

    @property
    def credential_key(self) -> str:
        """Who the rate limit applies to (a token fingerprint, an app and store...)."""
        return f"{self.name}:{self.base_url}"

    @property
    def secrets(self) -> Sequence[str]:
        """Values that must never appear in logs, reprs or error messages: by default every
        :class:`~storebridge.settings.Secret` among the settings (override to add others)."""
        settings = self.settings
        if not attrs.has(type(settings)):
            return ()
        values = (getattr(settings, field.name, None) for field in attrs.fields(type(settings)))
        return tuple(value.reveal() for value in values if isinstance(value, Secret))

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {}

    def parse_error(self, response: Response) -> APIError:
        """The platform's error response as an exception; override to read its body."""
        return error_from_response(self, response, message=response.reason_phrase or "error")

    def retry_after(self, response: Response) -> float | None:
        """Seconds the platform asked to wait before retrying, from ``Retry-After``."""
        return parse_retry_after(response.headers.get("retry-after"))

    # Capabilities --------------------------------------------------------------------
    @property
    def capabilities(self) -> frozenset[str]:
        """Unified operations this adapter, as configured, supports.

        Derived from the operations the subclass implements (overrides) minus those
        :meth:`unsupported_reason` refuses for this configuration (an API version without
        the endpoint...), so the list cannot drift from what :meth:`require` accepts.
        """
        base = Adapter
        return frozenset(
            op
            for op, method in OPERATIONS.items()
            if getattr(type(self), method) is not getattr(base, method)
            and self.unsupported_reason(op) is None
        )

    def unsupported_reason(self, operation: str) -> str | None:
        """Why this adapter, as configured, cannot do ``operation``; None when it can.

        Override to refuse an implemented operation for some configurations, or to explain
        why an operation is not implemented at all. The reason is shown in
        :class:`~storebridge.errors.UnsupportedOperation`.
        """
        return None

    def require(self, operation: str, reason: str = "") -> None:
        """Raise UnsupportedOperation unless ``operation`` is in :attr:`capabilities`."""
        if operation not in self.capabilities:
            raise self.unsupported(operation, reason or self.unsupported_reason(operation) or "")

    def unsupported(self, operation: str, reason: str = "") -> UnsupportedOperation:
        return UnsupportedOperation(self.display_name, operation, reason)

    # Unified operations: default is "not supported" -------------------------------------
    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        raise self.unsupported("orders.list")

    def get_order(self, ref: str) -> Flow[Order]:
        raise self.unsupported("orders.get")

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        raise self.unsupported("orders.create")

    def cancel_order(
        self,
        ref: str,
        *,
        reason: str | None,
        refund: bool,
        notify: bool,
        restock: bool | None = None,
    ) -> Flow[Order]:
        """``restock``: put the order's units back in stock (True) or not (False); None
        leaves it to the platform. Given only when the caller chose, so an adapter whose
        platform has no such choice may leave the keyword out; one that takes it and cannot
        honour a choice raises ValidationError(field="restock")."""
        raise self.unsupported("orders.cancel")

    def update_shipping_address(self, ref: str, address: Address) -> Flow[Order]:
        raise self.unsupported("orders.update_shipping_address")

    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        raise self.unsupported("customers.list")

    def get_customer(self, ref: str) -> Flow[Customer]:
        raise self.unsupported("customers.get")

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        raise self.unsupported("customers.create")

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        raise self.unsupported("customers.update")

    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        raise self.unsupported("products.list")

    def get_product(self, ref: str) -> Flow[Product]:
        raise self.unsupported("products.get")

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        raise self.unsupported("products.create")

    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        raise self.unsupported("refunds.calculate")

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        raise self.unsupported("refunds.create")

    def list_transactions(self, order_ref: str | None) -> ListFlow[Transaction]:
        raise self.unsupported("transactions.list")

    # Webhooks -----------------------------------------------------------------------------
    def subscribe_webhooks(
        self, topics: Sequence[str], url: str, *, secret: str | None
    ) -> Flow[list[WebhookSubscription]]:
        """Subscribe ``url`` to the unified ``topics`` (see :data:`storebridge.model.TOPICS`);
        one subscription per platform event where the platform needs that."""
        raise self.unsupported("webhooks.subscribe")

    def list_webhooks(self) -> ListFlow[WebhookSubscription]:
        raise self.unsupported("webhooks.list")

    def unsubscribe_webhook(self, ref: str) -> Flow[None]:
        raise self.unsupported("webhooks.unsubscribe")

    def parse_webhook(self, headers: Headers, body: bytes, secret: str) -> Change:
        """One delivery as a Change, after verifying its signature against the raw ``body``.

        Raise :class:`~storebridge.webhooks.WebhookRejected` (status 401) for a missing or
        wrong signature and PayloadError for a body that cannot be read. No I/O.
        """
        raise self.unsupported("webhooks.receive", "this platform sends no webhooks")

    def webhook_secret(self) -> str | None:
        """The secret deliveries are signed with, when the settings hold it."""
        return None

    def webhook_setup(self) -> Flow[None]:
        """What this adapter must read before it can read deliveries (nothing by default;
        SHOPLINE reads the store's currency, which product deliveries do not carry).
        ``webhooks.asgi_app`` and ``webhooks.receive`` run it, once it is done and needed,
        for stores they are given; a delivery that needs what it reads is refused with 503
        until then, so the platform delivers it again."""
        return just(None)

    def change_time(self, record: Any) -> datetime | None:
        """The latest instant ``record``'s current version may have been written at: what
        the change feed compares with its watermark and tells versions apart by.

        Its ``updated_at`` (or ``created_at``). Override it where a timestamp can name two
        instants (a local time without offset in the hour a DST change repeats): the later
        one, or the feed could take a change for one it delivered before its watermark.
        """
        stamp: datetime | None = record.updated_at or record.created_at
        return stamp

    def find_refund(self, quote: RefundQuote) -> Flow[Refund | None]:
        """The refund ``quote`` produced on the platform, or None if there is none.

        Used to settle a ``refunds.create`` whose outcome was never learned (a lost answer,
        a crashed process) before the quote is sent again. Override it wherever the
        platform lets refunds be read back; without it such a quote is never re-sent.
        """
        raise self.unsupported("refunds.find", "this adapter cannot read refunds back")

    # Sandbox ---------------------------------------------------------------------------
    @classmethod
    def sandbox(
        cls,
        *,
        seed: int = 1,
        orders: int = 25,
        customers: int | None = None,
        products: int | None = None,
        latency: float = 0.0,
        clock: Clock | None = None,
        **options: Any,
    ) -> Sandbox:
        """An emulator of this platform with deterministic seeded data, and its settings.

        ``customers`` / ``products`` default to a size proportional to ``orders``;
        ``options`` are the platform emulator's own switches. Adapters implement
        :meth:`build_sandbox`; those without an emulator raise NotImplementedError.
        """
        size = SandboxSize(
            seed=seed, orders=orders, customers=customers, products=products,
            latency=latency, clock=clock,
        )  # fmt: skip
        return cls.build_sandbox(size, **options)

    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """The platform's emulator for ``size``; override this, not :meth:`sandbox`."""
        raise NotImplementedError(f"{cls.name} ships no sandbox")

    # Helpers for migrations and incremental sync -------------------------------------
    def store_currencies(self) -> Flow[frozenset[str] | None]:
        """Currencies the store accepts for orders, or None when the platform cannot say."""
        return just(None)

    def identity_tag(self, source_platform: str, source_store: str, source_ref: str) -> str:
        """The tag that marks a migrated record with where it came from."""
        return f"sb:{source_platform}:{source_store}:{source_ref}"

    @property
    def store_id(self) -> str:
        """A stable, short name of the store (for ledgers, reports and identity tags).

        The API host (``acme.29next.store``): tags on the target stay short and readable,
        and one store keeps one name whatever API version or path prefix is used. Spelled
        one way for one store: the host in lower case, its port only when it is not the
        scheme's default, no credentials. ``https://ACME.29next.store:443`` is the same
        store as ``https://acme.29next.store``, and a migration run again with it must
        find the copies it already made.
        """
        return canonical_host(self.base_url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # "-0000" or no zone at all: HTTP dates are in GMT (RFC 9110), so read it as UTC.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_response(
    adapter: Adapter,
    response: Response,
    *,
    message: str,
    field_errors: Mapping[str, Sequence[str]] | None = None,
    request_id: str | None = None,
    cls: type[APIError] | None = None,
) -> APIError:
    """Build the APIError subclass for ``response.status_code`` with the platform's details."""
    kind = cls or error_class_for_status(response.status_code)
    request = response.request if _has_request(response) else None
    try:
        body: Any = read_json(response)
    except PayloadError:
        try:
            body = response.text[:2000]
        except (LookupError, UnicodeDecodeError):
            body = response.content[:2000].decode("utf-8", "replace")
    kwargs: dict[str, Any] = {
        "status": response.status_code,
        "platform": adapter.display_name,
        "request_id": request_id
        or response.headers.get("x-request-id")
        or response.headers.get("traceid"),
        "field_errors": field_errors,
        "method": request.method if request is not None else None,
        "url": str(request.url) if request is not None else None,
        "body": body,
    }
    if issubclass(kind, RateLimited):
        kwargs["retry_after"] = adapter.retry_after(response)
    return kind(message, **kwargs)


def _has_request(response: Response) -> bool:
    try:
        response.request  # noqa: B018 - raises when the response was built standalone
    except RuntimeError:
        return False
    return True


__all__ = [
    "OPERATIONS",
    "Adapter",
    "ListQuery",
    "OrderQuery",
    "RateLimit",
    "error_from_response",
    "parse_retry_after",
    "platform_operation",
    "within",
]
