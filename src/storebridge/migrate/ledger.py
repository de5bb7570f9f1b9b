"""The migration ledger: which source record became which target record, in SQLite.

Every state change is committed on its own, so a process killed at any moment leaves the
ledger consistent: an item is either unknown, ``pending`` (a write may or may not have
reached the target: reconcile by identity tag before writing again) or ``done``.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import attrs

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    source_platform TEXT NOT NULL,
    source_store    TEXT NOT NULL,
    resource        TEXT NOT NULL,
    source_ref      TEXT NOT NULL,
    target_platform TEXT NOT NULL,
    target_store    TEXT NOT NULL,
    target_ref      TEXT,
    state           TEXT NOT NULL,
    how             TEXT,
    fingerprint     TEXT,
    detail          TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (source_platform, source_store, resource, source_ref,
                 target_platform, target_store)
);
CREATE TABLE IF NOT EXISTS watermarks (
    source_platform TEXT NOT NULL,
    source_store    TEXT NOT NULL,
    target_platform TEXT NOT NULL,
    target_store    TEXT NOT NULL,
    resource        TEXT NOT NULL,
    watermark       TEXT NOT NULL,
    PRIMARY KEY (source_platform, source_store, target_platform, target_store, resource)
);
"""


@attrs.frozen
class Route:
    """One migration direction: from a source store to a target store."""

    source_platform: str
    source_store: str
    target_platform: str
    target_store: str


@attrs.frozen
class Entry:
    source_ref: str
    target_ref: str | None
    state: str
    how: str | None
    fingerprint: str | None


class Ledger:
    """A SQLite ledger. ``path=":memory:"`` keeps it in memory (dry runs, tests)."""

    def __init__(self, path: str | Path, route: Route) -> None:
        self.path = str(path)
        self.route = route
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # WAL + synchronous=FULL: each committed item survives a kill -9 or power loss.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    @classmethod
    def snapshot(cls, path: str | Path, route: Route) -> Ledger:
        """An in-memory copy of the ledger at ``path`` (empty if there is none).

        Dry runs plan against it: they see what earlier runs did, and write nothing.
        """
        ledger = cls(":memory:", route)
        if Path(path).exists():
            source = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
            try:
                with ledger._lock:
                    source.backup(ledger._db)
            finally:
                source.close()
        return ledger

    def _key(self, resource: str, source_ref: str) -> tuple[str, ...]:
        r = self.route
        return (r.source_platform, r.source_store, resource, source_ref,
                r.target_platform, r.target_store)  # fmt: skip

    def get(self, resource: str, source_ref: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT source_ref, target_ref, state, how, fingerprint FROM items WHERE "
                "source_platform=? AND source_store=? AND resource=? AND source_ref=? AND "
                "target_platform=? AND target_store=?",
                self._key(resource, source_ref),
            ).fetchone()
        return Entry(*row) if row else None

    def entries(self, resource: str) -> dict[str, Entry]:
        r = self.route
        with self._lock:
            rows = self._db.execute(
                "SELECT source_ref, target_ref, state, how, fingerprint FROM items WHERE "
                "source_platform=? AND source_store=? AND resource=? AND "
                "target_platform=? AND target_store=?",
                (r.source_platform, r.source_store, resource, r.target_platform, r.target_store),
            ).fetchall()
        return {row[0]: Entry(*row) for row in rows}

    def _put(
        self,
        resource: str,
        source_ref: str,
        state: str,
        target_ref: str | None,
        how: str | None,
        fingerprint: str | None,
        detail: str | None = None,
    ) -> None:
        now = datetime.now(UTC).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
                "target_ref=excluded.target_ref, state=excluded.state, how=excluded.how, "
                "fingerprint=excluded.fingerprint, detail=excluded.detail, "
                "updated_at=excluded.updated_at",
                (*self._key(resource, source_ref), target_ref, state, how, fingerprint, detail,
                 now),
            )  # fmt: skip

    def mark_pending(self, resource: str, source_ref: str, fingerprint: str | None) -> None:
        self._put(resource, source_ref, "pending", None, None, fingerprint)

    def mark_done(
        self, resource: str, source_ref: str, target_ref: str, how: str, fingerprint: str | None
    ) -> None:
        self._put(resource, source_ref, "done", target_ref, how, fingerprint)

    def mark_failed(self, resource: str, source_ref: str, detail: str) -> None:
        self._put(resource, source_ref, "failed", None, None, None, detail)

    def watermark(self, resource: str) -> datetime | None:
        r = self.route
        with self._lock:
            row = self._db.execute(
                "SELECT watermark FROM watermarks WHERE source_platform=? AND source_store=? "
                "AND target_platform=? AND target_store=? AND resource=?",
                (r.source_platform, r.source_store, r.target_platform, r.target_store, resource),
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_watermark(self, resource: str, when: datetime) -> None:
        r = self.route
        with self._lock:
            self._db.execute(
                "INSERT INTO watermarks VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
                "watermark=excluded.watermark",
                (r.source_platform, r.source_store, r.target_platform, r.target_store, resource,
                 when.isoformat()),
            )  # fmt: skip

    def close(self) -> None:
        with self._lock:
            self._db.close()
