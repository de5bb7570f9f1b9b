"""The facade: :class:`Store` (sync) and :class:`AsyncStore` over any adapter.

Resources (``store.orders``, ``.customers``, ``.products``, ``.refunds``, ``.transactions``)
check ``store.capabilities`` first, so an operation the platform cannot do raises
:class:`~storebridge.errors.UnsupportedOperation` before any request is sent. Listings are
lazy: pages are fetched as you iterate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import attrs

from storebridge import _http
from storebridge._engine import AsyncEngine, StoreOptions, SyncEngine
from storebridge._redact import Redactor, install_log_filter, registry
from storebridge.adapter import OPERATIONS, Adapter, ListQuery, OrderQuery
from storebridge.errors import ValidationError
from storebridge.flow import Flow, ListFlow, build_request
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

T = TypeVar("T")
R = TypeVar("R")  # what running a flow gives: T (sync) or Awaitable[T] (async)


def _check_ref(ref: object, what: str = "ref") -> str:
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError(f"{what} must be a non-empty string (the platform's key)", field=what)
    return ref


def _check_type(value: object, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise ValidationError(
            f"{what} must be a {cls.__name__}, got {type(value).__name__}", field=what
        )


class _Resource:
    """Builds the flow for an operation after checking the capability and arguments."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def _flow(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        self._adapter.require(operation)
        return getattr(self._adapter, OPERATIONS[operation])(*args, **kwargs)


def _order_query(
    updated_since: datetime | None,
    updated_until: datetime | None,
    created_since: datetime | None,
    created_until: datetime | None,
    status: str | None,
    financial_status: str | None,
    fulfillment_status: str | None,
    page_size: int | None,
    detail: bool,
    extra: Mapping[str, Any],
) -> OrderQuery:
    return OrderQuery(
        updated_since=updated_since,
        updated_until=updated_until,
        created_since=created_since,
        created_until=created_until,
        status=status,
        financial_status=financial_status,
        fulfillment_status=fulfillment_status,
        page_size=page_size,
        detail=detail,
        extra=dict(extra),
    )


class _OrderFlows(_Resource):
    def list_flow(self, query: OrderQuery) -> ListFlow[Order]:
        return self._flow("orders.list", query)  # type: ignore[no-any-return]

    def get_flow(self, ref: str) -> Flow[Order]:
        return self._flow("orders.get", _check_ref(ref))  # type: ignore[no-any-return]

    def create_flow(self, draft: OrderDraft) -> Flow[Order]:
        _check_type(draft, OrderDraft, "draft")
        return self._flow("orders.create", draft)  # type: ignore[no-any-return]

    def cancel_flow(self, ref: str, reason: str | None, refund: bool, notify: bool) -> Flow[Order]:
        return self._flow(  # type: ignore[no-any-return]
            "orders.cancel", _check_ref(ref), reason=reason, refund=refund, notify=notify
        )

    def address_flow(self, ref: str, address: Address) -> Flow[Order]:
        _check_type(address, Address, "address")
        return self._flow("orders.update_shipping_address", _check_ref(ref), address)  # type: ignore[no-any-return]


