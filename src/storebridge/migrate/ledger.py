"""The migration ledger: which source record became which target record, in SQLite.

Every state change is committed on its own, so a process killed at any moment leaves the
ledger consistent: an item is unknown, ``pending`` (a write may or may not have reached the
target: it is settled by identity tag before anything is written again), ``done``,
``skipped`` or ``failed`` (nothing was written; a later run tries again).

Besides the items, the ledger keeps what later phases and later runs need, so none of it
lives in Python lists and memory does not grow with the store:

* ``passes``: per resource, how far the current read of the source has got (the
  checkpoint a resume continues from, see :mod:`storebridge.migrate.checkpoint`), and in
  ``checkpoint_proofs`` the grounds it was saved on;
* ``target_index``: the target's e-mails, SKUs and identity tags, and which source record
  claimed an e-mail or a SKU in this migration;
* ``watermarks``: where the last complete run stopped, for catch-up runs;
* ``rebuilds``: whether the state of a route's resource can be trusted, or is being
  rebuilt from the target's identity tags (see :mod:`storebridge.migrate.schema`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs

from storebridge.migrate import schema
from storebridge.migrate.ledger_files import ledger_image, remove_ledger_files
from storebridge.migrate.ledger_owner import own
from storebridge.migrate.report import RESOURCES

STATES = ("pending", "done", "skipped", "failed")

_INSERT_INDEX = "INSERT OR REPLACE INTO target_index VALUES (?,?,?,?,?,?,?)"
_SELECT_ITEMS = "SELECT source_ref, target_ref, state, how, fingerprint, detail, expect FROM items "


@attrs.frozen
class Route:
    """One migration direction: from a source store to a target store."""

    source_platform: str
    source_store: str
    target_platform: str
    target_store: str


@attrs.frozen
class Entry:
    """One source record's state in the ledger."""

    source_ref: str
    target_ref: str | None
    state: str
    how: str | None
    fingerprint: str | None
    detail: str | None = None
    """Why it was skipped or failed."""
    expect: str | None = None
    """What verification expects on the target (JSON), recorded when it was written."""


@attrs.frozen
class PassState:
    """How far the current read of one resource has got."""

    since: str
    """The run's own filter (ISO time of ``since``, or "" for a full read)."""
    complete: bool
    order_key: str | None
    """How the listing was found to be ordered (see :mod:`storebridge.migrate.checkpoint`);
    None when it could not be relied on."""
    boundary: datetime | None
    processed: int
    """Records processed in this pass so far (across resumes)."""
    newest: datetime | None = None
    """The latest ``updated_at`` the pass has read."""
    started: datetime | None = None
    """When the pass began (its first run, for a resumed pass); None in older ledgers."""
    proof: str | None = None
    """The grounds the checkpoint was saved on (:data:`storebridge.migrate.checkpoint.PROOFS`);
    None for a checkpoint saved without them (by a release that kept none)."""


@attrs.frozen
class IndexRow:
    """A target record known by an e-mail, a SKU or a tag."""

    target_ref: str
    sub_ref: str | None
    tagged: bool
    """The record carries an identity tag of this migration (so it is not someone else's)."""


