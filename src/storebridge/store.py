"""The facade: :class:`Store` (sync) and :class:`AsyncStore` over any adapter.

Resources (``store.orders``, ``.customers``, ``.products``, ``.refunds``, ``.transactions``)
check ``store.capabilities`` and the arguments first, so an operation the platform cannot
do raises :class:`~storebridge.errors.UnsupportedOperation`, and bad input raises
:class:`~storebridge.errors.ValidationError`, before any request is sent. Listings are
lazy: pages are fetched as you iterate.

Each operation is declared once (see :mod:`storebridge._operations`); ``Store`` runs it
synchronously, ``AsyncStore`` returns awaitables and async iterators of the same results.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

import attrs

from storebridge import _http
from storebridge._base_url import within_base_url
from storebridge._engine import AsyncEngine, StoreOptions, SyncEngine
from storebridge._operations import Async, Sync
from storebridge._redact import Redactor, install_log_filter, registry
from storebridge._resources import Customers, Orders, Products, Refunds, Transactions, Webhooks
from storebridge._to_the_end import to_the_end
from storebridge.adapter import Adapter
from storebridge.changes import (
    DEFAULT_OVERLAP,
    FEED_RESOURCES,
    ChangeFeed,
    Checkpoint,
    Tracker,
    change_feed,
    check_interval,
    check_overlap,
    check_resources,
    start_positions,
    utc_now,
)
from storebridge.errors import ValidationError
from storebridge.flow import Flow, ListFlow, build_request
from storebridge.model.changes import Change

T = TypeVar("T")


class _Extras:
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
    def _changes_flow(
        self,
        resources: Sequence[str] | str,
        since: Checkpoint | datetime | None,
        overlap: timedelta,
        detail: bool,
        follow: bool,
        interval: float,
        now: Callable[[], datetime] | None,
    ) -> tuple[ListFlow[Change], Tracker]:
        chosen = check_resources(self.adapter, resources)
        clock = now or utc_now
        moment = clock()
        overlap = check_overlap(overlap, moment)
        # "From now" reaches back by the overlap, as every later pass does.
        positions = start_positions(self.adapter, chosen, since, moment - overlap)
        interval = check_interval(interval)
        tracker = Tracker(self.adapter.name, self.adapter.store_id, positions)
        flow = change_feed(
            self.adapter, chosen, tracker, overlap=overlap, now=clock, detail=detail,
            follow=follow, interval=interval,
        )  # fmt: skip
        return flow, tracker

    def __init__(self, adapter: Adapter, options: StoreOptions) -> None:
        install_log_filter()
        self.adapter = adapter
        self.options = options
        self._redactor = Redactor(source=lambda: adapter.secrets)
        registry.register(self._redactor)

    @property
    def platform(self) -> str:
        """The platform's name, as in :func:`storebridge.platforms` (``"29next"``)."""
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
        # Absolute only when it starts with a scheme: "://" in a query value is a value.
        url = path if _ABSOLUTE.match(path) else f"{self.adapter.base_url}/{path.lstrip('/')}"
        if not within_base_url(url, self.adapter.base_url):
            raise ValidationError(
                "raw requests may only target this store's base URL "
                "(same host, a path under it, no user info or dot segments); the "
                "credentials go with them",
                field="path",
            )
        return build_request(
            method, url, operation=f"raw {method.upper()}", idempotent=idempotent,
            params=params, json=json, headers=headers, expect_json=False,
        )  # fmt: skip

    def __repr__(self) -> str:
        return self._redactor(f"<{type(self).__name__} {self.platform} {self.adapter.base_url}>")


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _client_kwargs(options: StoreOptions) -> dict[str, Any]:
    return {
        "timeout": _http.Timeout(options.timeout),
        "follow_redirects": False,
        "verify": _http.shared_ssl_context(),
    }


