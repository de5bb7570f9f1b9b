"""The dlt source: orders, customers and products of many stores, loaded incrementally.

Each resource reads every store concurrently through the fleet's merged listing, keeps
what is new or changed since the store's last load (:mod:`storebridge.dlt.cursor`) and
merges it into the destination on ``(store, ref)``: a record loaded again replaces its
row and its child rows (``orders__lines``, ``customers__addresses``, ``products__variants``
and the other nested lists). One failing store never stops the others: its cursor stays
where it was, so the next run picks up whatever it missed.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import dlt
from dlt.extract.source import DltSource

from storebridge._engine import StoreOptions
from storebridge.adapter import Adapter
from storebridge.changes import check_overlap, utc_now
from storebridge.dlt.cursor import DEFAULT_OVERLAP, UpdatedAtCursor
from storebridge.dlt.hints import table_hints
from storebridge.dlt.rows import AMOUNT_SCALE, UnloadableValue, row
from storebridge.errors import ConfigurationError, ValidationError
from storebridge.fleet import Fleet, FleetError, FleetReport, StoreResult, StoreSpec, fleet
from storebridge.fleet.listing import FleetListing, queries
from storebridge.model import Customer, Order, Product
from storebridge.store import AsyncStore

__all__ = ["RESOURCES", "as_fleet", "merge_reports", "source"]

RESOURCES = ("orders", "customers", "products")
MODELS: dict[str, type] = {"orders": Order, "customers": Customer, "products": Product}
SOURCE_NAME = "storebridge"
_BATCH = 500
"""Rows handed to dlt at once."""

log = logging.getLogger("storebridge.dlt")

Collect = Callable[[str, FleetReport], None]
"""Receives each resource's per-store outcome (``load()`` builds its report from these)."""
Clock = Callable[[], datetime]
"""The caller's wall clock: now, timezone-aware."""


def as_fleet(
    stores: Fleet | Iterable[str | StoreSpec],
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
) -> Fleet:
    """``stores`` as a Fleet: one already, or profile names / StoreSpecs."""
    if isinstance(stores, Fleet):
        return stores
    if isinstance(stores, str):
        raise ConfigurationError(
            f"stores must be a list of profile names, e.g. [{stores!r}], not one string",
            setting="stores",
        )
    return fleet(list(stores), config=config, options=options)


def source(
    stores: Fleet | Iterable[str | StoreSpec],
    *,
    resources: Sequence[str] = RESOURCES,
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    detail: bool = True,
    errors: Literal["warn", "raise"] = "warn",
    collect: Collect | None = None,
    amount_scale: int = AMOUNT_SCALE,
    now: Clock | None = None,
) -> DltSource:
    """A dlt source over ``stores`` (profile names, a :class:`~storebridge.fleet.Fleet`, or
    StoreSpecs) with the resources ``orders``, ``customers`` and ``products``.

    Rows carry a ``store`` column; the primary key is ``(store, ref)`` and the write
    disposition ``merge``. Each run loads only what changed since the store's last run
    (by ``updated_at``, with ``overlap`` re-read and de-duplicated). ``detail=True`` loads
    complete orders with their lines. ``errors="warn"``: a failing store is logged on
    ``storebridge.dlt`` and skipped; ``"raise"``: after every other store was read, the
    run fails with :class:`~storebridge.fleet.FleetError` (and loads nothing).
    ``amount_scale``: the decimals the destination's amount columns keep (fewer in tables
    an earlier version created); a finer amount stops the run rather than be rounded.
    ``now`` replaces the wall clock (tests, sandboxes on fake time): a run's position is
    never later than when it began less ``overlap``, so each run reads again up to twice
    ``overlap`` plus the length of the run before it (see :mod:`storebridge.dlt.cursor`).
    """
    check_overlap(overlap)
    unknown = [name for name in resources if name not in RESOURCES]
    if unknown or not resources:
        raise ConfigurationError(
            f"resources must be some of {', '.join(RESOURCES)}; got {', '.join(unknown) or 'none'}",
            setting="resources",
        )
    if errors not in ("warn", "raise"):
        raise ConfigurationError(
            f'errors must be "warn" or "raise", got {errors!r}', setting="errors"
        )
    clock = now or utc_now
    _started(clock)  # a clock that cannot serve fails here, not inside the pipeline's extract
    group = as_fleet(stores, config, options)

    def make(name: str) -> Any:
        def records() -> Iterator[list[dict[str, Any]]]:
            yield from _records(group, name, overlap, detail, errors, collect, amount_scale, clock)

        columns, nested = table_hints(MODELS[name], name)
        hints: dict[str, Any] = {"columns": columns, "nested_hints": nested}
        return dlt.resource(
            records, name=name, write_disposition="merge", primary_key=("store", "ref"), **hints
        )

    @dlt.source(name=SOURCE_NAME)
    def storebridge_source() -> Any:
        return [make(name) for name in resources]

    built: DltSource = storebridge_source()
    return built


