"""Remembering which deliveries were handled, so a re-delivered event is dropped."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, runtime_checkable

DEFAULT_HOLD = 300.0
"""Seconds a claimed delivery stays claimed if its handler never finishes (a crash)."""


@runtime_checkable
class SeenStore(Protocol):
    """Delivery ids: claimed while a handler runs, seen once it finished."""

    def claim(self, key: str) -> bool:
        """True if nobody has seen or is handling ``key``; the caller now handles it."""
        ...

    def done(self, key: str) -> None:
        """``key`` was handled: later deliveries of it are duplicates."""
        ...

    def release(self, key: str) -> None:
        """Handling ``key`` failed: a later delivery of it is handled again."""
        ...


class MemorySeenStore:
    """Delivery ids in memory, the most recent ``capacity`` of them."""

    def __init__(self, capacity: int = 100_000, hold: float = DEFAULT_HOLD) -> None:
        self.capacity = capacity
        self.hold = hold
        self._seen: OrderedDict[str, float | None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if key in self._seen:
                claimed_at = self._seen[key]
                if claimed_at is None or now - claimed_at < self.hold:
                    return False
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True

    def done(self, key: str) -> None:
        with self._lock:
            self._seen[key] = None

    def release(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


class SQLiteSeenStore:
    """Delivery ids in a SQLite file, shared by every process (and worker) that opens it."""

    def __init__(self, path: str | os.PathLike[str], hold: float = DEFAULT_HOLD) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hold = hold
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, claimed REAL, "
            "done INTEGER NOT NULL DEFAULT 0)"
        )

    def claim(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT claimed, done FROM deliveries WHERE key = ?", (key,)
                ).fetchone()
                fresh = row is None or (not row[1] and now - row[0] >= self.hold)
                if fresh:
                    self._db.execute(
                        "INSERT OR REPLACE INTO deliveries (key, claimed, done) VALUES (?, ?, 0)",
                        (key, now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return fresh

    def done(self, key: str) -> None:
        with self._lock:
            self._db.execute("UPDATE deliveries SET done = 1 WHERE key = ?", (key,))

    def release(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM deliveries WHERE key = ? AND done = 0", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = ["DEFAULT_HOLD", "MemorySeenStore", "SQLiteSeenStore", "SeenStore"]
