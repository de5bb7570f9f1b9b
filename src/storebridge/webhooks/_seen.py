"""Remembering which deliveries were handled, so a re-delivered event is dropped."""

from __future__ import annotations

import enum
import inspect
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, TypeGuard, cast, runtime_checkable

import attrs

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
    """Delivery ids: claimed while a handler runs, seen once it finished.

    A store should also take an ``owner`` keyword on ``claim`` and ``release`` (as
    :class:`MemorySeenStore` and :class:`SQLiteSeenStore` do): storebridge then passes each
    claim a fresh id, and ``release`` ends only the claim made with it. Without it, a
    handler still running after its claim expired (``hold``) and then failing releases the
    claim a re-delivery took meanwhile, and a further re-delivery is handled beside that one.
    Such a store is still served, called with the signatures below, with a warning once.
    """

    def claim(self, key: str) -> DeliveryState | bool:
        """Claim ``key`` if nobody has handled it or holds a live claim on it.

        Returns a :class:`DeliveryState` (``NEW``: the caller now handles it). A store
        written before the states existed may return a bool; False is then taken as
        ``IN_PROGRESS`` (retried), because it cannot tell a finished delivery from one
        still being handled. With ``owner=``: the claim is kept with that id.
        """
        ...

    def done(self, key: str) -> None:
        """``key`` was handled: later deliveries of it are duplicates.

        Whoever holds the claim now: a handler that finished did handle the delivery, and
        a later release of a newer claim must not reopen it.
        """
        ...

    def release(self, key: str) -> None:
        """Handling ``key`` failed: a later delivery of it is handled again.

        With ``owner=``: only if its unfinished claim was made with that id (without:
        only one made without an id); someone else's claim, or a finished delivery, stays.
        """
        ...


class _OwnedClaims(Protocol):
    """A :class:`SeenStore` whose claims carry their owner's id."""

    def claim(self, key: str, *, owner: str | None = None) -> DeliveryState | bool: ...

    def done(self, key: str) -> None: ...

    def release(self, key: str, *, owner: str | None = None) -> None: ...


_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _takes_owner(seen: SeenStore) -> TypeGuard[_OwnedClaims]:
    """Whether ``claim`` and ``release`` both take ``owner=``: a store that could take it on
    one only would keep ids it can never match, so it is served without them."""
    for name in ("claim", "release"):
        try:
            named = inspect.signature(getattr(seen, name)).parameters.get("owner")
        except (TypeError, ValueError):  # no signature to read (a C method): assume the old
            return False
        if named is None or named.kind not in _NAMED:
            return False
    return True


_warned: set[type] = set()


def _warn_ownerless(seen: SeenStore) -> None:
    kind = type(seen)
    if kind in _warned:
        return
    _warned.add(kind)
    log.warning(
        "%s.claim and .release take no owner= keyword: a handler still running after its "
        "claim expired that then fails releases the claim a re-delivery took meanwhile, and "
        "a further re-delivery is handled beside it; accept owner= on both (see "
        "storebridge.webhooks.SeenStore)",
        kind.__name__,
    )


def _as_state(seen: SeenStore, found: DeliveryState | bool) -> DeliveryState:
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


def claim_state(seen: SeenStore, key: str) -> DeliveryState:
    """``seen.claim(key)`` (a claim without owner) as a :class:`DeliveryState`."""
    return _as_state(seen, seen.claim(key))


@attrs.frozen
class Claim:
    """One request's claim on a delivery id, ended by that request only.

    ``owner`` is the fresh id the claim was made with; None for a store that cannot keep
    one (see :class:`SeenStore`).
    """

    seen: SeenStore
    key: str
    state: DeliveryState
    owner: str | None

    @classmethod
    def take(cls, seen: SeenStore, key: str) -> Claim:
        if _takes_owner(seen):
            # Random, not a counter: unique across the processes sharing a store's file.
            owner = secrets.token_hex(16)
            return cls(seen, key, _as_state(seen, seen.claim(key, owner=owner)), owner)
        _warn_ownerless(seen)
        return cls(seen, key, claim_state(seen, key), None)

    def done(self) -> None:
        self.seen.done(self.key)

    def release(self) -> None:
        if self.owner is None:
            self.seen.release(self.key)
        else:
            cast(_OwnedClaims, self.seen).release(self.key, owner=self.owner)


class MemorySeenStore:
    """Delivery ids in memory, the most recent ``capacity`` of them (and every delivery
    still being handled)."""

    def __init__(self, capacity: int = 100_000, hold: float = DEFAULT_HOLD) -> None:
        self.capacity = capacity
        self.hold = hold
        # A claim's (time, owner); None once handled.
        self._seen: OrderedDict[str, tuple[float, str | None] | None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str, *, owner: str | None = None) -> DeliveryState:
        now = time.monotonic()
        with self._lock:
            if key in self._seen:
                held = self._seen[key]
                if held is None:
                    return DeliveryState.DONE
                if now - held[0] < self.hold:
                    return DeliveryState.IN_PROGRESS
            self._seen[key] = (now, owner)
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
        for key, held in self._seen.items():
            if held is None or now - held[0] >= self.hold:
                gone.append(key)
                if len(gone) == excess:
                    break
        for key in gone:
            del self._seen[key]

    def done(self, key: str) -> None:
        with self._lock:
            self._seen[key] = None

    def release(self, key: str, *, owner: str | None = None) -> None:
        with self._lock:
            held = self._seen.get(key)
            # A finished delivery stays finished; a claim taken over since stays its owner's.
            if held is not None and held[1] == owner:
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
        if "owner" not in self._columns():
            self._create_or_upgrade()

    def _columns(self) -> set[str]:
        return {row[1] for row in self._db.execute("PRAGMA table_info(deliveries)")}

    def _create_or_upgrade(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")  # one process at a time; look again inside
        try:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, claimed REAL, "
                "done INTEGER NOT NULL DEFAULT 0, owner TEXT)"
            )
            if "owner" not in self._columns():
                # A file written before claims had owners: its claims have none (NULL), and
                # only a release without owner (an older storebridge's) ends them.
                self._db.execute("ALTER TABLE deliveries ADD COLUMN owner TEXT")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def claim(self, key: str, *, owner: str | None = None) -> DeliveryState:
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
                        "INSERT OR REPLACE INTO deliveries (key, claimed, done, owner) "
                        "VALUES (?, ?, 0, ?)",
                        (key, now, owner),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return state

    def done(self, key: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO deliveries (key, claimed, done, owner) "
                "VALUES (?, ?, 1, NULL)",
                (key, time.time()),
            )

    def release(self, key: str, *, owner: str | None = None) -> None:
        with self._lock:
            # Only this owner's claim: another process may have taken it over since.
            self._db.execute(
                "DELETE FROM deliveries WHERE key = ? AND done = 0 AND owner IS ?", (key, owner)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = [
    "DEFAULT_HOLD",
    "Claim",
    "DeliveryState",
    "MemorySeenStore",
    "SQLiteSeenStore",
    "SeenStore",
    "claim_state",
]