class _TimedListing(FleetListing[Any]):
    """A fleet listing whose records come as ``(record, change time)``: the change time is
    the store's own adapter's reading (:meth:`Adapter.change_time`), taken where the
    adapter is at hand."""

    async def _records(self, store: AsyncStore, name: str) -> AsyncGenerator[Any, None]:
        async with contextlib.aclosing(super()._records(store, name)) as records:
            async for record in records:
                yield record, _change_time(store.adapter, record)


def _change_time(adapter: Adapter, record: Any) -> datetime | None:
    """What the cursor compares: the latest instant ``record``'s ``updated_at`` may mean.
    None without ``updated_at``: such a record is compared by content, since the
    ``created_at`` the adapter would fall back on does not move when it is edited."""
    if getattr(record, "updated_at", None) is None:
        return None
    return adapter.change_time(record)


def _started(now: Clock) -> datetime:
    moment = now()
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValidationError(
            f"now must return a timezone-aware datetime, got {moment!r}: "
            "e.g. lambda: datetime.now(UTC)",
            field="now",
        )
    return moment


def _records(
    group: Fleet,
    resource: str,
    overlap: timedelta,
    detail: bool,
    errors: str,
    collect: Collect | None,
    amount_scale: int = AMOUNT_SCALE,
    now: Clock = utc_now,
) -> Iterator[list[dict[str, Any]]]:
    state = dlt.current.resource_state().setdefault("stores", {})
    # Taken before the first request: an edit made after the listing read its record
    # is stamped later than this (within the overlap, on a platform clock behind ours).
    started = _started(now)
    cursors = {
        name: UpdatedAtCursor.from_state(state.get(name), overlap, started) for name in group.names
    }
    query: dict[str, Any] = {"updated_since": {n: c.since() for n, c in cursors.items()}}
    if resource == "orders":
        query["detail"] = detail
    listing = _TimedListing(
        group.specs, resource, queries(query), stores_at_once=group.stores_at_once,
        errors="report",
    )  # fmt: skip
    loaded = dict.fromkeys(group.names, 0)
    batch: list[dict[str, Any]] = []
    for store, (record, changed_at) in listing:
        if cursors[store].admit(record.ref, changed_at, record):
            try:
                batch.append(row(store, record, amount_scale))
            except UnloadableValue as error:
                raise UnloadableValue(f"store {store}, {resource} {record.ref}: {error}") from None
            loaded[store] += 1
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch
    report = listing.report
    if report is None:  # the loop above read the listing to its end, which sets it
        raise RuntimeError("the fleet listing ended without its report")
    for name, result in report.results.items():
        if result.ok:
            state[name] = cursors[name].to_state()
        else:
            log.warning(
                "%s: store %s failed; what it gave is loaded, its position is kept for the "
                "next run: %s", resource, name, result.error,
            )  # fmt: skip
    outcome = FleetReport(
        {
            name: StoreResult(
                store=name, platform=result.platform, counts={resource: loaded[name]},
                elapsed=result.elapsed, error=result.error,
                details={"read": dict(result.counts)},
            )
            for name, result in report.results.items()
        },
        elapsed=report.elapsed,
        operation=f"load {resource}",
    )  # fmt: skip
    if collect is not None:
        collect(resource, outcome)
    if errors == "raise" and not report.ok:
        raise FleetError(outcome)


def merge_reports(reports: Sequence[FleetReport], operation: str) -> FleetReport:
    """One report from several resources' reports: counts side by side, the first error."""
    merged: dict[str, StoreResult] = {}
    for report in reports:
        for name, result in report.results.items():
            before = merged.get(name)
            if before is None:
                merged[name] = result
                continue
            merged[name] = StoreResult(
                store=name, platform=before.platform or result.platform,
                counts={**before.counts, **result.counts},
                elapsed=before.elapsed + result.elapsed, error=before.error or result.error,
            )  # fmt: skip
    elapsed = sum(report.elapsed for report in reports)
    return FleetReport(merged, elapsed=elapsed, operation=operation)
