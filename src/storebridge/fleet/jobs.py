"""Per-store jobs: work that runs once for each store of a fleet, anywhere.

A job is a small picklable object; running it for one store (:func:`run_store_job`) opens
that store from its :class:`~storebridge.fleet.StoreSpec`, does the work, closes it and
returns a :class:`~storebridge.fleet.StoreResult`, never raising: a failure is the
result's ``error``. The same job runs in-process (:meth:`Fleet.run
<storebridge.fleet.Fleet.run>`) or as one Dask task per store
(:func:`storebridge.fleet.dask.run_on_dask`), with the same results.

Built in: :class:`ExportJob` (a resource to one JSON-lines file per store) and
:class:`MigrateJob` (each store into its target, one ledger per migration);
``storebridge.dlt.LoadJob`` loads each store through the dlt source.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

import storebridge
from storebridge._files import open_part, replacing
from storebridge.errors import ConfigurationError
from storebridge.fleet.report import FleetReport, StoreFailure, StoreResult
from storebridge.fleet.spec import StoreSpec
from storebridge.serialization import json_line, to_dict

if TYPE_CHECKING:
    from storebridge.migrate.ledger import Route
    from storebridge.migrate.report import MigrationReport

__all__ = [
    "EXPORTABLE",
    "ExportJob",
    "Job",
    "JobResult",
    "MigrateJob",
    "file_name",
    "run_jobs_here",
    "run_store_job",
    "run_store_job_async",
]

EXPORTABLE = ("orders", "customers", "products")


@attrs.frozen
class JobResult:
    """What one store's run of a job did: ``counts``, JSON-safe ``details``, and ``problem``
    (a job that finished but did not succeed, e.g. a migration whose verification failed)."""

    counts: Mapping[str, int] = attrs.field(factory=dict)
    details: Mapping[str, Any] = attrs.field(factory=dict)
    problem: str | None = None


class Job:
    """Base class of per-store jobs. Override :meth:`arun` (async work) or :meth:`run`
    (blocking work); each defaults to running the other. Jobs must pickle (plain
    attributes), since Dask sends them to its workers."""

    @property
    def name(self) -> str:
        """What the job does, for reports (``"export orders"``)."""
        return type(self).__name__

    async def arun(self, spec: StoreSpec) -> JobResult:
        """Do the work for one store, in an event loop."""
        if type(self).run is Job.run:
            raise NotImplementedError(f"{type(self).__name__} overrides neither run nor arun")
        return await asyncio.to_thread(self.run, spec)

    def run(self, spec: StoreSpec) -> JobResult:
        """Do the work for one store, blocking."""
        if type(self).arun is Job.arun:
            raise NotImplementedError(f"{type(self).__name__} overrides neither run nor arun")
        return asyncio.run(self.arun(spec))


async def run_store_job_async(job: Job, spec: StoreSpec) -> StoreResult:
    """Run ``job`` for one store in this loop; a failure becomes the result's error."""
    started = time.monotonic()
    try:
        outcome = await job.arun(spec)
    except Exception as exc:  # one store's failure is reported, never raised
        return StoreResult(
            store=spec.name, platform=spec.platform_label(), elapsed=time.monotonic() - started,
            error=StoreFailure.of(exc),
        )  # fmt: skip
    return _result(spec, outcome, time.monotonic() - started)


def run_store_job(job: Job, spec: StoreSpec) -> StoreResult:
    """Run ``job`` for one store, blocking (what one Dask task does)."""
    started = time.monotonic()
    try:
        outcome = job.run(spec)
    except Exception as exc:  # one store's failure is reported, never raised
        return StoreResult(
            store=spec.name, platform=spec.platform_label(), elapsed=time.monotonic() - started,
            error=StoreFailure.of(exc),
        )  # fmt: skip
    return _result(spec, outcome, time.monotonic() - started)


async def run_jobs_here(job: Job, specs: Sequence[StoreSpec], at_once: int) -> FleetReport:
    """Run ``job`` for every store in this process, ``at_once`` stores at a time."""
    started = time.monotonic()
    limit = asyncio.Semaphore(max(1, at_once))

    async def one(spec: StoreSpec) -> StoreResult:
        async with limit:
            return await run_store_job_async(job, spec)

    results = await asyncio.gather(*(one(spec) for spec in specs))
    return FleetReport(
        {result.store: result for result in results},
        elapsed=time.monotonic() - started,
        operation=job.name,
    )


def _result(spec: StoreSpec, outcome: JobResult, elapsed: float) -> StoreResult:
    error = StoreFailure("JobProblem", outcome.problem) if outcome.problem else None
    return StoreResult(
        store=spec.name, platform=spec.platform_label(), counts=dict(outcome.counts),
        elapsed=elapsed, error=error, details=dict(outcome.details),
    )  # fmt: skip


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


_JOINER = "-to-"
"""What joins a source's and a target's names in a ledger's file name."""


def file_name(store: str) -> str:
    """A file name for ``store``: the name itself when it is safe, else a safe form plus a
    short hash (so two names never share a file)."""
    safe = _UNSAFE.sub("_", store).strip(".") or "store"
    if safe == store:
        return safe
    return f"{safe}-{hashlib.sha256(store.encode()).hexdigest()[:8]}"


