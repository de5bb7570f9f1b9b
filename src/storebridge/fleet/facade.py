"""The :class:`Fleet`: many stores behind one API, and :func:`fleet` to name them.

A fleet holds :class:`~storebridge.fleet.StoreSpec` s, not open stores: each operation
opens the stores it needs where it runs, works on all of them concurrently (each within its
own rate limit) and closes them, so a fleet is cheap to keep and safe to pickle.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from storebridge._engine import StoreOptions
from storebridge.errors import ConfigurationError
from storebridge.fleet._bridge import run_blocking
from storebridge.fleet.jobs import Job, run_jobs_here
from storebridge.fleet.listing import FleetResource
from storebridge.fleet.report import FleetReport, StoreFailure, StoreResult
from storebridge.fleet.spec import StoreSpec, select_profiles
from storebridge.model import Customer, Order, Product
from storebridge.store import AsyncStore

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DEFAULT_STORES_AT_ONCE", "Fleet", "fleet"]


DEFAULT_STORES_AT_ONCE = 100
"""Stores worked on at the same time by one process (each keeps its own connections)."""


class Fleet:
    """Many stores, one API.

    * ``fleet.orders.list(...)`` (and ``.customers``, ``.products``): every store's records
      merged as they arrive, each as ``Tagged(store, record)``; ``for`` or ``async for``.
    * :meth:`map` / :meth:`amap`: run a function on every store; per-store results.
    * :meth:`run`: run a per-store job (export, migrate, load) here or on Dask.

    One failing store never stops the others; every operation reports each store's
    counts, elapsed time and error in a :class:`~storebridge.fleet.FleetReport`.
    """

    orders: FleetResource[Order]
    customers: FleetResource[Customer]
    products: FleetResource[Product]

    def __init__(
        self,
        stores: Iterable[StoreSpec],
        *,
        options: StoreOptions | None = None,
        stores_at_once: int = DEFAULT_STORES_AT_ONCE,
    ) -> None:
        specs = [spec.with_options(options) for spec in stores]
        names = [spec.name for spec in specs]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ConfigurationError(
                f"a fleet's store names must be unique; repeated: {', '.join(duplicated)}",
                setting="stores",
            )
        if not specs:
            raise ConfigurationError("a fleet needs at least one store", setting="stores")
        self.specs: tuple[StoreSpec, ...] = tuple(specs)
        self.stores_at_once = max(1, stores_at_once)
        self.orders = FleetResource(self._current, "orders", self.stores_at_once)
        self.customers = FleetResource(self._current, "customers", self.stores_at_once)
        self.products = FleetResource(self._current, "products", self.stores_at_once)

    def _current(self) -> Sequence[StoreSpec]:
        return self.specs

    @property
    def names(self) -> list[str]:
        """The stores' names, in the fleet's order."""
        return [spec.name for spec in self.specs]

    def __len__(self) -> int:
        return len(self.specs)

    def __repr__(self) -> str:
        return f"<Fleet of {len(self.specs)} stores: {', '.join(self.names)}>"

    def only(self, names: Iterable[str]) -> Fleet:
        """The same fleet restricted to ``names``."""
        wanted = set(names)
        unknown = sorted(wanted - set(self.names))
        if unknown:
            raise ConfigurationError(
                f"not in this fleet: {', '.join(unknown)}; it has {', '.join(self.names)}",
                setting="stores",
            )
        return Fleet(
            [spec for spec in self.specs if spec.name in wanted],
            stores_at_once=self.stores_at_once,
        )

    # Fan-out -------------------------------------------------------------------------
    async def amap(
        self, fn: Callable[[AsyncStore], object], *, operation: str = "map"
    ) -> FleetReport:
        """Call ``fn(store)`` for every store (opened as an AsyncStore) concurrently.

        ``fn`` is a coroutine function or a plain one (what it returns is awaited when it
        is awaitable).

        Returns a report whose results carry each store's ``value`` (what ``fn`` returned)
        or its ``error``; ``report.values()`` is ``{store: value}`` of those that succeeded.
        """
        started = time.monotonic()
        limit = asyncio.Semaphore(self.stores_at_once)

        async def one(spec: StoreSpec) -> StoreResult:
            async with limit:
                return await _call(spec, fn)

        results = await asyncio.gather(*(one(spec) for spec in self.specs))
        return FleetReport(
            {result.store: result for result in results},
            elapsed=time.monotonic() - started,
            operation=operation,
        )

    def map(self, fn: Callable[[AsyncStore], object], *, operation: str = "map") -> FleetReport:
        """:meth:`amap` for synchronous callers (runs on an event loop of its own)."""
        return run_blocking(lambda: self.amap(fn, operation=operation))

    # Jobs ----------------------------------------------------------------------------
    def run(self, job: Job, *, cluster: Client | str | None = None) -> FleetReport:
        """Run ``job`` (e.g. :class:`~storebridge.fleet.ExportJob`) once per store.

        ``cluster=None`` runs here, stores concurrently. Otherwise one Dask task per store
        (needs the ``storebridge[dask]`` extra): a ``distributed.Client``, a scheduler
        address (``"tcp://scheduler:8786"``), or ``"local"`` for a LocalCluster of
        processes on this machine. The results are the same either way.
        """
        if cluster is None:
            return run_blocking(lambda: run_jobs_here(job, self.specs, self.stores_at_once))
        from storebridge.fleet.dask import run_on_dask

        return run_on_dask(job, self.specs, cluster)

    async def arun(self, job: Job) -> FleetReport:
        """Run ``job`` once per store in this event loop (see :meth:`run`)."""
        return await run_jobs_here(job, self.specs, self.stores_at_once)


async def _call(spec: StoreSpec, fn: Callable[[AsyncStore], Any]) -> StoreResult:
    started = time.monotonic()
    platform = spec.platform or ""
    try:
        store = spec.connect_async()
        platform = store.platform
        async with store:
            value = fn(store)
            if inspect.isawaitable(value):
                value = await value
    except Exception as exc:  # one store's failure is its result, never the fleet's
        return StoreResult(
            store=spec.name, platform=platform or spec.platform_label(),
            elapsed=time.monotonic() - started, error=StoreFailure.of(exc),
        )  # fmt: skip
    return StoreResult(
        store=spec.name, platform=platform, elapsed=time.monotonic() - started, value=value
    )


def fleet(
    stores: Iterable[str | StoreSpec] | None = None,
    *,
    tag: str | None = None,
    all_profiles: bool = False,
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
    stores_at_once: int = DEFAULT_STORES_AT_ONCE,
) -> Fleet:
    """A :class:`Fleet` of stores from ``storebridge.toml`` profiles.

    ``storebridge.fleet(["shop-a", "shop-b"])`` names profiles;
    ``storebridge.fleet(tag="eu")`` takes every profile with ``tags = ["eu", ...]``;
    ``storebridge.fleet(all_profiles=True)`` takes them all. ``config=`` names the profile
    file (as for :func:`storebridge.connect`). ``stores`` may also hold
    :class:`~storebridge.fleet.StoreSpec` s (a platform and settings, a transport...).
    ``options`` apply to every store; ``stores_at_once`` caps how many are worked on at
    the same time.

    Secrets are read from the environment when each store is opened, so a missing one
    fails that store only. An unknown profile name fails here, before any work.
    """
    given = None if stores is None else list(stores)
    specs: list[StoreSpec] = []
    if given is not None and all(isinstance(item, StoreSpec) for item in given):
        if tag is not None or all_profiles:
            raise ConfigurationError(
                "give StoreSpecs, or tag= / all_profiles=True, not both", setting="stores"
            )
        specs = [item for item in given if isinstance(item, StoreSpec)]
    else:
        names = None if given is None else [item for item in given if isinstance(item, str)]
        specs = select_profiles(names, tag=tag, all_profiles=all_profiles, config=config)
        if given is not None:
            by_name = {spec.name: spec for spec in specs}
            specs = [item if isinstance(item, StoreSpec) else by_name[item] for item in given]
    return Fleet(specs, options=options, stores_at_once=stores_at_once)
