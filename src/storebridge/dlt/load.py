"""Running the source: :func:`load` (one pipeline for many stores) and :class:`LoadJob`
(one pipeline per store, for :meth:`Fleet.run <storebridge.fleet.Fleet.run>` and Dask)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import attrs
import dlt

from storebridge._chain import interrupted, wrapped
from storebridge._engine import StoreOptions
from storebridge.changes import check_overlap
from storebridge.dlt.cursor import DEFAULT_OVERLAP
from storebridge.dlt.rows import AMOUNT_SCALE
from storebridge.dlt.source import RESOURCES, Clock, as_fleet, merge_reports, source
from storebridge.errors import StorebridgeError
from storebridge.fleet import Fleet, FleetReport, Job, JobResult, StoreSpec
from storebridge.fleet.jobs import file_name

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_DATASET",
    "LoadJob",
    "LoadResult",
    "PendingLoadFailed",
    "destination",
    "load",
]

DEFAULT_DATABASE = "storebridge.duckdb"
"""The DuckDB file ``load()`` and ``storebridge load --to duckdb`` write by default."""
DEFAULT_DATASET = "stores"


def destination(name: str = "duckdb", database: str | os.PathLike[str] | None = None) -> Any:
    """A dlt destination: DuckDB in ``database`` (default ``./storebridge.duckdb``) for
    ``"duckdb"``; any other dlt destination by name, configured the dlt way
    (``.dlt/secrets.toml`` or ``DESTINATION__...`` environment variables)."""
    if name == "duckdb":
        # Absolute: dlt would resolve a relative file against its own working folder.
        return dlt.destinations.duckdb(str(Path(database or DEFAULT_DATABASE).resolve()))
    return name


def _amount_scale(to: str, database: str | os.PathLike[str] | None, dataset: str) -> int:
    """The decimals the amount columns of an existing DuckDB database keep: dlt leaves an
    existing column as it is, and an earlier version's were DECIMAL(38, 9)."""
    path = Path(database or DEFAULT_DATABASE)
    if to != "duckdb" or not path.exists():
        return AMOUNT_SCALE
    import duckdb  # the duckdb destination's own driver
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    # dlt names the schema after the dataset in snake case ("MyData" becomes "my_data").
    names = [dataset.lower(), NamingConvention().normalize_identifier(dataset).lower()]
    with duckdb.connect(str(path), read_only=True) as db:
        found = db.execute(
            "SELECT min(numeric_scale) FROM information_schema.columns WHERE "
            "lower(table_schema) IN (?, ?) AND column_name LIKE '%\\_\\_amount' ESCAPE '\\' "
            "AND data_type LIKE 'DECIMAL%'",
            names,
        ).fetchone()
    return AMOUNT_SCALE if found is None or found[0] is None else min(int(found[0]), AMOUNT_SCALE)


@attrs.frozen
class LoadResult:
    """What :func:`load` did: each store's rows loaded per resource (``report``) and dlt's
    own account of the load (``info``)."""

    report: FleetReport
    info: Any

    @property
    def ok(self) -> bool:
        """True when every store was read."""
        return self.report.ok


def load(
    stores: Fleet | Iterable[str | StoreSpec],
    *,
    to: str = "duckdb",
    database: str | os.PathLike[str] | None = None,
    dataset: str = DEFAULT_DATASET,
    pipeline_name: str = "storebridge",
    pipelines_dir: str | os.PathLike[str] | None = None,
    resources: Sequence[str] = RESOURCES,
    config: str | os.PathLike[str] | None = None,
    options: StoreOptions | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    errors: Literal["warn", "raise"] = "warn",
    now: Clock | None = None,
) -> LoadResult:
    """Load ``stores`` into ``to`` (DuckDB by default) with one dlt pipeline; incremental:
    run it again and only what changed is loaded. Returns per-store counts and errors.
    ``overlap`` and ``now`` (the wall clock unless given) are the source's (:func:`source`).
    """
    check_overlap(overlap)
    reports: list[FleetReport] = []
    scale = _amount_scale(to, database, dataset)
    data = source(
        as_fleet(stores, config, options), resources=resources, overlap=overlap, errors=errors,
        collect=lambda _resource, report: reports.append(report), amount_scale=scale, now=now,
    )  # fmt: skip
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination(to, database),
        dataset_name=dataset,
        # dlt's own default (under ~/.dlt) unless a folder is given.
        pipelines_dir=None if pipelines_dir is None else str(pipelines_dir),  # type: ignore[arg-type]
    )
    if pipeline.has_pending_data:
        # An interrupted run left packages: dlt's run() would load only those and read no
        # store at all (a report of nothing, read as success). They go first, on their own.
        try:
            pipeline.run()
        except Exception as exc:
            if interrupted(exc):
                raise
            # dlt tries the package first on every run: one its destination refuses stops
            # every later load, with a failure that names none of this.
            raise PendingLoadFailed(_pending_failed(pipeline_name, pipelines_dir, exc)) from exc
    info = pipeline.run(data)
    return LoadResult(report=merge_reports(reports, f"load to {to}"), info=info)


