"""Verification: both stores read afresh, compared with what the ledger says was done.

It does not trust the migration's own read of the source: a listing that came back short
during the run cannot pass. For each resource, the source's refs and the target's records
(with their identity tags) are listed again, the two stores side by side, into SQLite's
temporary database (``""``: held in memory up to its page cache, then in a file that is
deleted as soon as it is opened, so even a killed run leaves nothing behind). Each
listing is read in the platform's order, its windows one after the other, as the migration
reads the source: windows read side by side would each hold a page of parsed records at
once, several times the memory of the migration itself. Then the records are compared one
by one:

* *not migrated*: a source record the ledger has never heard of (the migration's read
  missed it);
* *missing*: a migrated record no target record carries the identity tag of (or, for a
  reused record, whose target record is gone);
* *doubled*: more than one target record carries a record's identity tag; the mismatch
  names every copy and the one the ledger keeps (see "Duplicates" in docs/migration.md);
* *extra*: a target record carries this route's identity tag for a record the source does
  not have;
* values: what the migration expected when it wrote the record (order currency, total,
  tax, shipping, order discount, amounts per SKU and customer; product visibility, prices
  and compare-at prices; customer e-mails)
  against what the target now says, plus per-currency sums of order totals.

Skipped and failed records are reported by the run itself, not here. PASS requires no
mismatch at all.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from storebridge.errors import StorebridgeError
from storebridge.migrate import mapping
from storebridge.migrate.ledger import Ledger
from storebridge.migrate.progress import Reporter
from storebridge.migrate.report import Mismatch, Verification
from storebridge.migrate.streaming import listing
from storebridge.store import Store

_SCHEMA = """
CREATE TABLE src (resource TEXT, ref TEXT, tag TEXT, PRIMARY KEY (resource, ref));
CREATE INDEX src_tag ON src (resource, tag);
CREATE TABLE tgt (resource TEXT, ref TEXT, observed TEXT, PRIMARY KEY (resource, ref));
CREATE TABLE tgt_tag (resource TEXT, tag TEXT, ref TEXT);
CREATE INDEX tgt_tag_by_tag ON tgt_tag (resource, tag);
"""
_OBSERVE: dict[str, Callable[[Any], dict[str, Any]]] = {
    "customers": mapping.customer_observed,
    "products": mapping.product_observed,
    "orders": mapping.order_observed,
}
_CHUNK = 500


_LET_GO = 5.0
"""Seconds the verification waits, when it ends early, for its source side to stop."""


class _Stopped(Exception):
    """The verification ended: the source side's rows are not wanted any more."""