@attrs.frozen
class ExportJob(Job):
    """Write one store's ``resource`` to ``directory/<store>.<resource>.jsonl``.

    One JSON object per line, exactly as ``storebridge export`` writes them. The file
    appears only once complete and on disk (written as a ``.part`` file beside it first);
    a file it replaces keeps its permissions, and a symlink there keeps pointing at the file
    it names, which is the one replaced. ``detail`` (orders only) defaults to complete
    orders with their lines; ``updated_since`` limits the records. On Dask, ``directory``
    must be a path every worker can write to (shared storage).
    """

    resource: str
    directory: Path = attrs.field(converter=Path)
    updated_since: datetime | None = None
    detail: bool | None = None

    def __attrs_post_init__(self) -> None:
        if self.resource not in EXPORTABLE:
            raise ConfigurationError(
                f"ExportJob resource must be one of {', '.join(EXPORTABLE)}, got {self.resource!r}",
                setting="resource",
            )

    @property
    def name(self) -> str:
        return f"export {self.resource}"

    def target(self, store: str) -> Path:
        """Where ``store``'s records go."""
        return self.directory / f"{file_name(store)}.{self.resource}.jsonl"

    async def arun(self, spec: StoreSpec) -> JobResult:
        path = self.target(spec.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        out, part = open_part(path)
        query: dict[str, Any] = {"updated_since": self.updated_since}
        if self.resource == "orders":
            query["detail"] = self.detail is not False
        count = 0
        with replacing(path, out, part):
            async with spec.connect_async() as store:
                # A write that fails (a full disk) closes the listing here, so its requests
                # stop before the store closes rather than being waited for.
                records = getattr(store, self.resource).list(**query)
                async with contextlib.aclosing(records):
                    async for record in records:
                        out.write(json_line(to_dict(record)))
                        count += 1
        return JobResult(counts={self.resource: count}, details={"file": str(path)})


@attrs.frozen
class MigrateJob(Job):
    """Migrate each source store into its target: ``targets`` maps a source store's name to
    its target (a profile name, or a :class:`~storebridge.fleet.StoreSpec`).

    Each migration keeps its own ledger, ``ledgers/<source>-to-<target>.sqlite``, so
    re-running resumes it (with ``since="last-run"`` it catches up). On Dask, ``ledgers``
    must be storage every worker reaches, and one migration must never run twice at once.
    Counts are the records migrated per resource, earlier runs' included (the counts of a
    resumed run are those of the whole migration); a migration that ends with failures or
    verification mismatches is the store's error, with its status.
    """

    targets: Mapping[str, str | StoreSpec]
    ledgers: Path = attrs.field(converter=Path)
    dry_run: bool = False
    since: datetime | str | None = None
    verify: bool = True

    @property
    def name(self) -> str:
        return "migrate"

    def target_spec(self, source: StoreSpec) -> StoreSpec:
        """The spec of ``source``'s target store."""
        target = self.targets.get(source.name)
        if target is None:
            raise ConfigurationError(
                f"store {source.name!r} has no target in the migration's targets",
                setting="targets",
            )
        if isinstance(target, StoreSpec):
            return target
        return StoreSpec.from_profile(target, source.config)

    def ledger(self, source: StoreSpec) -> Path:
        """The ledger file of ``source``'s migration."""
        target = self.target_spec(source)
        name = f"{file_name(source.name)}-to-{file_name(target.name)}"
        if _JOINER in source.name or _JOINER in target.name:
            # "a-to-b" into "c" and "a" into "b-to-c" would share a name: the pair decides.
            pair = f"{source.name}\0{target.name}".encode()
            name += f"-{hashlib.sha256(pair).hexdigest()[:8]}"
        return self.ledgers / f"{name}.sqlite"

    def run(self, spec: StoreSpec) -> JobResult:
        target_spec = self.target_spec(spec)
        ledger = self.ledger(spec)
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with spec.connect() as source, target_spec.connect() as target:
            report = storebridge.migrate(
                source, target, ledger=ledger, dry_run=self.dry_run, since=self.since,
                verify=self.verify,
            )  # fmt: skip
            from storebridge.migrate.plan import check_route  # loaded with migrations

            route = check_route(source, target)  # the ledger's key for this migration
        # What is on the target for this migration, earlier runs' part included, as the
        # ledger has it: a run resuming an interrupted one (a retried task) counted only its
        # own part, and its report's "earlier" also holds what failed before.
        counts = (
            {resource: result.moved for resource, result in report.results.items()}
            if self.dry_run
            else _migrated(ledger, route, report)
        )
        details = {"target": target_spec.name, "ledger": str(ledger), "status": report.status}
        problem = None
        if not report.ok:
            problem = f"the migration to {target_spec.name} ended {report.status}"
        return JobResult(counts=counts, details=details, problem=problem)


def _migrated(path: Path, route: Route, report: MigrationReport) -> dict[str, int]:
    """Per resource of ``report``, the records the ledger holds as copied for ``route``."""
    from storebridge.migrate.ledger import Ledger

    ledger = Ledger(path, route)
    try:
        return {resource: ledger.count(resource, ("done",)) for resource in report.results}
    finally:
        ledger.close()
