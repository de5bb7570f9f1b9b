"""The dlt source: orders, customers and products of many stores, loaded incrementally.

Each resource reads every store concurrently through the fleet's merged listing, keeps
what is new or changed since the store's last load (:mod:`storebridge.dlt.cursor`) and
merges it into the destination on ``(store, ref)``: a record loaded again replaces its
row and its child rows (``orders__lines``, ``customers__addresses``, ``products__variants``
and the other nested lists). One failing store never stops the others: its cursor stays
where it was, so the next run picks up whatever it missed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any, Literal

import dlt
from dlt.extract.source import DltSource

from storebridge._engine import StoreOptions
from storebridge.dlt.cursor import DEFAULT_OVERLAP, UpdatedAtCursor
from storebridge.dlt.hints import table_hints
from storebridge.dlt.rows import AMOUNT_SCALE, row
from storebridge.errors import ConfigurationError
from storebridge.fleet import Fleet, FleetError, FleetReport, StoreResult, StoreSpec, fleet
from storebridge.model import Customer, Order, Product

__all__ = ["RESOURCES", "as_fleet", "merge_reports", "source"]

RESOURCES = ("orders", "customers", "products")
MODELS: dict[str, type] = {"orders": Order, "customers": Customer, "products": Product}
SOURCE_NAME = "storebridge"
_BATCH = 500
"""Rows handed to dlt at once."""

log = logging.getLogger("storebridge.dlt")

Collect = Callable[[str, FleetReport], None]
"""Receives each resource's per-store outcome (``load()`` builds its report from these)."""


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
    """
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
    group = as_fleet(stores, config, options)

    def make(name: str) -> Any:
        def records() -> Iterator[list[dict[str, Any]]]:
            yield from _records(group, name, overlap, detail, errors, collect, amount_scale)

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


def _records(
    group: Fleet,
    resource: str,
    overlap: timedelta,
    detail: bool,
    errors: str,
    collect: Collect | None,
    amount_scale: int = AMOUNT_SCALE,
) -> Iterator[list[dict[str, Any]]]:
    state = dlt.current.resource_state().setdefault("stores", {})
    cursors = {name: UpdatedAtCursor.from_state(state.get(name), overlap) for name in group.names}
    query: dict[str, Any] = {"updated_since": {n: c.since() for n, c in cursors.items()}}
    if resource == "orders":
        query["detail"] = detail
    listing = getattr(group, resource).list(errors="report", **query)
    loaded = dict.fromkeys(group.names, 0)
    batch: list[dict[str, Any]] = []
    for store, record in listing:
        if cursors[store].admit(record.ref, record.updated_at, record):
            batch.append(row(store, record, amount_scale))
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
            log.warning("%s: store %s failed and was skipped: %s", resource, name, result.error)
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