class _CustomerFlows(_Resource):
    def list_flow(self, query: ListQuery) -> ListFlow[Customer]:
        return self._flow("customers.list", query)  # type: ignore[no-any-return]

    def get_flow(self, ref: str) -> Flow[Customer]:
        return self._flow("customers.get", _check_ref(ref))  # type: ignore[no-any-return]

    def create_flow(self, draft: CustomerDraft) -> Flow[Customer]:
        _check_type(draft, CustomerDraft, "draft")
        if "@" not in draft.email:
            raise ValidationError(f"email {draft.email!r} is not an e-mail address", field="email")
        return self._flow("customers.create", draft)  # type: ignore[no-any-return]

    def update_flow(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        _check_type(update, CustomerUpdate, "update")
        return self._flow("customers.update", _check_ref(ref), update)  # type: ignore[no-any-return]


class _ProductFlows(_Resource):
    def list_flow(self, query: ListQuery) -> ListFlow[Product]:
        return self._flow("products.list", query)  # type: ignore[no-any-return]

    def get_flow(self, ref: str) -> Flow[Product]:
        return self._flow("products.get", _check_ref(ref))  # type: ignore[no-any-return]

    def create_flow(self, draft: ProductDraft) -> Flow[Product]:
        _check_type(draft, ProductDraft, "draft")
        if not draft.variants:
            raise ValidationError("a product needs at least one variant", field="variants")
        return self._flow("products.create", draft)  # type: ignore[no-any-return]


class _RefundFlows(_Resource):
    def calculate_flow(
        self, order_ref: str, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        _check_ref(order_ref, "order_ref")
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
        return self._flow(  # type: ignore[no-any-return]
            "refunds.calculate", order_ref, lines=tuple(lines), shipping=shipping
        )

    def create_flow(self, quote: RefundQuote, note: str | None, notify: bool) -> Flow[Refund]:
        _check_type(quote, RefundQuote, "quote")
        if quote.platform != self._adapter.name:
            raise ValidationError(
                f"this quote was calculated on {quote.platform}, not {self._adapter.name}",
                field="quote",
            )
        return self._flow("refunds.create", quote, note=note, notify=notify)  # type: ignore[no-any-return]


class _TransactionFlows(_Resource):
    def list_flow(self, order_ref: str | None) -> ListFlow[Transaction]:
        if order_ref is not None:
            _check_ref(order_ref, "order_ref")
        return self._flow("transactions.list", order_ref)  # type: ignore[no-any-return]


# --- sync resources ------------------------------------------------------------------


class Orders(_OrderFlows):
    def __init__(self, adapter: Adapter, engine: SyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
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
    ) -> Iterator[Order]:
        """Every matching order, fetched page by page as you iterate.

        ``detail=True`` returns complete orders (with lines) on platforms whose list rows are
        slim, at the cost of one extra request per order (sent concurrently).
        """
        query = _order_query(
            updated_since, updated_until, created_since, created_until,
            status, financial_status, fulfillment_status, page_size, detail, extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    def get(self, ref: str) -> Order:
        return self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    def create(self, draft: OrderDraft) -> Order:
        return self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]

    def cancel(
        self, ref: str, *, reason: str | None = None, refund: bool = False, notify: bool = False
    ) -> Order:
        return self._engine.run(self.cancel_flow(ref, reason, refund, notify))  # type: ignore[no-any-return]

    def update_shipping_address(self, ref: str, address: Address) -> Order:
        return self._engine.run(self.address_flow(ref, address))  # type: ignore[no-any-return]


class Customers(_CustomerFlows):
    def __init__(self, adapter: Adapter, engine: SyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        page_size: int | None = None,
        **extra: Any,
    ) -> Iterator[Customer]:
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until, page_size=page_size,
            extra=extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    def get(self, ref: str) -> Customer:
        return self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    def create(self, draft: CustomerDraft) -> Customer:
        return self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]

    def update(self, ref: str, update: CustomerUpdate) -> Customer:
        return self._engine.run(self.update_flow(ref, update))  # type: ignore[no-any-return]


class Products(_ProductFlows):
    def __init__(self, adapter: Adapter, engine: SyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        page_size: int | None = None,
        **extra: Any,
    ) -> Iterator[Product]:
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until, page_size=page_size,
            extra=extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    def get(self, ref: str) -> Product:
        return self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    def create(self, draft: ProductDraft) -> Product:
        return self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]