class Store(_StoreBase):
    """A connection to one store. Use as a context manager, or call :meth:`close`."""

    orders: Orders[Sync]
    customers: Customers[Sync]
    products: Products[Sync]
    refunds: Refunds[Sync]
    transactions: Transactions[Sync]
    webhooks: Webhooks[Sync]

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
        self.refunds = Refunds(adapter, self._engine, self.options)
        self.transactions = Transactions(adapter, self._engine)
        self.webhooks = Webhooks(adapter, self._engine)
        self.extra = _Extras(adapter, self._engine.run, self._engine.iterate)

    @property
    def concurrency(self) -> int:
        """Requests this store would keep in flight now (rate limit x observed latency)."""
        return self._engine.policy.pacer.in_flight()

    def changes(
        self,
        resources: Sequence[str] | str = FEED_RESOURCES,
        *,
        since: Checkpoint | datetime | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        detail: bool = False,
        follow: bool = False,
        interval: float = 60.0,
        now: Callable[[], datetime] | None = None,
    ) -> ChangeFeed:
        """What changed in ``resources`` since ``since``: one Change per record version.

        ``since`` is a :class:`~storebridge.changes.Checkpoint` saved from an earlier change
        (resume exactly after it), a datetime (changes from then on), or None (from now,
        less ``overlap``: a platform clock behind ours loses nothing).
        One pass per resource, then the iteration ends; ``follow=True`` polls every
        ``interval`` seconds for ever. ``overlap`` allows for the platform's clock and
        replicas lagging ours; ``now`` replaces the wall clock (tests, sandboxes on fake
        time). Iterate the returned feed; ``feed.checkpoint`` is where it has got to. See
        :mod:`storebridge.changes`.
        """
        flow, tracker = self._changes_flow(resources, since, overlap, detail, follow, interval, now)
        return ChangeFeed(self._engine.iterate(flow), tracker)

    def run(self, flow: Flow[T]) -> T:
        """Run any adapter flow (e.g. a platform operation) and return its result."""
        result: T = self._engine.run(flow)
        return result

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


class AsyncStore(_StoreBase):
    """The async twin of :class:`Store`: ``async with`` it, ``await`` its operations."""

    orders: Orders[Async]
    customers: Customers[Async]
    products: Products[Async]
    refunds: Refunds[Async]
    transactions: Transactions[Async]
    webhooks: Webhooks[Async]

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
        self.orders = Orders(adapter, self._engine)
        self.customers = Customers(adapter, self._engine)
        self.products = Products(adapter, self._engine)
        self.refunds = Refunds(adapter, self._engine, self.options)
        self.transactions = Transactions(adapter, self._engine)
        self.webhooks = Webhooks(adapter, self._engine)
        self.extra = _Extras(adapter, self._engine.run, self._engine.iterate)

    @property
    def concurrency(self) -> int:
        """Requests this store would keep in flight now (rate limit x observed latency)."""
        return self._engine.policy.pacer.in_flight()

    def changes(
        self,
        resources: Sequence[str] | str = FEED_RESOURCES,
        *,
        since: Checkpoint | datetime | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        detail: bool = False,
        follow: bool = False,
        interval: float = 60.0,
        now: Callable[[], datetime] | None = None,
    ) -> ChangeFeed:
        """The async change feed (``async for``; see :meth:`Store.changes`)."""
        flow, tracker = self._changes_flow(resources, since, overlap, detail, follow, interval, now)
        return ChangeFeed(self._engine.iterate(flow), tracker)

    def run(self, flow: Flow[T]) -> Awaitable[T]:
        """Run any adapter flow and await its result."""
        result: Awaitable[T] = self._engine.run(flow)
        return result

    def iterate(self, flow: ListFlow[T]) -> AsyncGenerator[T, None]:
        """Run a list flow lazily."""
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
        """Send a request the model does not cover (see :meth:`Store.request`)."""
        return await self._engine.send(
            self._raw_request(method, path, params, json, headers, idempotent)
        )

    def with_options(self, **changes: Any) -> AsyncStore:
        """This store with some options changed; shares the connection pool."""
        options = attrs.evolve(self.options, **changes)
        return AsyncStore(self.adapter, options=options, _client=self._engine.client)

    async def aclose(self) -> None:
        """Wait for the store's last requests, then close its client. A cancellation that
        comes meanwhile cancels the requests still waited for and is raised once the store
        is closed, not halfway."""
        try:
            engine = self._engine
            await to_the_end(engine.aclose(close_client=self._owns_client), hurry=engine.hurry)
        finally:
            registry.unregister(self._redactor)

    async def __aenter__(self) -> Self:
        return self

    def __enter__(self) -> NoReturn:
        # Without this, ``with`` says only that the object does not support the protocol.
        raise TypeError(
            "an AsyncStore is opened with `async with storebridge.connect_async(...)`; "
            "for a plain `with`, use storebridge.connect(...)"
        )

    def __exit__(self, *exc: object) -> None:  # pragma: no cover - __enter__ always raises
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


__all__ = [
    "AsyncStore",
    "Customers",
    "Orders",
    "Products",
    "Refunds",
    "Store",
    "Transactions",
    "Webhooks",
]
