"""Single-use refund quotes: a quote refunds once, however often ``refunds.create`` is called.

Every :class:`~storebridge.RefundQuote` carries an ``idempotency_key``. ``refunds.create``
claims the key in an :class:`IdempotencyStore` before sending and records the refund it
produced; a second create with the same quote returns that refund instead of sending. If
an earlier attempt never learned its outcome (the answer was lost, the process died), the
next attempt first looks for the refund on the platform (``Adapter.find_refund``) and only
sends when it is certainly not there.

The default store lives in memory (one process). To make quotes single-use across
processes or restarts, pass a persistent store to the store's options::

    from storebridge import StoreOptions
    from storebridge.idempotency import SQLiteIdempotencyStore

    options = StoreOptions(idempotency_store=SQLiteIdempotencyStore("refunds.sqlite"))
    store = storebridge.connect("29next", options=options, ...)
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Literal, Protocol, TypeVar, runtime_checkable

import attrs

from storebridge._answer_checks import another_record, refund_of
from storebridge.adapter import Adapter
from storebridge.errors import OutcomeUnknown, StorebridgeError
from storebridge.flow import Batch, Done, Flow, FlowStepper, Start, ask, past_caches, request_meta
from storebridge.http import Request
from storebridge.model import Refund, RefundQuote
from storebridge.serialization import from_dict, to_dict

ClaimState = Literal["new", "done", "busy", "unsettled"]

T = TypeVar("T")

DEFAULT_LEASE = 600.0
"""Seconds after which a claim nobody completed is treated as abandoned (a crashed process)."""


@attrs.frozen
class Claim:
    """What :meth:`IdempotencyStore.claim` found for a key.

    * ``new``: nobody used the key; the caller now holds it and may send.
    * ``done``: the refund it produced is ``refund``.
    * ``busy``: another call holds it right now.
    * ``unsettled``: an earlier call held it and never learned its outcome; the caller now
      holds it and must look for the refund on the platform before sending.
    """

    state: ClaimState
    refund: Refund | None = None
    free_in: float | None = None
    """For ``busy``: seconds until the holder's lease runs out, after which a call looks the
    refund up on the platform (a holder that crashed never settles the key)."""


@runtime_checkable
class IdempotencyStore(Protocol):
    """Where single-use keys and the refunds they produced are kept."""

    def claim(self, key: str, lease: float = DEFAULT_LEASE) -> Claim: ...

    def complete(self, key: str, refund: Refund) -> None: ...

    def release(self, key: str) -> None:
        """The platform refused the write: the key may be used again."""
        ...

    def unsettle(self, key: str) -> None:
        """The outcome is unknown: the next claim must look on the platform first."""
        ...


@runtime_checkable
class RefundOwners(Protocol):
    """An :class:`IdempotencyStore` that can also say which key produced a refund.

    Settling a lost ``refunds.create`` finds a refund by what it looks like (amount, lines,
    new since the quote); one that another quote of the same store already produced looks
    the same, and is refused instead of being taken for this quote's. Both stores here
    have it; a store of your own without it skips that check.
    """

    def owner(self, scope: str, refund_ref: str) -> str | None:
        """The key under ``scope`` (a key prefix) whose refund is ``refund_ref``, if any."""
        ...


@runtime_checkable
class RefundRivals(Protocol):
    """An :class:`IdempotencyStore` that can say whether another key of the store was in
    use while a key's claim was held.

    A lost answer settled within the same call is read back: a refund that another call
    made while this one was under way (after this call's order read, before its POST)
    looks like this call's, and that call may not have recorded it yet. So a refund read
    back is taken only when no other ``refunds.create`` of the store was claimed, settled
    or in progress during this claim. Asked only after a read-back. Both stores here have
    it; a store of your own without it skips that check.
    """

    def rival_during_claim(self, scope: str, key: str) -> str | None:
        """A key under ``scope``, other than ``key``, claimed, completed or left unsettled
        since ``key``'s current claim began, or in progress now; None if there is none."""
        ...


@attrs.define
class _Entry:
    state: Literal["pending", "unsettled", "done"]
    since: float
    refund: Refund | None = None


class MemoryIdempotencyStore:
    """Keys in this process's memory (the default)."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, lease: float = DEFAULT_LEASE) -> Claim:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry("pending", now)
                return Claim("new")
            if entry.state == "done":
                return Claim("done", entry.refund)
            if entry.state == "pending" and now - entry.since < lease:
                return Claim("busy", free_in=lease - (now - entry.since))
            self._entries[key] = _Entry("pending", now)
            return Claim("unsettled")

    def complete(self, key: str, refund: Refund) -> None:
        with self._lock:
            self._entries[key] = _Entry("done", time.monotonic(), refund)

    def release(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def unsettle(self, key: str) -> None:
        with self._lock:
            self._entries[key] = _Entry("unsettled", time.monotonic())

    def rival_during_claim(self, scope: str, key: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            for other, entry in self._entries.items():
                if other == key or not other.startswith(scope):
                    continue
                running = entry.state == "pending" and now - entry.since < DEFAULT_LEASE
                if running or entry.since >= held.since:
                    return other
        return None

    def owner(self, scope: str, refund_ref: str) -> str | None:
        with self._lock:
            for key, entry in self._entries.items():
                if (key.startswith(scope) and entry.refund is not None
                        and entry.refund.ref == refund_ref):  # fmt: skip
                    return key
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS refund_keys (
    key       TEXT PRIMARY KEY,
    state     TEXT NOT NULL,
    since     REAL NOT NULL,
    refund    TEXT
)
"""


class SQLiteIdempotencyStore:
    """Keys in a SQLite file, shared by every process that opens the same file.

    Claims are taken in ``BEGIN IMMEDIATE`` transactions, so two processes racing with one
    quote cannot both send it. Each state change is committed before the refund request
    leaves (claim) and after its answer arrives (complete).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def claim(self, key: str, lease: float = DEFAULT_LEASE) -> Claim:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT state, since, refund FROM refund_keys WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    self._put(key, "pending", now)
                    claim = Claim("new")
                elif row[0] == "done":
                    claim = Claim("done", from_dict(json.loads(row[2]), Refund))
                elif row[0] == "pending" and now - row[1] < lease:
                    claim = Claim("busy", free_in=lease - (now - row[1]))
                else:
                    self._put(key, "pending", now)
                    claim = Claim("unsettled")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return claim

    def _put(self, key: str, state: str, since: float, refund: str | None = None) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO refund_keys (key, state, since, refund) VALUES (?, ?, ?, ?)",
            (key, state, since, refund),
        )

    def complete(self, key: str, refund: Refund) -> None:
        text = json.dumps(to_dict(refund, include_raw=True), default=str)
        with self._lock:
            self._put(key, "done", time.time(), text)

    def release(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM refund_keys WHERE key = ?", (key,))

    def unsettle(self, key: str) -> None:
        with self._lock:
            self._put(key, "unsettled", time.time())

    def rival_during_claim(self, scope: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key FROM refund_keys WHERE key != ? AND substr(key, 1, ?) = ? "
                "AND (since >= (SELECT since FROM refund_keys WHERE key = ?) "
                "OR (state = 'pending' AND since > ?)) LIMIT 1",
                (key, len(scope), scope, key, time.time() - DEFAULT_LEASE),
            ).fetchone()
        return None if row is None else str(row[0])

    def owner(self, scope: str, refund_ref: str) -> str | None:
        # Only a refund found by reading back asks.
        with self._lock:
            rows = self._db.execute(
                "SELECT key, refund FROM refund_keys WHERE state = 'done' "
                "AND substr(key, 1, ?) = ? AND instr(refund, ?) > 0",
                (len(scope), scope, '"ref": ' + json.dumps(refund_ref)),
            ).fetchall()
        return _owning(rows, refund_ref)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteIdempotencyStore({str(self.path)!r})"


def _owning(rows: list[tuple[str, str | None]], refund_ref: str) -> str | None:
    for key, text in rows:
        if text is not None and json.loads(text).get("ref") == refund_ref:
            return str(key)
    return None


def single_use_refund(
    adapter: Adapter,
    quote: RefundQuote,
    note: str | None,
    notify: bool,
    keys: IdempotencyStore,
) -> Flow[Refund]:
    """``adapter.create_refund`` at most once per quote (see the module docstring)."""
    scope = f"{adapter.name}:{adapter.store_id}:"
    key = scope + quote.idempotency_key
    claim = keys.claim(key)
    if claim.state == "done" and claim.refund is not None:
        return claim.refund
    if claim.state == "busy":
        wait = "" if claim.free_in is None else f" in {math.ceil(claim.free_in)} s"
        raise OutcomeUnknown(
            "refunds.create with this quote is in progress in another call; once it has "
            "finished, calling again returns its refund. If no other call is running (one "
            f"was killed or crashed), calling again{wait} looks the refund up on "
            f"{adapter.display_name} instead of sending it again",
            operation="refunds.create",
        )
    if claim.state == "unsettled":
        if type(adapter).find_refund is Adapter.find_refund:
            keys.unsettle(key)
            raise OutcomeUnknown(
                f"an earlier refunds.create with this quote did not learn its outcome and "
                f"{adapter.display_name} cannot look refunds up; check order "
                f"{quote.order_ref}'s refunds before refunding again",
                operation="refunds.create",
            )
        try:
            # Past caches: a cached answer from before the lost write shows no refund.
            found = yield from past_caches(adapter.find_refund(quote))
        except OutcomeUnknown:
            keys.unsettle(key)
            raise
        except StorebridgeError as error:
            # Still unsettled: an ordinary error here would read as "nothing happened".
            keys.unsettle(key)
            raise OutcomeUnknown(
                f"an earlier refunds.create with this quote did not learn its outcome, and "
                f"looking for its refund on order {quote.order_ref} failed ({error}); "
                "nothing was sent, call again to look again",
                operation="refunds.create",
            ) from error
        except BaseException:
            keys.unsettle(key)
            raise
        if found is not None:
            other = keys.owner(scope, found.ref) if isinstance(keys, RefundOwners) else None
            _not_anothers(keys, key, found, quote, other)
            keys.complete(key, found)
            return found
    read_back = [False]
    try:
        # Past caches, its reads before the write too: the order read to check the quote
        # is current, and the refunds it already has, decide whether the refund is sent and
        # which refund is this one's.
        refund = yield from _noting_read_backs(
            past_caches(adapter.create_refund(quote, note=note, notify=notify)), read_back
        )
    except OutcomeUnknown:
        keys.unsettle(key)
        raise
    except StorebridgeError:
        keys.release(key)  # refused before anything happened: the quote may be used again
        raise
    except BaseException:
        keys.unsettle(key)
        raise
    problem = refund_of(quote)(refund)
    if problem is not None:
        # Recorded, another order's refund would answer this quote from now on.
        keys.unsettle(key)
        raise another_record("refunds.create", problem)
    if read_back[0]:
        # A lost answer settled by reading the order's refunds back. A refund another call
        # made while this one ran (recorded by now, or not yet) cannot be told from this
        # one's. One recorded before this claim began cannot be among those found: it was
        # on the order when this call read it. (Asking for its owner would also match the
        # same refund numbers of an earlier sandbox of the store, started afresh.)
        rival = keys.rival_during_claim(scope, key) if isinstance(keys, RefundRivals) else None
        if rival is not None:
            keys.unsettle(key)
            raise OutcomeUnknown(
                f"refunds.create with this quote may have refunded order {quote.order_ref}: "
                f"its answer was lost, and the refund read back ({refund.ref}, "
                f"{refund.amount}) may be another refunds.create's of this store, which ran "
                "at the same time; check the order's refunds before refunding again",
                operation="refunds.create",
            )
    keys.complete(key, refund)
    return refund


def _requests(step: object) -> tuple[Request, ...]:
    """The requests a flow step sends (a request, a batch, requests started)."""
    if isinstance(step, Request):
        return (step,)
    sent = getattr(step, "requests", None) if isinstance(step, Batch | Start) else None
    return tuple(sent) if sent else ()


def _noting_read_backs(flow: Flow[T], read_back: list[bool]) -> Flow[T]:
    """``flow`` passed through, with ``read_back[0]`` set once it sends a request after a
    write (a request not idempotent, alone, in a batch or started): its result then came
    from reading the store back, not from the write's answer. (A refund flow returns the
    refund once its write is answered; see the adapter guide.)"""
    wrote = False
    stepper: FlowStepper[T] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            sent = _requests(step)
            if wrote and sent:
                read_back[0] = True
            if any(not request_meta(request).idempotent for request in sent):
                wrote = True
            step = stepper.advance(*(yield from ask(step)))
        result: T = step.value
        return result
    finally:
        stepper.close()


def _not_anothers(
    keys: IdempotencyStore, key: str, refund: Refund, quote: RefundQuote, other: str | None
) -> None:
    """OutcomeUnknown (the key left unsettled) when ``other``, another quote's key, has
    ``refund``."""
    if other is not None and other != key:
        keys.unsettle(key)
        raise OutcomeUnknown(
            f"refunds.create with this quote may have refunded order {quote.order_ref}: its "
            f"answer was lost, and the refund that matches it ({refund.ref}, "
            f"{refund.amount}) was made by another quote; check the order's refunds before "
            "refunding again",
            operation="refunds.create",
        )


_default = MemoryIdempotencyStore()


def default_store() -> MemoryIdempotencyStore:
    """The process-wide store used when a store's options name none."""
    return _default


__all__ = [
    "DEFAULT_LEASE",
    "Claim",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RefundOwners",
    "RefundRivals",
    "SQLiteIdempotencyStore",
    "default_store",
    "single_use_refund",
]
