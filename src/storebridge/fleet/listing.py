"""One listing over many stores: every store read concurrently, records merged as they come.

Each store is read by its own task on one event loop, through its own
:class:`~storebridge.AsyncStore`, so each credential keeps its own rate limit and requests
in flight (rate x latency) while the loop interleaves them all. Records are tagged with
their store's name. The merged order across stores is the order of arrival; within one
store it is that store's listing order. A store that fails stops only itself: the others
are read to the end, and then :class:`~storebridge.fleet.FleetError` reports the failures
(unless ``errors="report"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from storebridge._to_the_end import stop_if_cancelling
from storebridge.errors import ValidationError
from storebridge.fleet._bridge import iterate_blocking
from storebridge.fleet.report import FleetError, FleetReport, StoreFailure, StoreResult
from storebridge.fleet.spec import StoreSpec
from storebridge.model import Customer, Order, Product
from storebridge.store import AsyncStore

__all__ = ["FleetListing", "FleetResource", "Tagged"]

T = TypeVar("T")
R = TypeVar("R")

ErrorMode = Literal["raise", "report"]

_BUFFER = 2048
"""Records read ahead of the consumer, over all stores (memory stays flat)."""
_BATCH = 512
"""Most records handed over at once."""


class Tagged(NamedTuple, Generic[T]):
    """A record and the name of the store it came from; unpacks as ``store, record``."""

    store: str
    record: T


class _StoreDone:
    """A store's reader finished (its result is in the listing's results), or its
    ``on_store_done`` callback raised ``error``, which ends the listing."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


QueryFor = Callable[[str], dict[str, Any]]


def queries(query: Mapping[str, Any]) -> QueryFor:
    """Per-store keyword arguments: a Mapping value of ``updated_since`` (or of any other
    argument) gives each store its own (``{"shop-a": dt, ...}``; a store not in it gets
    None); any other value is the same for every store."""

    def query_for(store: str) -> dict[str, Any]:
        return {
            key: value.get(store) if isinstance(value, Mapping) else value
            for key, value in query.items()
        }

    return query_for