class Ledger:
    """A SQLite ledger for one route. Thread-safe; each change is committed on its own."""

    def __init__(
        self, path: str | Path, route: Route, *, _image: sqlite3.Connection | None = None
    ) -> None:
        """``_image``: a database whose content the ledger starts from (a snapshot)."""
        self.path = str(path)
        self.route = route
        self.wrote = False
        """Whether this session marked anything pending (a write may have reached the target)."""
        self._lock = threading.RLock()
        self._let_go = own(self.path)  # one run per ledger
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except BaseException:
            self._let_go()
            raise
        try:
            if _image is not None:
                _image.backup(self._db)
            # WAL: each committed change survives a kill -9; pending marks are also synced
            # to the disk (synchronous=FULL), so they survive a power cut.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._durable = True
            schema.prepare(self._db)
            self._route_id = schema.open_route(self._db, route, RESOURCES)
        except BaseException:  # not a ledger, a disk error: the next run may open it
            self.close()
            raise

    @classmethod
    def snapshot(cls, path: str | Path, route: Route) -> Ledger:
        """A private copy of the ledger at ``path`` (empty if there is none).

        Dry runs plan against it: they see what earlier runs did, and write nothing. The
        copy is SQLite's temporary database (``""``): its file is deleted as soon as it is
        opened, so it never outlives the process, and it spills to that file rather than
        memory, so a dry run of a large store stays small too.
        """
        with ledger_image(Path(path)) as image:
            return cls("", route, _image=image)

    # Items -----------------------------------------------------------------------------
    def _key(self, resource: str, source_ref: str) -> tuple[str, ...]:
        r = self.route
        return (r.source_platform, r.source_store, resource, source_ref,
                r.target_platform, r.target_store)  # fmt: skip

    def _where_route(self) -> tuple[str, ...]:
        r = self.route
        return (r.source_platform, r.source_store, r.target_platform, r.target_store)

    def get(self, resource: str, source_ref: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                _SELECT_ITEMS + "WHERE source_platform=? AND source_store=? AND resource=? AND "
                "source_ref=? AND target_platform=? AND target_store=?",
                self._key(resource, source_ref),
            ).fetchone()
        return Entry(*row) if row else None

    def entries(
        self,
        resource: str,
        states: Iterable[str] = STATES,
        *,
        changed_before: datetime | None = None,
    ) -> Iterator[Entry]:
        """Every item of ``resource`` in one of ``states``, read lazily (memory stays flat);
        ``changed_before``: only items whose state was last set before then."""
        wanted = tuple(states)
        marks = ",".join("?" * len(wanted))
        before = "AND updated_at < ?" if changed_before is not None else ""
        extra = (changed_before.isoformat(),) if changed_before is not None else ()
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute(
                # Only "?" placeholders and fixed text are put into the statement.
                _SELECT_ITEMS + "WHERE source_platform=? AND source_store=? AND "
                "target_platform=? AND target_store=? AND resource=? AND "
                f"state IN ({marks}) {before} ORDER BY source_ref",
                (*self._where_route(), resource, *wanted, *extra),
            )
        while True:
            with self._lock:
                rows = cursor.fetchmany(500)
            if not rows:
                return
            for row in rows:
                yield Entry(*row)

    def count(self, resource: str, states: Iterable[str] = STATES) -> int:
        wanted = tuple(states)
        marks = ",".join("?" * len(wanted))
        with self._lock:
            row = self._db.execute(
                # Only "?" placeholders are put into the statement.
                "SELECT count(*) FROM items WHERE source_platform=? AND "  # noqa: S608
                "source_store=? AND target_platform=? AND target_store=? AND resource=? AND "
                f"state IN ({marks})",
                (*self._where_route(), resource, *wanted),
            ).fetchone()
        return int(row[0])

    def _put(
        self,
        resource: str,
        source_ref: str,
        state: str,
        target_ref: str | None = None,
        how: str | None = None,
        fingerprint: str | None = None,
        detail: str | None = None,
        expect: str | None = None,
        *,
        index: Iterable[tuple[str, str, str, str | None, bool]] = (),
    ) -> None:
        now = datetime.now(UTC).isoformat()
        # Only a pending mark must survive a power cut (it is what stops a second write);
        # anything else lost that way is found again (a done item as pending, settled by
        # tag; a checkpoint as an older one), so it is not waited onto the disk.
        durable = state == "pending"
        rows = self._index_rows(resource, index)
        with self._lock:
            if durable != self._durable:
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._durable = durable
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO items (source_platform, source_store, resource, source_ref, "
                    "target_platform, target_store, target_ref, state, how, fingerprint, "
                    "detail, updated_at, expect) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON "
                    "CONFLICT DO UPDATE SET target_ref=excluded.target_ref, "
                    "state=excluded.state, how=excluded.how, "
                    "fingerprint=excluded.fingerprint, detail=excluded.detail, "
                    "updated_at=excluded.updated_at, expect=excluded.expect",
                    (*self._key(resource, source_ref), target_ref, state, how, fingerprint,
                     detail, now, expect),
                )  # fmt: skip
                if rows:
                    self._db.executemany(_INSERT_INDEX, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def mark_pending(self, resource: str, source_ref: str, fingerprint: str | None) -> None:
        """Committed before a write is sent: from here on the write may have happened."""
        self.wrote = True
        self._put(resource, source_ref, "pending", fingerprint=fingerprint)

    def mark_unknown(
        self, resource: str, source_ref: str, detail: str, target_ref: str | None = None
    ) -> None:
        """A write whose outcome nobody could learn: stays pending, with the reason.

        ``target_ref``: the write was an update of that target record (which exists), so
        settling it means sending the update again, not looking for a created record.
        """
        self.wrote = True
        how = "created" if target_ref is not None else None
        # An update owed: the copy holds what the entry's print and expectation say (kept,
        # so changes since are told and verification still checks the copy).
        was = self.get(resource, source_ref) if target_ref is not None else None
        print_, expect = (was.fingerprint, was.expect) if was else (None, None)
        self._put(resource, source_ref, "pending", target_ref, how, print_, detail, expect)

    def mark_done(
        self,
        resource: str,
        source_ref: str,
        target_ref: str,
        how: str,
        fingerprint: str | None,
        expect: str | None = None,
        index: Iterable[tuple[str, str, str, str | None, bool]] = (),
    ) -> None:
        """``index``: what the written record makes known, added in the same commit."""
        self._put(
            resource, source_ref, "done", target_ref, how, fingerprint, expect=expect, index=index
        )

    def mark_alias(
        self,
        resource: str,
        source_ref: str,
        holder: str,
        fingerprint: str | None,
        expect: str | None = None,
    ) -> None:
        """``source_ref`` is represented on the target by what ``holder`` became;
        ``expect``: what that record must still hold for it (its e-mail)."""
        self._put(
            resource, source_ref, "done", None, "same-as", fingerprint, detail=holder,
            expect=expect,
        )  # fmt: skip

    def reclaim(self, resource: str, kind: str, source_ref: str, key: str) -> str:
        """Give up the keys ``source_ref`` claimed other than ``key`` (its e-mail changed on
        the source: the old one may now be another record's), and claim ``key``."""
        with self._lock:
            self._db.execute(
                "DELETE FROM target_index WHERE route=? AND resource=? AND kind=? AND "
                "target_ref=? AND key<>?",
                (self._route_id, resource, f"claim-{kind}", source_ref, key),
            )
            self._db.commit()
        return self.claim(resource, kind, key, source_ref)

    def set_expect(self, resource: str, source_ref: str, expect: str | None) -> None:
        """Replace what verification expects on the target for a record."""
        with self._lock:
            self._db.execute(
                "UPDATE items SET expect=? WHERE source_platform=? AND source_store=? AND "
                "resource=? AND source_ref=? AND target_platform=? AND target_store=?",
                (expect, *self._key(resource, source_ref)),
            )

    def mark_failed(self, resource: str, source_ref: str, detail: str) -> None:
        self._put(resource, source_ref, "failed", detail=detail)

    def mark_skipped(self, resource: str, source_ref: str, detail: str) -> None:
        self._put(resource, source_ref, "skipped", detail=detail)

    # Passes (checkpoints) ----------------------------------------------------------------
    def pass_state(self, resource: str) -> PassState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT since, complete, order_key, boundary, processed, newest, "
                "(SELECT started FROM pass_starts s WHERE s.route=p.route AND "
                "s.resource=p.resource), "
                # A proof vouches only for the checkpoint saved with it: one a release
                # without proofs saved over it differs (its boundary or count moved on).
                "(SELECT proof FROM checkpoint_proofs c WHERE c.route=p.route AND "
                "c.resource=p.resource AND c.order_key=p.order_key AND c.boundary=p.boundary "
                "AND c.processed=p.processed) FROM passes p WHERE route=? AND resource=?",
                (self._route_id, resource),
            ).fetchone()
        if row is None:
            return None
        since, complete, key, boundary, processed, newest, started, proof = row
        when = datetime.fromisoformat(boundary) if boundary else None
        latest = datetime.fromisoformat(newest) if newest else None
        began = datetime.fromisoformat(started) if started else None
        return PassState(since, bool(complete), key, when, int(processed), latest, began, proof)

    def start_pass(self, resource: str, since: str) -> None:
        started = datetime.now(UTC).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT INTO passes VALUES (?,?,?,0,NULL,NULL,0,NULL) ON CONFLICT DO UPDATE SET "
                "since=excluded.since, complete=0, order_key=NULL, boundary=NULL, processed=0, "
                "newest=NULL",
                (self._route_id, resource, since),
            )
            # A table of its own, so the previous release can still use this ledger.
            self._db.execute(
                "INSERT INTO pass_starts VALUES (?,?,?) ON CONFLICT DO UPDATE SET "
                "started=excluded.started",
                (self._route_id, resource, started),
            )
            self._db.execute(
                "DELETE FROM checkpoint_proofs WHERE route=? AND resource=?",
                (self._route_id, resource),
            )

    def save_checkpoint(
        self,
        resource: str,
        order_key: str | None,
        boundary: datetime | None,
        processed: int,
        newest: datetime | None = None,
        proof: str | None = None,
    ) -> None:
        """``proof``: the grounds the checkpoint is saved on (see :class:`PassState`)."""
        key = order_key if boundary is not None else None
        when = boundary.isoformat() if boundary is not None else None
        latest = newest.isoformat() if newest is not None else None
        where = (self._route_id, resource)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "UPDATE passes SET order_key=?, boundary=?, processed=?, newest=? "
                    "WHERE route=? AND resource=?",
                    (key, when, processed, latest, *where),
                )
                self._db.execute(
                    "DELETE FROM checkpoint_proofs WHERE route=? AND resource=?", where
                )
                if key is not None and proof is not None:
                    self._db.execute(
                        "INSERT INTO checkpoint_proofs VALUES (?,?,?,?,?,?)",
                        (*where, key, when, processed, proof),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def complete_pass(self, resource: str, processed: int) -> None:
        """The pass read the listing to its end. A full read (no ``since``) of a resource
        being rebuilt has now decided every source record against the target's tags: the
        rebuild is done, in the same commit, so no kill separates the two."""
        where = (processed, self._route_id, resource)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "UPDATE passes SET complete=1, processed=? WHERE route=? AND resource=?",
                    where,
                )
                # The count is part of what a proof vouches for: it moves with the checkpoint.
                self._db.execute(
                    "UPDATE checkpoint_proofs SET processed=? WHERE route=? AND resource=?",
                    where,
                )
                self._db.execute(
                    "UPDATE rebuilds SET done=1 WHERE route=? AND resource=? AND EXISTS "
                    "(SELECT 1 FROM passes WHERE route=? AND resource=? AND since='')",
                    (*where[1:], *where[1:]),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Rebuilds ----------------------------------------------------------------------------
    def rebuilding(self) -> set[str]:
        """The resources whose mapping is being rebuilt from the target's identity tags."""
        with self._lock:
            rows = self._db.execute(
                "SELECT resource FROM rebuilds WHERE route=? AND done=0", (self._route_id,)
            ).fetchall()
        return {row[0] for row in rows}

    def start_rebuild(self, resources: Iterable[str]) -> None:
        """Distrust what the ledger holds for ``resources`` until a full read completes."""
        rows = [(self._route_id, resource) for resource in resources]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO rebuilds VALUES (?,?,0)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Target index ------------------------------------------------------------------------
    def is_indexed(self, resource: str, kind: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM indexed WHERE route=? AND resource=? AND kind=?",
                (self._route_id, resource, kind),
            ).fetchone()
        return row is not None

    def reset_index(self, resource: str, kind: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM target_index WHERE route=? AND resource=? AND kind=?",
                (self._route_id, resource, kind),
            )
            self._db.execute(
                "DELETE FROM indexed WHERE route=? AND resource=? AND kind=?",
                (self._route_id, resource, kind),
            )

    def mark_indexed(self, resource: str, kind: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO indexed VALUES (?,?,?)", (self._route_id, resource, kind)
            )

    def add_index(
        self,
        resource: str,
        rows: Iterable[tuple[str, str, str, str | None, bool]],
    ) -> None:
        """Add ``(kind, key, target_ref, sub_ref, tagged)`` rows in one transaction."""
        data = self._index_rows(resource, rows)
        if not data:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_INSERT_INDEX, data)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _index_rows(
        self, resource: str, rows: Iterable[tuple[str, str, str, str | None, bool]]
    ) -> list[tuple[object, ...]]:
        route = self._route_id
        return [(route, resource, k, key, ref, sub, int(t)) for k, key, ref, sub, t in rows]

    def lookup(self, resource: str, kind: str, key: str) -> list[IndexRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT target_ref, sub_ref, tagged FROM target_index WHERE route=? AND "
                "resource=? AND kind=? AND key=? ORDER BY target_ref",
                (self._route_id, resource, kind, key),
            ).fetchall()
        return [IndexRow(ref, sub, bool(tagged)) for ref, sub, tagged in rows]

    def claim(self, resource: str, kind: str, key: str, source_ref: str) -> str:
        """Claim ``key`` (an e-mail, a SKU) for ``source_ref``; returns who holds it.

        The first source record to claim a key keeps it, across runs: decisions about the
        others then do not depend on the order writes happened to finish in.
        """
        claim_kind = f"claim-{kind}"
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO target_index VALUES (?,?,?,?,?,NULL,0)",
                (self._route_id, resource, claim_kind, key, source_ref),
            )
            row = self._db.execute(
                "SELECT target_ref FROM target_index WHERE route=? AND resource=? AND kind=? "
                "AND key=? ORDER BY rowid LIMIT 1",
                (self._route_id, resource, claim_kind, key),
            ).fetchone()
        return str(row[0])

    def claimed_by(self, resource: str, kind: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT target_ref FROM target_index WHERE route=? AND resource=? AND kind=? "
                "AND key=? ORDER BY rowid LIMIT 1",
                (self._route_id, resource, f"claim-{kind}", key),
            ).fetchone()
        return str(row[0]) if row else None

    # Watermarks ------------------------------------------------------------------------
    def watermark(self, resource: str) -> datetime | None:
        with self._lock:
            row = self._db.execute(
                "SELECT watermark FROM watermarks WHERE source_platform=? AND source_store=? "
                "AND target_platform=? AND target_store=? AND resource=?",
                (*self._where_route(), resource),
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_watermark(self, resource: str, when: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO watermarks VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
                "watermark=excluded.watermark",
                (*self._where_route(), resource, when.isoformat()),
            )

    # Lifetime --------------------------------------------------------------------------
    def close(self, *, discard: bool = False) -> None:
        """Close; ``discard``: also delete the ledger's files, before another run can open
        them (it may, once this one lets go)."""
        with self._lock:
            try:
                self._db.close()
                if discard:
                    remove_ledger_files(self.path)
            finally:
                self._let_go()


__all__ = ["STATES", "Entry", "IndexRow", "Ledger", "PassState", "Route", "remove_ledger_files"]
