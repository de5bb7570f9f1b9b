"""Where each store's incremental load left off, kept in the dlt resource's state.

Today a store's position is its ``updated_at`` high-water mark. Each run asks for records
updated since that mark minus an ``overlap`` (so clock skew, records committed late and
platforms whose ``updated_since`` is exclusive or coarse cannot hide a change) and admits:

* records updated after the mark;
* records inside the overlap window only if they are new or changed since they were
  loaded: the window's records are remembered by ref with a digest of their content,
  which also catches a second change within the same second;
* records without ``updated_at`` (29 Next customers, for one) when their content differs
  from what was loaded: the state keeps one digest per such record, so a platform that
  dates nothing costs a full read per run, but the load still carries only the changes.

The state is a plain dict tagged with its ``kind``, so a position of another kind (a change
feed's checkpoint) can take its place per store without touching the rest.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import orjson

from storebridge.serialization import to_dict

__all__ = ["DEFAULT_OVERLAP", "UpdatedAtCursor"]

DEFAULT_OVERLAP = timedelta(minutes=5)
_PRUNE_AT = 10_000


def digest(record: Any) -> str:
    """A short fingerprint of a record's content (its ``raw`` payload left out)."""
    data = orjson.dumps(to_dict(record), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=10).hexdigest()


class UpdatedAtCursor:
    """One store's ``updated_at`` position for one resource (see the module docstring)."""

    KIND = "updated_at"

    def __init__(
        self,
        mark: datetime | None = None,
        window: dict[str, tuple[str, str]] | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        undated: dict[str, str] | None = None,
    ) -> None:
        self.mark = mark
        self.overlap = overlap
        self.window = dict(window or {})
        """ref -> (updated_at ISO, digest) of records loaded inside the overlap window."""
        self.undated = dict(undated or {})
        """ref -> digest of the records that carry no ``updated_at``."""
        self._seen_max = mark
        self._candidates: dict[str, tuple[datetime, str]] = {}
        self._undated_seen: dict[str, str] = {}

    @classmethod
    def from_state(
        cls, state: dict[str, Any] | None, overlap: timedelta = DEFAULT_OVERLAP
    ) -> UpdatedAtCursor:
        """The cursor a previous run saved (None or another kind: start from the beginning)."""
        if not state or state.get("kind") != cls.KIND:
            return cls(overlap=overlap)
        window = {ref: (str(at), str(dig)) for ref, (at, dig) in state.get("window", {}).items()}
        mark = datetime.fromisoformat(state["mark"]) if state.get("mark") else None
        undated = {str(ref): str(dig) for ref, dig in state.get("undated", {}).items()}
        return cls(mark, window, overlap, undated)

    def since(self) -> datetime | None:
        """What to pass as ``updated_since``: None on the first run."""
        return None if self.mark is None else self.mark - self.overlap

    def admit(self, ref: str, updated_at: datetime | None, record: Any) -> bool:
        """Whether ``record`` is new or changed since the last run; remembers it."""
        if updated_at is None:
            content = digest(record)
            self._undated_seen[ref] = content
            return self.undated.get(ref) != content
        if self._seen_max is None or updated_at > self._seen_max:
            self._seen_max = updated_at
        fingerprint: str | None = None
        if updated_at >= self._seen_max - self.overlap:
            fingerprint = digest(record)
            self._candidates[ref] = (updated_at, fingerprint)
            if len(self._candidates) > _PRUNE_AT:
                self._prune()
        if self.mark is None or updated_at > self.mark:
            return True
        if updated_at < self.mark - self.overlap:
            return False  # loaded by an earlier run
        known = self.window.get(ref)
        if fingerprint is None:
            fingerprint = digest(record)
        return known is None or known[1] != fingerprint

    def _prune(self) -> None:
        if self._seen_max is None:
            return
        floor = self._seen_max - self.overlap
        self._candidates = {r: v for r, v in self._candidates.items() if v[0] >= floor}

    def to_state(self) -> dict[str, Any]:
        """The position after this run, to save (only for a store read to the end)."""
        mark = self._seen_max
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
