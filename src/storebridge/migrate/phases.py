"""One resource at a time: read the source page by page, decide, write in bounded batches.

The reader (the calling thread) walks the source listing and decides each record
(:class:`~storebridge.migrate.plan.Planner`); records to write go to a pool of writers that
keeps as many writes in flight as the target's pacer allows now (``store.concurrency``:
rate limit x observed latency, halved on 429), re-read for every write. The reader waits
while that many are in flight, so it never runs ahead of the writers: memory holds one page
of records plus the writes in flight, whatever the size of the store.

Exactly once, even across kill -9: a record is marked ``pending`` in the ledger (committed)
before its write is sent and ``done`` after; a pending record is settled (found on the
target by its identity, or written) before anything else happens to it. The ledger also
records how far the read has got (:mod:`storebridge.migrate.checkpoint`), so a resumed run
reads only what is left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from storebridge.errors import (
    APIError,
    AuthenticationError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServerError,
    StorebridgeError,
    ValidationError,
)
from storebridge.migrate import mapping
from storebridge.migrate.checkpoint import ORDER_KEYS, ListingPosition, may_resume, resume_filter
from storebridge.migrate.ledger import Ledger
from storebridge.migrate.plan import Planner, Work, index_rows
from storebridge.migrate.progress import Reporter
from storebridge.migrate.report import Decision, MigrationReport, ResourceResult, Skip
from storebridge.migrate.streaming import (
    READ_AHEAD,
    ReadAhead,
    WriteBudget,
    WritePool,
    count_of,
    listing,
)
from storebridge.migrate.writers import Unsettled, Writer
from storebridge.model import OrderStatus
from storebridge.store import Store

log = logging.getLogger("storebridge.migrate")

_CHECKPOINT_SECONDS = 0.25
_CHECKPOINT_RECORDS = 20
"""The checkpoint is saved when this many records were processed, or that long passed."""
_INDEX_CHUNK = 500
_CARRIED = ("skipped", "failed", "pending")


class Phase:
    """One resource's pass over the source."""

    def __init__(
        self,
        resource: str,
        *,
        source: Store,
        target: Store,
        ledger: Ledger,
        planner: Planner,
        writer: Writer,
        report: MigrationReport,
        reporter: Reporter,
        since: datetime | None,
        concurrency: int | None,
        tag: Callable[[str, str], str],
        tag_prefix: str,
        on_decision: Callable[[Decision], None] | None,
        budget: WriteBudget | None = None,
        index_tags: bool = False,
    ) -> None:
        self.resource = resource
        self.source = source
        self.target = target
        self.ledger = ledger
        self.planner = planner
        self.writer = writer
        self.report = report
        self.reporter = reporter
        self.since = since
        self.concurrency = concurrency
        self.tag = tag
        self.tag_prefix = tag_prefix
        self.on_decision = on_decision
        self.index_tags = index_tags
        self.budget = budget
        self.result = ResourceResult(resource=resource)
        self._lock = threading.Lock()
        self._done = 0
        self._total: int | None = None
        self._index_lock = threading.Lock()
        self._settled: set[str] = set()
        self._records: ReadAhead | None = None
        self._position: ListingPosition | None = None
        self._resume = False
        self._tags_fresh = False
        self._keys_fresh = False
        self.newest: datetime | None = None
        """The latest ``updated_at`` read in this pass: where a catch-up starts."""

    # Target index -------------------------------------------------------------------------
    def build_index(self, resource: str, kind: str) -> None:
        """Index the target's e-mails/SKUs (``keys``) or identity tags (``tags``) once."""
        with self._index_lock:
            self._build_index(resource, kind)

    def _build_index(self, resource: str, kind: str) -> None:
        if self.ledger.is_indexed(resource, kind):
            return
        self.ledger.reset_index(resource, kind)
        rows: list[tuple[str, str, str, str | None, bool]] = []
        for row in index_rows(resource, listing(self.target, resource), self.tag_prefix):
            if kind == "tags" and row[0] != "tag":
                continue
            rows.append(row)
            if len(rows) >= _INDEX_CHUNK:
                self.ledger.add_index(resource, rows)
                rows = []
        self.ledger.add_index(resource, rows)
        self.ledger.mark_indexed(resource, kind)

    def _refresh_keys(self) -> None:
        """Read the target's e-mails/SKUs (and identity tags) into the index again, at most
        once per run. The index is kept across runs and only this brings it up to date
        with records made on the target since; rows are replaced, never dropped, so
        what writers are adding meanwhile stays."""
        with self._index_lock:
            if self._keys_fresh:
                return
            self._keys_fresh = True
            self.ledger.reset_index(self.resource, "keys")
            self._build_index(self.resource, "keys")

    # The pass -------------------------------------------------------------------------------
    def prepare(self, resume: bool) -> tuple[ListingPosition, ReadAhead]:
        """Index the target and start reading the source; ``resume``: continue the pass
        from its checkpoint (otherwise the pass, started by the engine, reads from the
        start). Safe to call while the previous phase's last writes are in flight."""
        if self._position is not None and self._records is not None:
            return self._position, self._records
        resource = self.resource
        if resource != "orders":
            self.build_index(resource, "keys")
        elif self.index_tags:
            self.build_index(resource, "tags")
        filters: dict[str, Any] = {}
        if self.since is not None:
            filters["updated_since"] = self.since
        self._resume = resume
        self._position = self._start(filters) if resume else self._fresh_position()
        self._total = count_of(self.source, resource, **filters)
        self._records = ReadAhead(
            listing(self.source, resource, in_order=True, **filters), READ_AHEAD
        )
        return self._position, self._records

    def close(self) -> None:
        """Stop reading (a run that ends early)."""
        if self._records is not None:
            self._records.close()

    def run(
        self, started: datetime, *, resume: bool, then: Callable[[], None] | None = None
    ) -> ResourceResult:
        """Read and migrate every record; ``then`` runs once the listing is read (the next
        phase's preparation, while this phase's last writes finish)."""
        resource = self.resource
        self.report.results[resource] = self.result
        position, records = self.prepare(resume)
        read = f"read {resource}"
        self.reporter.start(read)
        self.reporter.start(resource)
        pool = WritePool(self._write_limit, self.budget)
        last_save = time.monotonic()
        saved_at = position.processed
        keys = position.order_keys
        try:
            self._settle_leftovers(pool)
            for record in records:
                seq = position.admit(record)
                stamp = getattr(record, "updated_at", None)
                if stamp is not None and (self.newest is None or stamp > self.newest):
                    self.newest = stamp
                if record.ref in self._settled:  # settled above; counted once, there
                    position.finish(seq)
                    continue
                self.result.total += 1
                self.reporter.update(
                    read, self.result.total, self._total, earlier=self.result.earlier
                )
                outcome = self.planner.decide(resource, record)
                if isinstance(outcome, Decision):
                    self._finish(position, seq, outcome)
                else:
                    pool.submit(self._job(position, seq, outcome))
                now = time.monotonic()
                moved = position.processed - saved_at
                if (
                    position.order_keys != keys
                    or moved >= _CHECKPOINT_RECORDS
                    or (moved and now - last_save >= _CHECKPOINT_SECONDS)
                ):
                    keys = position.order_keys
                    saved_at = position.processed
                    self._save(position)
                    last_save = now
            self.reporter.update(
                read,
                self.result.total,
                self._total or self.result.total,
                earlier=self.result.earlier,
                finished=True,
            )
            self._total = self._total or self.result.total
            if then is not None:
                then()
            # The checkpoint keeps following the writes still in flight.
            pool.drain(lambda: self._save(position), _CHECKPOINT_SECONDS)
        except BaseException:
            try:
                pool.drain()
            finally:
                self._save(position)
            raise
        finally:
            pool.close()
        self._save(position)
        self.ledger.complete_pass(resource, position.processed)
        # What earlier runs skipped, failed or left pending and this one did not decide again
        # is reported even on a fresh run: a run that reads only recent changes (`since`)
        # never comes back to those records, and a record not on the target is never a pass.
        self.carry_over(started)
        self.reporter.update(
            resource, self._done, self._total, earlier=self.result.earlier, finished=True
        )
        return self.result

    def _start(self, filters: dict[str, Any]) -> ListingPosition:
        state = self.ledger.pass_state(self.resource)
        if state is None:  # a resource the interrupted run did not include
            since_text = self.since.isoformat() if self.since is not None else ""
            self.ledger.start_pass(self.resource, since_text)
            return self._fresh_position()
        if state.processed:
            self.report.resumed.append(self.resource)
        self.newest = state.newest
        if state.order_key not in self._keys() or state.boundary is None:
            return self._fresh_position(state.processed)
        documented = type(self.source.adapter).documented_orders
        if not may_resume(state.order_key, state.proof, documented):
            log.warning(
                "%s: the ledger's checkpoint (updated_since=%s) was saved by an earlier "
                "release without proof that the listing comes in order of change (records "
                "edited in order of ref would be skipped after it); reading the listing "
                "again from the start, recognising what the ledger already has",
                self.resource,
                state.boundary.isoformat(),
            )
            return self._fresh_position(state.processed)
        extra = resume_filter(state.order_key, state.boundary)
        if "updated_since" in extra and self.since is not None:
            extra["updated_since"] = max(extra["updated_since"], self.since)
        filters.update(extra)
        self.result.earlier = state.processed
        return ListingPosition(
            processed=state.processed,
            start=(state.order_key, state.boundary),
            documented=documented,
            proof=state.proof,
        )

    def _keys(self) -> frozenset[str]:
        """The listing orders a checkpoint may rely on (see ``Adapter.checkpoint_keys``)."""
        declared = type(self.source.adapter).checkpoint_keys
        return frozenset(ORDER_KEYS) if declared is None else declared & frozenset(ORDER_KEYS)

    def _fresh_position(self, processed: int = 0) -> ListingPosition:
        """A pass that learns its listing's order from the records (none relied on yet)."""
        documented = type(self.source.adapter).documented_orders
        return ListingPosition(self._keys(), processed=processed, documented=documented)

    def _save(self, position: ListingPosition) -> None:
        key, boundary, proof = position.grounded()
        self.ledger.save_checkpoint(
            self.resource, key, boundary, position.processed, self.newest, proof
        )

    def _write_limit(self) -> int:
        return self.concurrency or self.target.concurrency

    def _settle_leftovers(self, pool: WritePool) -> None:
        """Settle writes an interrupted run left pending, before reading on.

        They may sit before the checkpoint (a write whose outcome was unknown), where the
        listing will not come back to them; each is fetched by its ref.
        """
        if f"{self.resource}.get" not in self.source.capabilities:
            return
        refs = [e.source_ref for e in self.ledger.entries(self.resource, ("pending",))]
        api = getattr(self.source, self.resource)
        for ref in refs:
            try:
                record = api.get(ref)
            except StorebridgeError as exc:
                log.info("%s %s left pending could not be read again: %s", self.resource, ref, exc)
                continue
            outcome = self.planner.decide(self.resource, record)
            if isinstance(outcome, Work):
                self._settled.add(ref)
                # Counted here, whether or not the listing comes back to it: the source
                # total is what this run's outcomes add up to.
                self.result.total += 1

                def job(work: Work = outcome) -> None:
                    decision, _hold = self.execute(work)
                    self._record(decision, work)

                pool.submit(job)
        pool.drain()

    def _job(self, position: ListingPosition, seq: int, work: Work) -> Callable[[], None]:
        def job() -> None:
            decision, hold = self.execute(work)
            self._finish(position, seq, decision, work, hold=hold)

        return job

    # Writing ---------------------------------------------------------------------------------
    def execute(self, work: Work) -> tuple[Decision, bool]:
        """Carry out ``work``; (decision, whether the outcome is unknown)."""
        resource, ref, ledger = work.resource, work.source_ref, self.ledger
        try:
            if work.action == "update" and work.target_ref is not None:
                self.writer.update(resource, work.target_ref, work.draft)
                ledger.mark_done(resource, ref, work.target_ref, "created", work.fingerprint,
                                 work.expect)  # fmt: skip
                return Decision(resource, ref, "update", target_ref=work.target_ref), False
            if work.action == "cancel" and work.target_ref is not None:
                return self._cancel_found(work, work.target_ref)
            if work.action == "settle":
                record, found = self._settle(work)
            else:
                ledger.mark_pending(resource, ref, work.fingerprint)
                record, found = self.writer.create(resource, work.draft), False
            if resource == "orders" and mapping.cancelled_on_source(work.expect):
                problem = self._cancel_copy(record)
                if problem is not None:
                    # Left pending, the next run settles it: finds this copy, cancels it.
                    return self._not_cancelled(ref, record.ref, problem)
            index = work.remember(record) if work.remember is not None else []
            ledger.mark_done(
                resource, ref, record.ref, "created", work.fingerprint, work.expect, index
            )
            action = "reconcile" if found else "create"
            return Decision(resource, ref, action, target_ref=record.ref), False
        except OutcomeUnknown as exc:
            detail = f"outcome unknown (run again to settle it): {exc}"
            updated = work.target_ref if work.action == "update" else None
            ledger.mark_unknown(resource, ref, detail, updated)
            return Decision(resource, ref, "fail", detail), True
        except StorebridgeError as exc:
            adopted = self._adopt(work, exc)
            if adopted is not None:
                return adopted, False
            if work.action == "settle":
                # An earlier run's write stays unknown whatever stopped this settling (its
                # read-back answered stale, 5xx, not at all): marked failed, it would be
                # created again on the next run, next to the copy the read-back missed.
                detail = f"outcome unknown (run again to settle it): not settled: {exc}"
                if isinstance(exc, ValidationError):
                    # Refused before anything was sent: running again alone will not do.
                    detail = (f"outcome unknown: not settled, since the record is refused "
                              f"({exc}); an earlier run may have written it: check the "
                              "target, fix the record, then run again")  # fmt: skip
                ledger.mark_unknown(resource, ref, detail, None)
                return Decision(resource, ref, "fail", detail), True
            level = logging.INFO if self.writer.dry_run else logging.WARNING
            log.log(level, "%s %s failed: %s", resource, ref, exc)
            if work.action == "update":
                # The copy is there, with older values: pending with its ref, the next run
                # sends the update again (marked failed, the copy would read as the
                # target's own customer and never be updated again).
                detail = (f"its copy {work.target_ref} was not updated: {exc} (the next run "
                          "sends the update again; if the target refuses it each time, fix "
                          "the record on the source)")  # fmt: skip
                if isinstance(exc, NotFound):
                    detail = (f"its copy {work.target_ref} is not on the target any more "
                              f"(deleted there?): {exc}")  # fmt: skip
                ledger.mark_unknown(resource, ref, detail, work.target_ref)
                return Decision(resource, ref, "fail", detail), False
            ledger.mark_failed(resource, ref, str(exc))
            return Decision(resource, ref, "fail", str(exc)), False

    def _cancel_found(self, work: Work, target_ref: str) -> tuple[Decision, bool]:
        """Cancel the copy ``target_ref`` made earlier (by a run that stopped before
        cancelling it, or a release that did not), then record it done."""
        resource, ref = work.resource, work.source_ref
        try:
            record = self.target.orders.get(target_ref)
        except StorebridgeError as exc:
            return self._not_cancelled(ref, target_ref, exc)
        problem = self._cancel_copy(record)
        if problem is not None:
            return self._not_cancelled(ref, target_ref, problem)
        self.ledger.mark_done(resource, ref, target_ref, "created", work.fingerprint, work.expect)
        return Decision(resource, ref, "reconcile", target_ref=target_ref), False

    def _not_cancelled(
        self, ref: str, target_ref: str, problem: StorebridgeError
    ) -> tuple[Decision, bool]:
        """Left pending with its copy: the next run cancels that copy (it makes no other)."""
        detail = (f"copied as {target_ref} but not cancelled yet (run again to cancel "
                  f"it): {problem}")  # fmt: skip
        self.ledger.mark_unknown("orders", ref, detail, target_ref)
        return Decision("orders", ref, "fail", detail), True

    def _cancel_copy(self, record: Any) -> StorebridgeError | None:
        """Cancel the copy of a cancelled source order (a settled copy may be cancelled
        already); the error when the target did not cancel it."""
        if getattr(record, "status", None) is OrderStatus.CANCELLED:
            return None
        try:
            self.writer.cancel_order(record.ref)
        except StorebridgeError as exc:
            return exc
        return None

    def _adopt(self, work: Work, exc: StorebridgeError) -> Decision | None:
        """The target refused to create the record: it may hold one in its place already
        (a customer with the same e-mail, say, made there after the target was indexed).
        Looked up only after a refusal, so a run that is not refused reads nothing more."""
        if work.action not in ("create", "settle") or not work.keys or not _refused(exc):
            return None
        try:
            self._refresh_keys()
        except StorebridgeError as err:
            log.info("%s: the target could not be indexed again: %s", self.resource, err)
            return None
        decision = self.planner.adopt(work)
        if (
            decision is not None
            and decision.action == "reconcile"
            and decision.target_ref is not None
            and work.resource == "orders"
            and mapping.cancelled_on_source(work.expect)
        ):
            return self._cancel_found(work, decision.target_ref)[0]
        return decision

    def _settle(self, work: Work) -> tuple[Any, bool]:
        tag = self.tag(work.resource, work.source_ref)
        try:
            record, found = self.writer.settle(work.resource, work.draft)
        except Unsettled:
            return self._settle_by_index(work, tag)
        if found and tag not in getattr(record, "tags", (tag,)):
            # The adapter's read-back matched something else (same e-mail, say): look by tag.
            return self._settle_by_index(work, tag)
        return record, found

    def _settle_by_index(self, work: Work, tag: str) -> tuple[Any, bool]:
        with self._index_lock:
            if not self._tags_fresh:
                # Tags indexed by an earlier run predate the write being settled.
                self.ledger.reset_index(work.resource, "tags")
                self._tags_fresh = True
        self.build_index(work.resource, "tags")
        rows = self.ledger.lookup(work.resource, "tag", tag)
        if not rows:
            return self.writer.create(work.resource, work.draft), False
        ref = rows[0].target_ref
        if f"{work.resource}.get" in self.target.capabilities:
            # The whole record: a product's variants are what orders will point at.
            return getattr(self.target, work.resource).get(ref), True
        return _Found(ref, (tag,)), True

    # Recording -------------------------------------------------------------------------------
    def _finish(
        self,
        position: ListingPosition,
        seq: int,
        decision: Decision,
        work: Work | None = None,
        *,
        hold: bool = False,
    ) -> None:
        self._record(decision, work)
        if not hold:
            # A write with an unknown outcome holds the checkpoint back: a resume reads
            # it again and settles it.
            position.finish(seq)

    def _record(self, decision: Decision, work: Work | None = None) -> None:
        r = self.result
        with self._lock:
            action = decision.action
            if action == "skip":
                r.skipped.append(Skip(decision.source_ref, decision.reason or ""))
            elif action == "fail":
                r.failed.append(Skip(decision.source_ref, decision.reason or ""))
            else:
                field = {"create": "created", "reuse": "reused", "reconcile": "reconciled",
                         "already": "already", "update": "updated"}[action]  # fmt: skip
                setattr(r, field, getattr(r, field) + 1)
                if work is not None and action in ("create", "reconcile"):
                    self.report.refunds_not_carried.extend(work.notes)
                if work is not None and action in ("create", "reconcile", "update"):
                    self.report.not_carried.extend(work.left_out)
            self._done += 1
            done = self._done
        if self.on_decision is not None:
            self.on_decision(decision)
        self.reporter.update(self.resource, done, self._total, earlier=r.earlier)

    def carry_over(self, started: datetime, states: tuple[str, ...] = _CARRIED) -> None:
        """List what earlier runs skipped, failed or left with an unknown outcome and this
        run did not read or settle again, so the report still covers the
        whole migration (a pending write counts as failed until a run settles it)."""
        # A record this run read and listed already (a pending one whose draft is refused
        # keeps its ledger entry as it was) is not listed a second time.
        listed = {item.source_ref for item in (*self.result.failed, *self.result.skipped)}
        for entry in self.ledger.entries(self.resource, states, changed_before=started):
            if entry.source_ref in listed:
                continue
            detail = entry.detail or "the write's outcome is unknown (run again to settle it)"
            item = Skip(entry.source_ref, f"{detail} (an earlier run)")
            self.result.carried += 1  # not read by this run: not in its source total
            if entry.state == "skipped":
                self.result.skipped.append(item)
            else:
                self.result.failed.append(item)


def _refused(exc: StorebridgeError) -> bool:
    """Whether the target turned the record down (400, 409, 422...), rather than failing,
    throttling or not letting us in."""
    unrelated = (AuthenticationError, PermissionDenied, NotFound, RateLimited, ServerError)
    return isinstance(exc, APIError) and not isinstance(exc, unrelated) and exc.status < 500


class _Found:
    """A target record known only by its ref and tags (found through the tag index)."""

    def __init__(self, ref: str, tags: Iterable[str]) -> None:
        self.ref = ref
        self.tags = tuple(tags)
        self.variants: tuple[Any, ...] = ()


__all__ = ["Phase"]