class FleetListing(Generic[T]):
    """The merged listing of one resource over a fleet: iterate it (``for`` or
    ``async for``) for :class:`Tagged` records; afterwards :attr:`report` holds each store's
    count, elapsed time and error.

    Iterate it once. Stopping early cancels the remaining reads and closes every store.
    """

    def __init__(
        self,
        specs: Sequence[StoreSpec],
        resource: str,
        query_for: QueryFor,
        *,
        stores_at_once: int,
        errors: ErrorMode = "raise",
    ) -> None:
        self._specs = list(specs)
        self._resource = resource
        self._query_for = query_for
        self._stores_at_once = max(1, stores_at_once)
        self._errors = errors
        self._store_done: list[Callable[[StoreResult], None]] = []
        self.report: FleetReport | None = None
        """Every store's result, once the listing has been read to the end."""

    def on_store_done(self, callback: Callable[[StoreResult], None]) -> FleetListing[T]:
        """Call ``callback(result)`` as each store finishes (from the loop reading it)."""
        self._store_done.append(callback)
        return self

    def __iter__(self) -> Iterator[Tagged[T]]:
        return iterate_blocking(self.batches)

    async def __aiter__(self) -> AsyncIterator[Tagged[T]]:
        async with contextlib.aclosing(self.batches()) as batches:
            async for batch in batches:
                for item in batch:
                    yield item

    async def batches(self) -> AsyncGenerator[list[Tagged[T]], None]:
        """The records in lists of whatever has arrived (the cheapest way to consume them)."""
        started = time.monotonic()
        queue: asyncio.Queue[Tagged[T] | _StoreDone] = asyncio.Queue(maxsize=_BUFFER)
        limit = asyncio.Semaphore(self._stores_at_once)
        results: dict[str, StoreResult] = {}

        async def read(spec: StoreSpec) -> None:
            # Only cancellation escapes: then nobody waits for this store's end, and a
            # put into a full queue would never return. Anything else raised here (a
            # callback's error, a BaseException from inside the store's reading) must
            # reach the consumer as this store's end, or the listing would wait forever.
            error: BaseException | None = None
            try:
                async with limit:
                    result = await self._read_store(spec, queue)
                results[spec.name] = result
                for callback in self._store_done:
                    callback(result)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to the consumer, which raises it
                error = exc
            stop_if_cancelling(error)  # stopped while its store was closing
            await queue.put(_StoreDone(error))

        tasks = [asyncio.create_task(read(spec)) for spec in self._specs]
        try:
            finished = 0
            while finished < len(tasks):
                item = await queue.get()
                batch: list[Tagged[T]] = []
                while True:
                    if isinstance(item, _StoreDone):
                        if item.error is not None:
                            raise item.error
                        finished += 1
                    else:
                        batch.append(item)
                    if queue.empty() or len(batch) >= _BATCH:
                        break
                    item = queue.get_nowait()
                if batch:
                    yield batch
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.report = FleetReport(
            {spec.name: results[spec.name] for spec in self._specs},
            elapsed=time.monotonic() - started,
            operation=f"{self._resource}.list",
        )
        if self._errors == "raise" and not self.report.ok:
            raise FleetError(self.report)

    async def _read_store(
        self, spec: StoreSpec, queue: asyncio.Queue[Tagged[T] | _StoreDone]
    ) -> StoreResult:
        started = time.monotonic()
        count = 0
        platform = spec.platform or ""
        error: StoreFailure | None = None
        try:
            store = spec.connect_async()
            platform = store.platform
            # ``async for`` leaves a listing it stops in (cancelled while waiting for room)
            # to the garbage collector; closed here, its requests end before the store does.
            async with store, contextlib.aclosing(self._records(store, spec.name)) as records:
                async for record in records:
                    await queue.put(Tagged(spec.name, record))
                    count += 1
        except Exception as exc:  # one store's failure, whatever it is, stops only that store
            error = StoreFailure.of(exc)
            platform = platform or spec.platform_label()
        return StoreResult(
            store=spec.name,
            platform=platform,
            counts={self._resource: count},
            elapsed=time.monotonic() - started,
            error=error,
        )

    def _records(self, store: AsyncStore, name: str) -> AsyncGenerator[T, None]:
        resource = getattr(store, self._resource)
        records: AsyncGenerator[T, None] = resource.list(**self._query_for(name))
        return records


class FleetResource(Generic[R]):
    """``fleet.orders`` / ``.customers`` / ``.products``: listings merged over the fleet."""

    def __init__(self, fleet_specs: Callable[[], Sequence[StoreSpec]], name: str, at_once: int):
        self._specs = fleet_specs
        self._name = name
        self._at_once = at_once

    def list(
        self,
        *,
        updated_since: datetime | Mapping[str, datetime | None] | None = None,
        errors: ErrorMode = "raise",
        **query: Any,
    ) -> FleetListing[R]:
        """Every store's records, merged as they arrive, each as ``Tagged(store, record)``.

        Takes the arguments of the stores' own ``list()`` (``updated_since``,
        ``detail=True``, ``page_size``...). Any argument given as a Mapping from store name
        to value applies per store (``updated_since={"shop-a": dt_a, "shop-b": dt_b}``).

        ``errors="raise"`` (the default): once every other store has been read, a
        :class:`~storebridge.fleet.FleetError` names the stores that failed.
        ``errors="report"``: nothing is raised; check ``listing.report``.
        """
        if errors not in ("raise", "report"):
            raise ValidationError(
                f'errors must be "raise" or "report", got {errors!r}', field="errors"
            )
        return FleetListing(
            self._specs(),
            self._name,
            queries({"updated_since": updated_since, **query}),
            stores_at_once=self._at_once,
            errors=errors,
        )


# The record types each fleet resource yields, for readers of the types.
OrdersResource = FleetResource[Order]
CustomersResource = FleetResource[Customer]
ProductsResource = FleetResource[Product]
