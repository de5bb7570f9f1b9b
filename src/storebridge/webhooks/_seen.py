"""Remembering which deliveries were handled, so a re-delivered event is dropped."""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, runtime_checkable

log = logging.getLogger("storebridge.webhooks")

DEFAULT_HOLD = 300.0
"""Seconds a claimed delivery stays claimed if its handler never finishes (a crash)."""


class DeliveryState(enum.Enum):
    """What :meth:`SeenStore.claim` found for a delivery id.

    * ``NEW``: nobody had handled it or was handling it; the caller now holds the claim and
      must end it with ``done`` or ``release``.
    * ``IN_PROGRESS``: another handler holds a claim on it that has neither finished nor
      expired (``hold``); it may still fail, so the delivery is *not* a duplicate yet: answer
      something the platform retries.
    * ``DONE``: a handler finished with it: a duplicate, acknowledged and dropped.

    Only ``NEW`` is true, so ``if seen.claim(key):`` reads as it did when ``claim``
    returned a bool.
    """

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    def __bool__(self) -> bool:
        return self is DeliveryState.NEW


@runtime_checkable
class SeenStore(Protocol):
    """Delivery ids: claimed while a handler runs, seen once it finished."""

    def claim(self, key: str) -> DeliveryState | bool:
        """Claim ``key`` if nobody has handled it or holds a live claim on it.

        Returns a :class:`DeliveryState` (``NEW``: the caller now handles it). A store
        written before the states existed may return a bool; False is then taken as
        ``IN_PROGRESS`` (retried), because it cannot tell a finished delivery from one
        still being handled.
        """
        ...

    def done(self, key: str) -> None:
        """``key`` was handled: later deliveries of it are duplicates."""
        ...

    def release(self, key: str) -> None:
        """Handling ``key`` failed: a later delivery of it is handled again."""
        ...


def claim_state(seen: SeenStore, key: str) -> DeliveryState:
    """``seen.claim(key)`` as a :class:`DeliveryState`, whatever the store returned."""
    found = seen.claim(key)
    if isinstance(found, DeliveryState):
        return found
    if found:
        return DeliveryState.NEW
    # A store written when claim() returned a bool: False cannot tell a finished delivery
    # from one still being handled, and acknowledging one nobody finished would lose it.
    log.warning(
        "%s.claim returned %r: taken as a delivery still in progress (answered so the "
        "platform retries); return a storebridge.webhooks.DeliveryState so finished "
        "deliveries are acknowledged as duplicates",
        type(seen).__name__,
        found,
    )
    return DeliveryState.IN_PROGRESS


class MemorySeenStore:
    """Delivery ids in memory, the most recent ``capacity`` of them (and every delivery
    still being handled)."""

    def __init__(self, capacity: int = 100_000, hold: float = DEFAULT_HOLD) -> None:
        self.capacity = capacity
        self.hold = hold
        self._seen: OrderedDict[str, float | None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> DeliveryState:
        now = time.monotonic()
        with self._lock:
            if key in self._seen:
                claimed_at = self._seen[key]
                if claimed_at is None:
                    return DeliveryState.DONE
                if now - claimed_at < self.hold:
                    return DeliveryState.IN_PROGRESS
            self._seen[key] = now
            self._seen.move_to_end(key)
            self._forget_oldest(now)
            return DeliveryState.NEW

    def _forget_oldest(self, now: float) -> None:
        """Down to ``capacity``, oldest first, but never a claim still being handled: its
        platform's re-delivery would then be handled beside it (past ``capacity`` while
        more than that many are in flight)."""
        excess = len(self._seen) - self.capacity
        if excess <= 0:
            return
        gone = []
        for key, claimed_at in self._seen.items():
            if claimed_at is None or now - claimed_at >= self.hold:
                gone.append(key)
                if len(gone) == excess:
                    break
        for key in gone:
            del self._seen[key]

    def done(self, key: str) -> None:
        with self._lock:
            self._seen[key] = None

    def release(self, key: str) -> None:
        with self._lock:
            if self._seen.get(key) is not None:  # a finished delivery stays finished
                del self._seen[key]


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

    def claim(self, key: str) -> DeliveryState:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT claimed, done FROM deliveries WHERE key = ?", (key,)
                ).fetchone()
                if row is not None and row[1]:
                    state = DeliveryState.DONE
                elif row is not None and now - row[0] < self.hold:
                    state = DeliveryState.IN_PROGRESS
                else:
                    state = DeliveryState.NEW
                    self._db.execute(
                        "INSERT OR REPLACE INTO deliveries (key, claimed, done) VALUES (?, ?, 0)",
                        (key, now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return state

    def done(self, key: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO deliveries (key, claimed, done) VALUES (?, ?, 1)",
                (key, time.time()),
            )

    def release(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM deliveries WHERE key = ? AND done = 0", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = [
    "DEFAULT_HOLD",
    "DeliveryState",
    "MemorySeenStore",
    "SQLiteSeenStore",
    "SeenStore",
    "claim_state",
]
