"""How far a read of the source has got, as a filter a resumed run can start from.

A listing is read in the platform's order, and records finish out of order (writes run in
parallel). The checkpoint is the longest prefix of the listing whose records are all
processed, expressed as a filter every store's listing understands:

* ``updated_asc``: the listing came oldest-changed first (24Nettbutikk's ``modified_on``
  order). Everything before the prefix's last
  record changed no later than it, and a record changed during the run moves to the end, so
  ``updated_since=<its updated_at>`` reads everything not yet processed.
* ``created_desc``: the listing came newest first by creation time (29 Next). Creation times
  never change, so ``created_until=<its created_at>`` reads everything not yet processed;
  records created after the run began are left to the next catch-up.

Which order a listing has is learned from the listing itself: a key stays a candidate only
while every record read so far agrees with it, and a pass continued from a checkpoint keeps
checking the key it relies on. An adapter can rule keys out (``Adapter.checkpoint_keys``):
a listing by id looks ordered by update time until its last record read is one just
edited, and no later record can show otherwise before an interruption. For the same
reason ``updated_asc`` is relied on only once the listing has shown it is not in order of
ref either way (one record whose ref is out of line), unless the platform documents that
order (``Adapter.documented_orders``): records edited in the order of their
refs (a bulk edit) would make a listing by ref look ordered by change, and a resume after
its last processed record would skip the records behind it, edited earlier. When no key
holds (parallel reads merging windows, a listing by id with edited records, a listing not
yet shown to differ from ref order) the checkpoint only counts records, and a resume reads
the listing again, recognising what the ledger already has. Boundaries are inclusive:
records sharing the boundary time are read again and recognised, never missed.
Verification lists the source afresh, so a record a resume skipped is reported missing;
an update a resume skipped would not be (verification compares the target with what was
written), which is why the rules above keep to orders the listing has proven.

Each checkpoint is saved with its grounds (:data:`PROOFS`). Ledgers of releases that
relied on ``updated_asc`` as soon as a listing looked ordered hold checkpoints without
them; :func:`may_resume` sets those aside (a resume reads the listing again) unless the
adapter documents the order. ``created_desc`` needs no proof: creation times never change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

ORDER_KEYS: dict[str, tuple[str, int, str]] = {
    "updated_asc": ("updated_at", 1, "updated_since"),
    "created_desc": ("created_at", -1, "created_until"),
}
"""key -> (record field, direction, listing filter a resume uses)."""
_ZERO = timedelta(0)

SHOWN = "ref-out-of-line"
"""Grounds of an ``updated_asc`` checkpoint: the listing showed a ref out of line."""
DOCUMENTED = "documented"
"""Grounds of an ``updated_asc`` checkpoint: the adapter documents the order."""
CREATION = "creation-time"
"""Grounds of a ``created_desc`` checkpoint: creation times never change."""
PROOFS = frozenset({SHOWN, DOCUMENTED, CREATION})


def may_resume(order_key: str, proof: str | None, documented: Iterable[str] = ()) -> bool:
    """Whether a resume may continue from a saved checkpoint of ``order_key``.

    ``proof``: the grounds saved with it (None in ledgers of releases that saved none);
    ``documented``: the orders the adapter documents (``Adapter.documented_orders``).
    """
    if order_key != "updated_asc":
        return True
    # "documented" counts only while the adapter still documents the order.
    return proof == SHOWN or order_key in frozenset(documented)


def resume_filter(order_key: str, boundary: datetime) -> dict[str, datetime]:
    """The listing filter that reads what a checkpoint left unprocessed."""
    return {ORDER_KEYS[order_key][2]: boundary}


class ListingPosition:
    """Tracks one pass over a listing: record order, and the processed prefix.

    ``admit`` each record as it is read (in listing order); ``finish`` it when it is
    processed (in any order, from any thread). :meth:`checkpoint` gives the filter key and
    boundary of the processed prefix.
    """

    def __init__(
        self,
        candidates: Iterable[str] = ORDER_KEYS,
        processed: int = 0,
        start: tuple[str, datetime] | None = None,
        documented: Iterable[str] = (),
        proof: str | None = None,
    ) -> None:
        """``start``: the checkpoint a continued pass relies on, saved on ``proof``."""
        self._valid = set(candidates)
        self._last: dict[str, datetime] = {}
        self._boundary: dict[str, datetime] = {}
        if start is not None:
            # A pass continued from a checkpoint: only the key it relies on is checked,
            # and until the prefix moves, the old boundary still stands.
            key, boundary = start
            self._valid = {key}
            self._last[key] = boundary
            self._boundary[key] = boundary
        # The ref orders (1 ascending, -1 descending) the records read so far agree with;
        # a pass continued from a checkpoint relies on a key already proven.
        self._ref_orders: set[int] = set() if start is not None else {1, -1}
        # A continued pass keeps the grounds of its start; a new one earns its own.
        self._proof = proof if start is not None else SHOWN
        self._documented = frozenset(documented)
        self._last_ref: tuple[int, int, str] | None = None
        self._keys: dict[int, dict[str, datetime | None]] = {}
        self._finished: set[int] = set()
        self._next = 0
        self._prefix = -1
        self.processed = processed
        """Records processed in the pass, earlier runs included."""
        self._lock = threading.Lock()

    @property
    def order_keys(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._valid)

    def admit(self, record: Any) -> int:
        """Register the next record of the listing; returns its position."""
        with self._lock:
            seq = self._next
            self._next += 1
            if self._ref_orders:
                self._follow_ref(getattr(record, "ref", None))
            values: dict[str, datetime | None] = {}
            for key in list(self._valid):
                field, direction, _ = ORDER_KEYS[key]
                value = getattr(record, field, None)
                last = self._last.get(key)
                if value is None or (last is not None and (value - last) * direction < _ZERO):
                    self._valid.discard(key)
                    self._boundary.pop(key, None)
                    continue
                self._last[key] = value
                values[key] = value
            self._keys[seq] = values
            return seq

    def _follow_ref(self, ref: object) -> None:
        """Drop the ref orders ``ref`` breaks (numeric refs compare as numbers)."""
        text = str(ref)
        # Digit refs in numeric order, whatever their length: shorter is smaller.
        now = (0, len(text.lstrip("0")), text.lstrip("0")) if text.isdigit() else (1, 0, text)
        last, self._last_ref = self._last_ref, now
        if last is not None and now != last:
            self._ref_orders.discard(1 if now < last else -1)

    def finish(self, seq: int) -> None:
        """Record ``seq`` is processed (done, skipped, failed or already there)."""
        with self._lock:
            self.processed += 1
            self._finished.add(seq)
            while self._prefix + 1 in self._finished:
                self._prefix += 1
                self._finished.discard(self._prefix)
                values = self._keys.pop(self._prefix, {})
                for key, value in values.items():
                    if key in self._valid and value is not None:
                        self._boundary[key] = value

    def checkpoint(self) -> tuple[str | None, datetime | None]:
        """(order key, boundary) of the processed prefix; (None, None) when none holds."""
        key, boundary, _proof = self.grounded()
        return key, boundary

    def grounded(self) -> tuple[str | None, datetime | None, str | None]:
        """:meth:`checkpoint` with the grounds it is saved on (see :data:`PROOFS`)."""
        with self._lock:
            for key in ORDER_KEYS:
                if key not in self._valid or key not in self._boundary:
                    continue
                if key == "created_desc":
                    proof: str | None = CREATION
                elif key in self._documented:
                    proof = DOCUMENTED
                elif self._ref_orders:
                    continue  # the listing may be by ref: see the module
                else:
                    proof = self._proof
                return key, self._boundary[key], proof
            return None, None, None


__all__ = [
    "CREATION",
    "DOCUMENTED",
    "ORDER_KEYS",
    "PROOFS",
    "SHOWN",
    "ListingPosition",
    "may_resume",
    "resume_filter",
]
