"""Moving customers, products and orders from one store to another, exactly once.

The order of work: refuse what cannot work (:mod:`~storebridge.migrate.plan`), then
customers, products and orders, each streamed from the source and written in bounded
batches (:mod:`~storebridge.migrate.phases`), then verification against both stores read
afresh (:mod:`~storebridge.migrate.verify`). A dry run is the same run with a writer that
records instead of sending (:mod:`~storebridge.migrate.writers`) and a private copy of the
ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from storebridge.changes import DEFAULT_OVERLAP
from storebridge.errors import ValidationError
from storebridge.migrate.ledger import Ledger, Route
from storebridge.migrate.mapping import KINDS, fingerprint, original_total
from storebridge.migrate.phases import Phase
from storebridge.migrate.plan import Planner, blockers, check_route
from storebridge.migrate.progress import Progress, Reporter
from storebridge.migrate.report import RESOURCES, Decision, MigrationReport
from storebridge.migrate.streaming import WriteBudget
from storebridge.migrate.verify import Verifier
from storebridge.migrate.writers import Writer
from storebridge.store import Store

log = logging.getLogger("storebridge.migrate")

_LAST_RUN = "last-run"


class Migration:
    """One migration run; see :func:`migrate`."""

    def __init__(
        self,
        source: Store,
        target: Store,
        *,
        ledger: str | Path,
        dry_run: bool = False,
        since: datetime | str | None = None,
        resources: Sequence[str] = RESOURCES,
        concurrency: int | None = None,
        verify: bool = True,
        progress: Progress | None = None,
        rebuild_ledger: bool = False,
        on_decision: Callable[[Decision], None] | None = None,
    ) -> None:
        unknown = set(resources) - set(RESOURCES)
        if unknown:
            raise ValidationError(
                f"unknown resources {sorted(unknown)}; choose from {', '.join(RESOURCES)}",
                field="resources",
            )
        if concurrency is not None and (isinstance(concurrency, bool) or concurrency < 1):
            raise ValidationError("concurrency must be a whole number >= 1", field="concurrency")
        self.route: Route = check_route(source, target)
        self.source = source
        self.target = target
        self.dry_run = dry_run
        self.resources = [r for r in RESOURCES if r in resources]
        self.concurrency = concurrency
        self.verify = verify
        self.reporter = Reporter(progress)
        self.on_decision = on_decision
        self.ledger_path = str(ledger)
        self.ledger_existed = self.ledger_path != ":memory:" and Path(ledger).exists()
        self.rebuild_ledger = rebuild_ledger
        self.rebuilding: set[str] = set()
        """The resources whose mapping this run rebuilds from the target's identity tags:
        the ledger says so (see :mod:`~storebridge.migrate.schema`), not the file's existence."""
        self._since_arg = since
        declared = target.options.rate_limit or target.adapter.rate_limit
        self.budget = WriteBudget(
            declared.per_second,
            declared.burst,
            clock=target.options.clock,
            sleep=target.options.sleep,
        )
        self._check_since(since)
        self.report = MigrationReport(
            source=f"{source.platform} ({source.adapter.store_id})",
            target=f"{target.platform} ({target.adapter.store_id})",
            dry_run=dry_run,
        )

    @staticmethod
    def _check_since(since: datetime | str | None) -> None:
        if isinstance(since, str) and since != _LAST_RUN:
            raise ValidationError(
                f"since must be a datetime, None or {_LAST_RUN!r}, got {since!r}", field="since"
            )
        if isinstance(since, datetime) and since.tzinfo is None:
            raise ValidationError("since must be timezone-aware", field="since")

    def tag(self, resource: str, source_ref: str) -> str:
        """The identity tag the target copy of a source record carries."""
        return self.target.adapter.identity_tag(
            self.route.source_platform, self.route.source_store, f"{KINDS[resource]}{source_ref}"
        )

    @property
    def tag_prefix(self) -> str:
        return self.target.adapter.identity_tag(
            self.route.source_platform, self.route.source_store, ""
        )

    # Running ------------------------------------------------------------------------------
    def run(self) -> MigrationReport:
        found = blockers(self.source, self.target, self.resources)
        if found:
            self.report.blockers = found
            return self.report
        # A dry run writes nothing at all, not even the ledger file: it plans on a copy.
        if self.dry_run:
            ledger = Ledger.snapshot(self.ledger_path, self.route)
        else:
            ledger = Ledger(self.ledger_path, self.route)
        finished = False
        try:
            self._run(ledger)
            finished = True
            return self.report
        finally:
            # Nothing reached the target: leave no ledger that asks for a resume.
            fresh = not self.dry_run and not self.ledger_existed
            ledger.close(discard=fresh and not ledger.wrote and not finished)

    def _run(self, ledger: Ledger) -> None:
        started = datetime.now(UTC)
        since = self._resolve_since(ledger)
        if self.rebuild_ledger:
            # Committed before anything is read: a rebuild cut short resumes as a rebuild.
            ledger.start_rebuild(RESOURCES)
        self.rebuilding = ledger.rebuilding()
        for resource in self.rebuilding:
            ledger.reset_index(resource, "keys")
            ledger.reset_index(resource, "tags")
        writer = Writer(self.target, dry_run=self.dry_run)
        currencies = None
        if "orders" in self.resources:
            currencies = self.target.run(self.target.adapter.store_currencies())
        planner = Planner(
            ledger, self.tag, target_name=self.target.adapter.display_name,
            can_update=writer.can_update, currencies=currencies,
            reads_customers="customers" in self.resources,
            can_cancel="orders.cancel" in self.target.capabilities,
            not_kept=type(self.target.adapter).not_kept,
        )  # fmt: skip
        resume = self._starts(ledger, since)
        needs_keys = set(self.resources)
        if "orders" in self.resources:
            needs_keys |= {"customers", "products"}
        phases: list[Phase] = []
        for resource in RESOURCES:
            if resource not in needs_keys:
                continue
            phase = self._phase(resource, ledger, planner, writer, since[resource])
            state = ledger.pass_state(resource)
            finished = resume and state is not None and state.complete
            # A finished pass can still hold writes whose outcome was never learned: it
            # runs again from its checkpoint (the listing's end, or its start where no
            # order can be relied on), settling them before it reads.
            unsettled = finished and ledger.count(resource, ("pending",)) > 0
            if resource in self.resources and (not finished or unsettled):
                phases.append(phase)
                continue
            if resource != "orders":
                phase.build_index(resource, "keys")
            if resource in self.resources:
                # Finished by the interrupted run this one continues: not read again.
                phase.result.earlier = state.processed if state else 0
                self.report.results[resource] = phase.result
                phase.carry_over(started)
        try:
            for index, phase in enumerate(phases):
                following = phases[index + 1] if index + 1 < len(phases) else None
                then = _prepare(following, resume) if following is not None else None
                phase.run(started, resume=resume, then=then)
        finally:
            for phase in phases:
                phase.close()
        self.report.changed_not_updated = planner.changed_not_updated
        for resource, ref, entry, print_ in [] if self.dry_run else planner.seen:
            # Reported: the next run need not list them again.
            ledger.mark_done(resource, ref, entry.target_ref or "", entry.how or "", print_,
                             entry.expect)  # fmt: skip
        self._summarise_gaps()
        if self.dry_run:
            self._predicted_blockers()
            return
        self._advance_watermarks(ledger)
        if self.verify:
            self.report.verification = Verifier(
                self.source, self.target, ledger, self.resources, self.tag, self.tag_prefix,
                self.reporter,
            ).run()  # fmt: skip

    def _phase(
        self,
        resource: str,
        ledger: Ledger,
        planner: Planner,
        writer: Writer,
        since: datetime | None,
    ) -> Phase:
        return Phase(
            resource, source=self.source, target=self.target, ledger=ledger, planner=planner,
            writer=writer, report=self.report, reporter=self.reporter, since=since,
            concurrency=self.concurrency, tag=self.tag, tag_prefix=self.tag_prefix,
            on_decision=self.on_decision, index_tags=resource in self.rebuilding,
            budget=None if self.dry_run else self.budget,
        )  # fmt: skip

    def _starts(self, ledger: Ledger, since: dict[str, datetime | None]) -> bool:
        """Whether this run continues an interrupted one (else every pass starts afresh)."""
        texts = {r: _text(since[r]) for r in RESOURCES}
        states = {r: ledger.pass_state(r) for r in self.resources}
        interrupted = [
            r
            for r, state in states.items()
            if state is not None and not state.complete and state.since == texts[r]
        ]
        # A rebuild asked for distrusts the checkpoints too; one the ledger marks as
        # unfinished continues from its own.
        if interrupted and not self.rebuild_ledger:
            return True
        for resource in self.resources:
            ledger.start_pass(resource, texts[resource])
        return False

    def _resolve_since(self, ledger: Ledger) -> dict[str, datetime | None]:
        if self._since_arg == _LAST_RUN:
            return {r: ledger.watermark(r) for r in RESOURCES}
        since = self._since_arg if isinstance(self._since_arg, datetime) else None
        return dict.fromkeys(RESOURCES, since)

    def _advance_watermarks(self, ledger: Ledger) -> None:
        """Catch-up starts where this run's reads ended, unless records were left behind.

        Not after the newest record read: a record read early and edited while the pass
        went on is older than that, so the mark goes no later than when the pass began,
        less the change feed's overlap (the platform's clock may be behind ours). Records
        read twice that way are recognised through the ledger.
        """
        for resource in self.resources:
            result = self.report.results.get(resource)
            # Skipped or failed records must be read again by the next catch-up run.
            if result is None or result.failed or result.skipped:
                continue
            state = ledger.pass_state(resource)
            if state is not None and state.complete and state.newest is not None:
                mark = state.newest
                if state.started is not None:
                    mark = min(mark, state.started - DEFAULT_OVERLAP)
                ledger.set_watermark(resource, mark)

    def _summarise_gaps(self) -> None:
        """One line per reason records were skipped, with how many (the lists name them)."""
        counts: dict[tuple[str, str], int] = {}
        for result in self.report.results.values():
            for skip in result.skipped:
                key = (result.resource, skip.reason.split(" (and ")[0])
                counts[key] = counts.get(key, 0) + 1
        self.report.gaps = [
            f"{n} {resource} skipped: {reason}" for (resource, reason), n in counts.items()
        ]

    def _predicted_blockers(self) -> None:
        """In a plan, every kind of failure the real run would meet blocks it."""
        reasons: dict[tuple[str, str], int] = {}
        for result in self.report.results.values():
            for failure in result.failed:
                key = (result.resource, failure.reason)
                reasons[key] = reasons.get(key, 0) + 1
        for (resource, reason), n in reasons.items():
            self.report.blockers.append(f"{n} {resource} would fail: {reason}")


