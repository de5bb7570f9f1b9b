"""Where each store's incremental load left off, kept in the dlt resource's state.

Today a store's position is a high-water mark of change times: a record's ``updated_at``,
read the way the change feed reads it (``Adapter.change_time``, the latest instant a local
time in a repeated DST hour may mean). Each run asks for records updated since that mark
minus an ``overlap`` (so clock skew, records committed late and platforms whose
``updated_since`` is exclusive or coarse cannot hide a change) and admits:

* records new or changed since they were loaded: every record at or after the mark less
  the overlap is remembered by ref with a digest of its content (the *window*), which also
  catches a second change within the same second;
* records without ``updated_at`` (29 Next customers, for one) when their content differs
  from what was loaded: the state keeps one digest per such record, so a platform that
  dates nothing costs a full read per run, but the load still carries only the changes.

The mark a run saves is the newest change time it read, but never later than the run's
start (on the caller's clock) less the overlap. A record read early and edited while the
run went on is older than records read after it, and a platform node whose clock runs
ahead stamps changes in our future: a mark past the run's start would put both out of
every later run's reach. So the next run reads again up to twice the overlap plus this
run's length; the window keeps what it reads again from being loaded twice.

The state is a plain dict tagged with its ``kind``, so a position of another kind (a change
feed's checkpoint) can take its place per store without touching the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storebridge._digest import digest
from storebridge.changes import check_overlap

__all__ = ["DEFAULT_OVERLAP", "UpdatedAtCursor"]

DEFAULT_OVERLAP = timedelta(minutes=5)
_PRUNE_AT = 10_000


class UpdatedAtCursor:
    """One store's ``updated_at`` position for one resource (see the module docstring)."""

    KIND = "updated_at"

    def __init__(
        self,
        mark: datetime | None = None,
        window: dict[str, tuple[str, str]] | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        undated: dict[str, str] | None = None,
        started: datetime | None = None,
    ) -> None:
        self.mark = mark
        self.overlap = check_overlap(overlap)
        self.window = dict(window or {})
        """ref -> (change time ISO, digest) of records loaded at or after the mark less
        the overlap."""
        self.undated = dict(undated or {})
        """ref -> digest of the records that carry no ``updated_at``."""
        self.cap = None if started is None else started - self.overlap
        """The latest mark this run may save: when it started less the overlap (None: no
        cap, the newest change time read)."""
        self._seen_max = mark
        self._candidates: dict[str, tuple[datetime, str]] = {}
        self._prune_at = _PRUNE_AT
        self._undated_seen: dict[str, str] = {}

    @classmethod
    def from_state(
        cls,
        state: dict[str, Any] | None,
        overlap: timedelta = DEFAULT_OVERLAP,
        started: datetime | None = None,
    ) -> UpdatedAtCursor:
        """The cursor a previous run saved (None or another kind: start from the beginning),
        for a run that began reading at ``started`` (see :meth:`to_state`)."""
        if not state or state.get("kind") != cls.KIND:
            return cls(overlap=overlap, started=started)
        window = {ref: (str(at), str(dig)) for ref, (at, dig) in state.get("window", {}).items()}
        mark = datetime.fromisoformat(state["mark"]) if state.get("mark") else None
        undated = {str(ref): str(dig) for ref, dig in state.get("undated", {}).items()}
        return cls(mark, window, overlap, undated, started)

    def since(self) -> datetime | None:
        """What to pass as ``updated_since``: None on the first run."""
        return None if self.mark is None else self.mark - self.overlap

    def _next_mark(self) -> datetime | None:
        """The mark this run would save now: the newest change time read, capped."""
        if self._seen_max is None or self.cap is None:
            return self._seen_max
        return min(self._seen_max, self.cap)

    def admit(self, ref: str, changed_at: datetime | None, record: Any) -> bool:
        """Whether ``record`` is new or changed since the last run; remembers it.

        ``changed_at``: its change time (``Adapter.change_time``), None if it has no
        ``updated_at`` (then it is compared by content)."""
        if changed_at is None:
            content = digest(record)
            self._undated_seen[ref] = content
            return self.undated.get(ref) != content
        if self._seen_max is None or changed_at > self._seen_max:
            self._seen_max = changed_at
        fingerprint: str | None = None
        # The mark to save only rises during the run: what is below its window now stays so.
        if changed_at >= (self._next_mark() or changed_at) - self.overlap:
            fingerprint = digest(record)
            self._candidates[ref] = (changed_at, fingerprint)
            if len(self._candidates) > self._prune_at:
                self._prune()
        if self.mark is None:
            return True
        if changed_at < self.mark - self.overlap:
            return False  # loaded by an earlier run
        # At or after the mark as well: a capped mark lies before records already loaded.
        known = self.window.get(ref)
        if fingerprint is None:
            fingerprint = digest(record)
        return known is None or known[1] != fingerprint

    def _prune(self) -> None:
        mark = self._next_mark()
        if mark is None:
            return
        floor = mark - self.overlap
        self._candidates = {r: v for r, v in self._candidates.items() if v[0] >= floor}
        # A long run keeps many records in its window: prune again only once it has doubled.
        self._prune_at = max(_PRUNE_AT, 2 * len(self._candidates))

    def to_state(self) -> dict[str, Any]:
        """The position after this run, to save (only for a store read to the end).

        Its mark is the newest change time read, but no later than the run's start less
        the overlap: what was edited while the run read on, or stamped by a clock ahead of
        ours, is read again by the next run (and loaded only if the window has not seen it).
        """
        mark = self._next_mark()
        undated = self._undated_seen
        if mark is None:
            return {"kind": self.KIND, "mark": None, "window": {}, "undated": undated}
        floor = mark - self.overlap
        window = {
            ref: (at, dig)
            for ref, (at, dig) in self.window.items()
            if datetime.fromisoformat(at) >= floor
        }
        window.update(
            (ref, (at.isoformat(), dig)) for ref, (at, dig) in self._candidates.items()
            if at >= floor
        )  # fmt: skip
        return {"kind": self.KIND, "mark": mark.isoformat(), "window": window, "undated": undated}