class Verifier:
    """Reads ``source`` and ``target`` afresh and compares them through the ledger."""

    def __init__(
        self,
        source: Store,
        target: Store,
        ledger: Ledger,
        resources: Sequence[str],
        tag: Callable[[str, str], str],
        tag_prefix: str,
        reporter: Reporter,
    ) -> None:
        self.source = source
        self.target = target
        self.ledger = ledger
        self.resources = resources
        self.tag = tag
        self.tag_prefix = tag_prefix
        self.reporter = reporter
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def run(self) -> Verification:
        v = Verification()
        db = sqlite3.connect("", check_same_thread=False)
        self._stopped.clear()
        try:
            db.executescript(_SCHEMA)
            self.reporter.start("verify")
            for index, resource in enumerate(self.resources):
                self.reporter.update("verify", index, len(self.resources))
                error = self._read(resource, db)
                if error is not None:
                    v.error = error
                    return v
                self._compare(resource, db, v)
            self.reporter.update("verify", len(self.resources), len(self.resources), finished=True)
            return v
        finally:
            with self._lock:  # a source side still running never writes into it after
                self._stopped.set()
                db.close()

    # Reading ------------------------------------------------------------------------------
    def _read(self, resource: str, db: sqlite3.Connection) -> str | None:
        """Both listings side by side (different stores, different rate limits)."""
        errors: list[str] = []

        failed: list[BaseException] = []

        def source_side() -> None:
            try:
                records = listing(self.source, resource, slim=True, in_order=True)
                self._insert(db, "INSERT OR IGNORE INTO src VALUES (?,?,?)", self._until_stopped(
                    (resource, r.ref, self.tag(resource, r.ref)) for r in records
                ))  # fmt: skip
            except StorebridgeError as exc:
                errors.append(f"could not read the source's {resource} again: {exc}")
            except _Stopped:
                pass
            except BaseException as exc:  # raised again by the verifying thread
                failed.append(exc)

        def target_side() -> None:
            observe = _OBSERVE[resource]
            try:
                for chunk in _chunks(listing(self.target, resource, in_order=True)):
                    records = [
                        (resource, r.ref, json.dumps(observe(r), sort_keys=True)) for r in chunk
                    ]
                    tags = [
                        (resource, t, r.ref)
                        for r in chunk
                        for t in r.tags
                        if t.startswith(self.tag_prefix)
                    ]
                    self._insert(db, "INSERT OR REPLACE INTO tgt VALUES (?,?,?)", records)
                    self._insert(db, "INSERT INTO tgt_tag VALUES (?,?,?)", tags)
            except StorebridgeError as exc:
                errors.append(f"could not read the target's {resource} again: {exc}")

        other = threading.Thread(target=source_side, name="storebridge-verify-source")
        other.start()
        try:
            target_side()
        except BaseException:
            # Ctrl-C, a closed store...: the source side stops at its next record, and
            # never writes into the database once it is closed (see run).
            self._stopped.set()
            other.join(_LET_GO)
            raise
        other.join()
        if failed:
            raise failed[0]
        return "; ".join(errors) or None

    def _until_stopped(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """``rows`` until the verification ends early: then _Stopped, which closes the
        listing at once (no more requests), not at the next chunk."""
        for row in rows:
            if self._stopped.is_set():
                raise _Stopped
            yield row

    def _insert(self, db: sqlite3.Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        for chunk in _chunks(rows):
            with self._lock:
                if self._stopped.is_set():
                    raise _Stopped
                db.executemany(sql, chunk)
                db.commit()

    # Comparing ------------------------------------------------------------------------------
    def _compare(self, resource: str, db: sqlite3.Connection, v: Verification) -> None:
        totals: dict[str, list[Decimal]] = {}
        checked = 0
        cursor = db.execute("SELECT ref, tag FROM src WHERE resource=? ORDER BY ref", (resource,))
        while rows := cursor.fetchmany(_CHUNK):
            for ref, tag in rows:
                checked += 1
                v.mismatches += self._check_one(resource, ref, tag, db, totals)
        v.checked[resource] = checked
        for tag, target_ref in db.execute(
            "SELECT t.tag, t.ref FROM tgt_tag t LEFT JOIN src s ON s.resource = t.resource "
            "AND s.tag = t.tag WHERE t.resource = ? AND s.tag IS NULL ORDER BY t.ref",
            (resource,),
        ):
            v.mismatches.append(
                Mismatch(
                    resource,
                    tag[len(self.tag_prefix) + 1 :],
                    target_ref,
                    f"extra: it carries the identity tag {tag} of a record the source does "
                    "not have (deleted on the source since it was copied?); migrations delete "
                    "nothing, so delete the copy on the target if it should go",
                )
            )
        for currency, (src, tgt) in sorted(totals.items()):
            v.order_totals[currency] = (str(src), str(tgt))
            if src != tgt:
                v.mismatches.append(
                    Mismatch("orders", "*", None, f"{currency} totals differ: {src} vs {tgt}")
                )

    def _check_one(
        self,
        resource: str,
        ref: str,
        tag: str,
        db: sqlite3.Connection,
        totals: dict[str, list[Decimal]],
    ) -> list[Mismatch]:
        entry = self.ledger.get(resource, ref)
        if entry is None:
            return [Mismatch(resource, ref, None, "not migrated: the migration never read it")]
        if entry.how == "same-as" and entry.state == "done":
            return self._alias(resource, ref, entry.detail, entry.expect, db)
        owed = entry.state == "pending" and entry.how == "created" and entry.target_ref
        if entry.state != "done" and not owed:
            return []  # skipped, failed or unknown: reported by the run itself
        # An update or a cancel owed (reported by the run itself): the copy must be there,
        # once; its values may be the ones before or after the owed write.
        if entry.how == "reused":
            found = db.execute(
                "SELECT 1 FROM tgt WHERE resource=? AND ref=?", (resource, entry.target_ref)
            ).fetchone()
            if found is None:
                return [
                    Mismatch(
                        resource,
                        ref,
                        entry.target_ref,
                        "missing on the target: the existing record it was matched with is gone",
                    )
                ]
            return self._still_matched(resource, ref, entry.target_ref, entry.expect, db, None)
        copies = [
            r for (r,) in db.execute(
                "SELECT ref FROM tgt_tag WHERE resource=? AND tag=? ORDER BY ref", (resource, tag)
            )
        ]  # fmt: skip
        if not copies:
            return [
                Mismatch(
                    resource,
                    ref,
                    entry.target_ref,
                    f"missing on the target: no record carries its identity tag {tag}",
                )
            ]
        if len(copies) > 1:
            keep = entry.target_ref if entry.target_ref in copies else copies[0]
            others = ", ".join(c for c in copies if c != keep)
            return [
                Mismatch(
                    resource,
                    ref,
                    keep,
                    f"{len(copies)} copies on the target ({', '.join(copies)}): the ledger "
                    f"keeps {keep}; remove {others} (see Duplicates in docs/migration.md)",
                    duplicates=tuple(copies),
                )
            ]
        target_ref = copies[0]
        problems: list[Mismatch] = []
        if entry.target_ref != target_ref:
            problems.append(
                Mismatch(
                    resource,
                    ref,
                    target_ref,
                    f"the ledger says it became {entry.target_ref}, the target has it as "
                    f"{target_ref}",
                )
            )
        row = db.execute(
            "SELECT observed FROM tgt WHERE resource=? AND ref=?", (resource, target_ref)
        ).fetchone()
        if entry.expect is None or row is None or owed:
            return problems
        expected, observed = json.loads(entry.expect), json.loads(row[0])
        problems += [
            Mismatch(resource, ref, target_ref, p)
            for p in mapping.differences(resource, expected, observed)
        ]
        if resource == "orders" and expected["currency"] == observed["currency"]:
            pair = totals.setdefault(expected["currency"], [Decimal(0), Decimal(0)])
            pair[0] += Decimal(expected["total"])
            pair[1] += Decimal(observed["total"])
        return problems

    def _alias(
        self, resource: str, ref: str, holder: str | None, expect: str | None, db: Any
    ) -> list[Mismatch]:
        """A record that shares another's copy (same e-mail) while the copy still has its
        e-mail; one whose holder's e-mail has changed since has no copy of its own."""
        held = self.ledger.get(resource, holder) if holder else None
        if held is None or not held.target_ref:
            return []  # a holder that is not on the target: reported by the run itself
        return self._still_matched(resource, ref, held.target_ref, expect, db, holder)

    def _still_matched(
        self,
        resource: str,
        ref: str,
        target_ref: str | None,
        expect: str | None,
        db: Any,
        holder: str | None,
    ) -> list[Mismatch]:
        """A record standing for this one by its e-mail (reused, or another source
        customer's copy) must still have it; one that moved on leaves this one without a
        copy. (Entries of earlier releases recorded no e-mail: not checked.)"""
        wanted = json.loads(expect).get("email") if expect else None
        row = db.execute(
            "SELECT observed FROM tgt WHERE resource=? AND ref=?", (resource, target_ref)
        ).fetchone()
        got = json.loads(row[0]).get("email") if row else None
        if not wanted or (got or "").lower() == wanted.lower():
            return []
        whose = f"source {resource[:-1]} {holder}'s copy" if holder else "the record it reused"
        return [
            Mismatch(
                resource,
                ref,
                target_ref,
                f"stands for it by the e-mail {wanted} ({whose}), which now has {got!r}: it "
                "has no copy of its own, and its orders were linked to that record; create "
                "it on the target and relink them by hand",
            )
        ]


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


__all__ = ["Verifier"]