def _prepare(phase: Phase, resume: bool) -> Callable[[], None]:
    def prepare() -> None:
        phase.prepare(resume)

    return prepare


def _text(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def migrate(
    source: Store,
    target: Store,
    *,
    ledger: str | Path = "migration.sqlite",
    dry_run: bool = False,
    since: datetime | str | None = None,
    resources: Sequence[str] = RESOURCES,
    concurrency: int | None = None,
    verify: bool = True,
    progress: Progress | None = None,
    rebuild_ledger: bool = False,
    on_decision: Callable[[Decision], None] | None = None,
) -> MigrationReport:
    """Copy customers, products and orders from ``source`` to ``target``.

    * ``ledger``: SQLite file mapping source records to target records. Running again with
      the same ledger continues where an interrupted run stopped (reading only what is
      left) and writes nothing twice, even after a crash (kill -9).
    * ``dry_run``: plan only; runs the same decisions and reports what would be created,
      reused, skipped and failed. Writes nothing, neither to the target nor to the ledger.
    * ``since``: only records updated since then; ``"last-run"`` uses the ledger's
      watermark from the previous complete run (incremental catch-up).
    * ``concurrency``: writes in flight; by default it follows the target
      (``target.concurrency``: its rate limit x the observed latency), which reaches the
      target's limit without provoking 429s.
    * ``rebuild_ledger``: rebuild the mapping from the identity tags on the target. Done
      without asking for a route the ledger has not seen (a new file, or one of another
      migration) and continued by every run until a full read of each resource completes,
      so an interrupted rebuild resumes as one.
    * ``progress``: ``progress(event)`` with a
      :class:`~storebridge.migrate.progress.ProgressEvent`, or ``progress(phase, done, total)``.
    * ``on_decision``: called with every record's
      :class:`~storebridge.migrate.report.Decision` (from the writer threads).

    Raises :class:`~storebridge.errors.ConfigurationError` for a store into itself, before
    any request. Returns a :class:`MigrationReport`; ``report.ok`` is True only when nothing
    failed and verification found no mismatch.
    """
    return Migration(
        source, target, ledger=ledger, dry_run=dry_run, since=since, resources=resources,
        concurrency=concurrency, verify=verify, progress=progress,
        rebuild_ledger=rebuild_ledger, on_decision=on_decision,
    ).run()  # fmt: skip


__all__ = ["Migration", "Progress", "fingerprint", "migrate", "original_total"]