class Refunds(_RefundFlows):
    def __init__(self, adapter: Adapter, engine: SyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def calculate(
        self, order_ref: str, *, lines: Sequence[RefundLine] = (), shipping: Money | None = None
    ) -> RefundQuote:
        """Ask the platform what refunding ``lines`` (and ``shipping``) would return, and how."""
        return self._engine.run(self.calculate_flow(order_ref, lines, shipping))  # type: ignore[no-any-return]

    def create(
        self, quote: RefundQuote, *, note: str | None = None, notify: bool = False
    ) -> Refund:
        """Issue the refund a :meth:`calculate` call quoted. Never sent twice on a retry."""
        return self._engine.run(self.create_flow(quote, note, notify))  # type: ignore[no-any-return]


class Transactions(_TransactionFlows):
    def __init__(self, adapter: Adapter, engine: SyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(self, *, order_ref: str | None = None) -> Iterator[Transaction]:
        return self._engine.iterate(self.list_flow(order_ref))


class _Extras(Generic[R]):
    """``store.extra.<operation>(...)``: the adapter's platform-specific operations."""

    def __init__(self, adapter: Adapter, run: Callable[[Any], Any], iterate: Callable[[Any], Any]):
        self._adapter = adapter
        self._run = run
        self._iterate = iterate

    def __dir__(self) -> list[str]:
        return sorted(self.names())

    def names(self) -> list[str]:
        return [
            name
            for name in dir(type(self._adapter))
            if getattr(getattr(type(self._adapter), name, None), "__storebridge_extra__", None)
        ]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(type(self._adapter), name, None)
        kind = getattr(method, "__storebridge_extra__", None)
        if kind is None:
            raise AttributeError(
                f"{self._adapter.display_name} has no platform operation {name!r}; "
                f"available: {', '.join(self.names()) or 'none'}"
            )
        bound = getattr(self._adapter, name)
        driver = self._iterate if kind == "list" else self._run

        def call(*args: Any, **kwargs: Any) -> Any:
            return driver(bound(*args, **kwargs))

        call.__doc__ = bound.__doc__
        return call


class _StoreBase:
    def __init__(self, adapter: Adapter, options: StoreOptions) -> None:
        install_log_filter()
        self.adapter = adapter
        self.options = options
        self._redactor = Redactor(source=lambda: adapter.secrets)
        registry.register(self._redactor)

    @property
    def platform(self) -> str:
        return self.adapter.name

    @property
    def capabilities(self) -> frozenset[str]:
        """Unified operations this platform supports, e.g. ``"refunds.create"``."""
        return self.adapter.capabilities

    def _raw_request(
        self,
        method: str,
        path: str,
        params: Any,
        json: Any,
        headers: Any,
        idempotent: bool | None,
    ) -> _http.Request:
        url = path if "://" in path else f"{self.adapter.base_url}/{path.lstrip('/')}"
        if not url.startswith(self.adapter.base_url):
            raise ValidationError(
                "raw requests may only target this store's base URL", field="path"
            )
        return build_request(
            method, url, operation=f"raw {method.upper()}", idempotent=idempotent,
            params=params, json=json, headers=headers,
        )  # fmt: skip

    def __repr__(self) -> str:
        return self._redactor(f"<{type(self).__name__} {self.platform} {self.adapter.base_url}>")


def _client_kwargs(options: StoreOptions) -> dict[str, Any]:
    return {"timeout": _http.Timeout(options.timeout), "follow_redirects": False}


class Store(_StoreBase):
    """A connection to one store. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        adapter: Adapter,
        *,
        options: StoreOptions | None = None,
        transport: _http.BaseTransport | None = None,
        _client: _http.Client | None = None,
    ) -> None:
        super().__init__(adapter, options or StoreOptions())
        self._owns_client = _client is None
        client = _client or _http.Client(transport=transport, **_client_kwargs(self.options))
        self._engine = SyncEngine(adapter, client, self.options, self._redactor)
        self.orders = Orders(adapter, self._engine)
        self.customers = Customers(adapter, self._engine)
        self.products = Products(adapter, self._engine)
        self.refunds = Refunds(adapter, self._engine)
        self.transactions = Transactions(adapter, self._engine)
        self.extra: _Extras[Any] = _Extras(adapter, self._engine.run, self._engine.iterate)

    def run(self, flow: Flow[T]) -> T:
        """Run any adapter flow (e.g. a platform operation) and return its result."""
        return self._engine.run(flow)  # type: ignore[no-any-return]

    def iterate(self, flow: ListFlow[T]) -> Iterator[T]:
        """Run a list flow lazily."""
        return self._engine.iterate(flow)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: Any = None,
        idempotent: bool | None = None,
    ) -> _http.Response:
        """Send a request the model does not cover, with auth, retries and rate limiting.

        ``path`` is relative to the store's API base URL. Error statuses raise APIError.
        """
        return self._engine.send(self._raw_request(method, path, params, json, headers, idempotent))

    def with_options(self, **changes: Any) -> Store:
        """This store with some options changed, e.g. ``store.with_options(timeout=120)``.

        The returned store shares this one's connection pool and rate limit; closing it
        leaves this store open.
        """
        options = attrs.evolve(self.options, **changes)
        return Store(self.adapter, options=options, _client=self._engine.client)

    def close(self) -> None:
        self._engine.close(close_client=self._owns_client)
        registry.unregister(self._redactor)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- async resources -------------------------------------------------------------------


class AsyncOrders(_OrderFlows):
    def __init__(self, adapter: Adapter, engine: AsyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
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
    ) -> AsyncIterator[Order]:
        query = _order_query(
            updated_since, updated_until, created_since, created_until,
            status, financial_status, fulfillment_status, page_size, detail, extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    async def get(self, ref: str) -> Order:
        return await self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    async def create(self, draft: OrderDraft) -> Order:
        return await self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]

    async def cancel(
        self, ref: str, *, reason: str | None = None, refund: bool = False, notify: bool = False
    ) -> Order:
        return await self._engine.run(self.cancel_flow(ref, reason, refund, notify))  # type: ignore[no-any-return]

    async def update_shipping_address(self, ref: str, address: Address) -> Order:
        return await self._engine.run(self.address_flow(ref, address))  # type: ignore[no-any-return]


class AsyncCustomers(_CustomerFlows):
    def __init__(self, adapter: Adapter, engine: AsyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        page_size: int | None = None,
        **extra: Any,
    ) -> AsyncIterator[Customer]:
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until, page_size=page_size,
            extra=extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    async def get(self, ref: str) -> Customer:
        return await self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    async def create(self, draft: CustomerDraft) -> Customer:
        return await self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]

    async def update(self, ref: str, update: CustomerUpdate) -> Customer:
        return await self._engine.run(self.update_flow(ref, update))  # type: ignore[no-any-return]


class AsyncProducts(_ProductFlows):
    def __init__(self, adapter: Adapter, engine: AsyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(
        self,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        page_size: int | None = None,
        **extra: Any,
    ) -> AsyncIterator[Product]:
        query = ListQuery(
            updated_since=updated_since, updated_until=updated_until, page_size=page_size,
            extra=extra,
        )  # fmt: skip
        return self._engine.iterate(self.list_flow(query))

    async def get(self, ref: str) -> Product:
        return await self._engine.run(self.get_flow(ref))  # type: ignore[no-any-return]

    async def create(self, draft: ProductDraft) -> Product:
        return await self._engine.run(self.create_flow(draft))  # type: ignore[no-any-return]


class AsyncRefunds(_RefundFlows):
    def __init__(self, adapter: Adapter, engine: AsyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    async def calculate(
        self, order_ref: str, *, lines: Sequence[RefundLine] = (), shipping: Money | None = None
    ) -> RefundQuote:
        return await self._engine.run(self.calculate_flow(order_ref, lines, shipping))  # type: ignore[no-any-return]

    async def create(
        self, quote: RefundQuote, *, note: str | None = None, notify: bool = False
    ) -> Refund:
        return await self._engine.run(self.create_flow(quote, note, notify))  # type: ignore[no-any-return]


class AsyncTransactions(_TransactionFlows):
    def __init__(self, adapter: Adapter, engine: AsyncEngine) -> None:
        super().__init__(adapter)
        self._engine = engine

    def list(self, *, order_ref: str | None = None) -> AsyncIterator[Transaction]:
        return self._engine.iterate(self.list_flow(order_ref))


class AsyncStore(_StoreBase):
    """The async twin of :class:`Store`: ``async with`` it, ``await`` its operations."""

    def __init__(
        self,
        adapter: Adapter,
        *,
        options: StoreOptions | None = None,
        transport: _http.AsyncBaseTransport | None = None,
        _client: _http.AsyncClient | None = None,
    ) -> None:
        super().__init__(adapter, options or StoreOptions())
        self._owns_client = _client is None
        client = _client or _http.AsyncClient(transport=transport, **_client_kwargs(self.options))
        self._engine = AsyncEngine(adapter, client, self.options, self._redactor)
        self.orders = AsyncOrders(adapter, self._engine)
        self.customers = AsyncCustomers(adapter, self._engine)
        self.products = AsyncProducts(adapter, self._engine)
        self.refunds = AsyncRefunds(adapter, self._engine)
        self.transactions = AsyncTransactions(adapter, self._engine)
        self.extra: _Extras[Any] = _Extras(adapter, self._engine.run, self._engine.iterate)

    def run(self, flow: Flow[T]) -> Awaitable[T]:
        return self._engine.run(flow)

    def iterate(self, flow: ListFlow[T]) -> AsyncIterator[T]:
        return self._engine.iterate(flow)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: Any = None,
        idempotent: bool | None = None,
    ) -> _http.Response:
        return await self._engine.send(
            self._raw_request(method, path, params, json, headers, idempotent)
        )

    def with_options(self, **changes: Any) -> AsyncStore:
        """This store with some options changed; shares the connection pool."""
        options = attrs.evolve(self.options, **changes)
        return AsyncStore(self.adapter, options=options, _client=self._engine.client)

    async def aclose(self) -> None:
        await self._engine.aclose(close_client=self._owns_client)
        registry.unregister(self._redactor)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