class PendingLoadFailed(StorebridgeError):
    """A load package an earlier run left (extracted, not loaded) failed to load: dlt loads
    it before anything else on every run, so no store is read until it loads or is dropped."""


def _pending_failed(
    pipeline_name: str, pipelines_dir: str | os.PathLike[str] | None, exc: BaseException
) -> str:
    command = ["dlt", "pipeline"]
    if pipelines_dir is not None:
        # dlt's command looks in its default folder unless told; the pipeline is not there.
        command += ["--pipelines-dir", str(Path(pipelines_dir).resolve())]
    command += [pipeline_name, "drop-pending-packages"]
    return (
        f"a load package from an earlier run of pipeline {pipeline_name!r} could not be "
        f"loaded ({_cause(exc)}); dlt loads it before anything else, so every run fails "
        f"here until it is dropped: run `{shlex.join(command)}`, then load again (if the "
        "destination was only out of reach, just run again)"
    )


def _cause(exc: BaseException) -> str:
    """The innermost error of dlt's step failure, on one line: dlt's own text around it
    (the step, the package, advice for its own API) runs to many lines."""
    *_, innermost = wrapped(exc)
    lines = str(innermost).strip().splitlines()
    text = f"{type(innermost).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= 300 else text[:297] + "..."


@attrs.frozen
class LoadJob(Job):
    """Load each store with a pipeline of its own (``<pipeline_prefix>_<store>``).

    With DuckDB each store gets its own file, ``directory/<store>.duckdb`` (one DuckDB file
    takes one writer at a time); other destinations receive every store in ``dataset``.
    On Dask, ``directory`` must be storage every worker reaches. ``overlap`` and ``now``
    are :func:`load`'s.
    """

    directory: Path = attrs.field(converter=Path)
    to: str = "duckdb"
    dataset: str = DEFAULT_DATASET
    pipeline_prefix: str = "storebridge"
    resources: tuple[str, ...] = attrs.field(default=RESOURCES, converter=tuple)
    overlap: timedelta = attrs.field(default=DEFAULT_OVERLAP, converter=check_overlap)
    now: Clock | None = attrs.field(default=None, eq=False)

    @property
    def name(self) -> str:
        return f"load to {self.to}"

    def run(self, spec: StoreSpec) -> JobResult:
        name = file_name(spec.name)
        try:
            result = load(
                [spec], to=self.to, database=self.directory / f"{name}.duckdb",
                dataset=self.dataset, pipeline_name=f"{self.pipeline_prefix}_{name}",
                pipelines_dir=self.directory / "pipelines", resources=self.resources,
                overlap=self.overlap, errors="raise", now=self.now,
            )  # fmt: skip
        except Exception as exc:
            # dlt wraps the store's own error in its step's failure: the report carries the
            # store's (AuthenticationError, 401...), as an export's does.
            cause = store_error(exc)
            if cause is None:
                raise
            raise cause from None
        return JobResult(counts=dict(result.report[spec.name].counts))


def store_error(exc: BaseException) -> StorebridgeError | None:
    """The StorebridgeError inside ``exc`` (dlt's step failure keeps it as ``exception``,
    or as the cause), if any."""
    return next((e for e in wrapped(exc) if isinstance(e, StorebridgeError)), None)
