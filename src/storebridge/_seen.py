"""The keys a listing has already yielded, held exactly and in little memory.

A listing remembers every record key it has handed out, so a record that moves between
pages mid-listing is yielded once (see :mod:`storebridge.pagination`). A plain ``set`` of
the keys costs about 100 bytes per record: a million-order export would hold 100 MB for
it alone. Platforms key records by decimal numbers sent as text ("100123"), most of them
consecutive, so those keys are folded into sorted runs of consecutive numbers: a store
whose ids count up holds a handful of runs whatever its size, and one with scattered ids
about 20 bytes per key. Anything else (an id with a leading zero, a tuple, an int) stays in a
plain set. Nothing is hashed down or forgotten: membership is exact, as a set's.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Hashable

_DIGITS = 18
"""Longest text folded into the runs: any 18-digit number fits a signed 64-bit slot."""


def _number(key: object) -> int | None:
    """``key`` as a number when it is a canonical decimal text (no sign, no leading zero).

    Any ``str`` counts, subclasses included: a set holds ``"123"`` and a ``str`` subclass
    equal to it as one key, and so must this."""
    if not isinstance(key, str) or not 0 < len(key) <= _DIGITS:
        return None
    if not (key.isascii() and key.isdigit()) or (key[0] == "0" and len(key) > 1):
        return None
    return int(key)


class SeenKeys:
    """A set of hashable keys with two operations: :meth:`add_new` and ``in``.

    Adding is not thread-safe: callers that add from several threads hold their own lock.
    Asking ``in`` from other threads meanwhile is safe: every part holds only keys that were
    added, and a fold publishes the new runs before it empties the numbers it folded, so a
    key once added is never missed and a key never added is never found.
    """

    __slots__ = ("_count", "_fold_at", "_other", "_recent", "_runs")

    def __init__(self, *, fold_at: int = 1024) -> None:
        self._other: set[Hashable] = set()
        self._recent: set[int] = set()
        """Numbers not folded into the runs yet."""
        self._runs = (array("q"), array("q"))
        """Runs ``starts[i]..ends[i]`` (inclusive): sorted, apart and not touching. One
        tuple, so that a reader on another thread never pairs old starts with new ends."""
        self._fold_at = fold_at
        self._count = 0

    def __contains__(self, key: object) -> bool:
        number = _number(key)
        if number is None:
            return key in self._other
        return number in self._recent or self._in_runs(number)

    def add_new(self, key: Hashable) -> bool:
        """Remember ``key``; True when it was not there before."""
        number = _number(key)
        if number is None:
            if key in self._other:
                return False
            self._other.add(key)
        else:
            if number in self._recent or self._in_runs(number):
                return False
            self._recent.add(number)
            # Folding costs the runs' length, so it waits for a share of it: amortized,
            # each key is moved a bounded number of times however scattered the numbers.
            if len(self._recent) >= max(self._fold_at, len(self._runs[0]) // 4):
                self._fold()
        self._count += 1
        return True

    def __len__(self) -> int:
        return self._count

    def _in_runs(self, number: int) -> bool:
        starts, ends = self._runs
        at = bisect_right(starts, number) - 1
        return at >= 0 and number <= ends[at]

    def _fold(self) -> None:
        starts, ends = array("q"), array("q")

        def place(start: int, end: int) -> None:
            if ends and start <= ends[-1] + 1:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)

        old_starts, old_ends = self._runs
        at = 0
        for number in sorted(self._recent):
            # The old runs before ``number`` are copied whole (they neither touch nor
            # overlap each other); only the first may join the run placed last, so a fold
            # costs Python steps per new number, not per run.
            upto = bisect_right(old_starts, number, at)
            if upto > at:
                place(old_starts[at], old_ends[at])
                starts.extend(old_starts[at + 1 : upto])
                ends.extend(old_ends[at + 1 : upto])
                at = upto
            place(number, number)
        if at < len(old_starts):
            place(old_starts[at], old_ends[at])
            starts.extend(old_starts[at + 1 :])
            ends.extend(old_ends[at + 1 :])
        self._runs = (starts, ends)
        self._recent = set()


__all__ = ["SeenKeys"]
