"""Where a long SHOPLINE listing is cut into ``created_at`` windows read side by side.

Pure planning, no requests: :func:`window_count` says how many windows are worth reading
given how many requests the facade keeps in flight, :func:`probe_times` where to ask for
counts (a ladder around now), :func:`refine_times` where to ask again when records
cluster, and :func:`window_plan` turns the counts into contiguous windows that cover the
listing's whole range (see :mod:`._paging` for how they are read).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs

PAGES_PER_WINDOW = 3
"""About how many pages each window holds: enough that its last, partial page is cheap."""
MAX_ROUNDS = 4
"""Windows per request in flight at most: a long listing gets longer windows, not more."""
LADDER_DAYS = tuple(4**step for step in range(7))
"""Probe offsets from now in days (1 .. 4096, some 11 years), both ways."""
CLUSTER = 4
"""A stretch holding this many times what its neighbours hold is probed again."""
REFINE_ROUNDS = 2
"""Rounds of probes into clusters at most (each costs one round trip)."""
EDGE_SLACK = timedelta(seconds=1)
"""A window's rows may lie this far outside it (platforms round filter times)."""


@attrs.frozen
class Window:
    """``created_at`` from ``start`` to ``end``, both inclusive; None: unbounded."""

    start: datetime | None
    end: datetime | None

    def params(self) -> dict[str, str]:
        found = {}
        if self.start is not None:
            found["created_at_min"] = iso(self.start)
        if self.end is not None:
            found["created_at_max"] = iso(self.end)
        return found

    def holds(self, moment: datetime) -> bool:
        if self.start is not None and moment < self.start - EDGE_SLACK:
            return False
        return self.end is None or moment <= self.end + EDGE_SLACK


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def window_count(total: int, limit: int, width: int) -> int:
    """How many windows to read ``total`` records in, ``width`` at a time: a multiple of
    ``width`` (so all run together) with about :data:`PAGES_PER_WINDOW` pages each, at most
    :data:`MAX_ROUNDS` times ``width``."""
    pages = math.ceil(total / limit)
    wanted = width * min(MAX_ROUNDS, max(1, math.ceil(pages / (PAGES_PER_WINDOW * width))))
    return max(1, min(wanted, pages // 2))  # a window of one page is a wasted count


def probe_times(start: datetime | None, end: datetime | None, now: datetime) -> list[datetime]:
    """Where to count, strictly inside (``start``, ``end``): evenly spaced when the listing
    has both bounds, else a ladder around now (whole days, so repeated plans are alike)."""
    if start is not None and end is not None:
        step = (end - start) / 16
        points = [start + step * i for i in range(1, 16)]
    else:
        anchor = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        anchor += timedelta(days=1)
        offsets = [timedelta(days=d) for d in LADDER_DAYS]
        points = [anchor - o for o in reversed(offsets)] + [anchor] + [anchor + o for o in offsets]
    whole = sorted({p.replace(microsecond=0) for p in points})
    return [p for p in whole if (start is None or p > start) and (end is None or p < end)]


def _knots(
    start: datetime | None,
    end: datetime | None,
    probes: Sequence[tuple[datetime, int]],
    total: int,
) -> list[tuple[datetime | None, int]]:
    """(time, records created up to it) from ``start`` to ``end``, counts made monotone."""
    knots: list[tuple[datetime | None, int]] = [(start, 0)]
    highest = 0
    for moment, count in sorted(probes):
        if not (left_of(start, moment) and left_of(moment, end)):
            continue
        highest = min(total, max(highest, count))  # counts only grow with time
        knots.append((moment, highest))
    knots.append((end, total))
    return knots


def refine_times(
    start: datetime | None,
    end: datetime | None,
    probes: Sequence[tuple[datetime, int]],
    total: int,
    windows: int,
    budget: int,
) -> list[datetime]:
    """More probe times where records cluster, or an empty list.

    A stretch between two probes is a cluster when it holds more than two windows' worth
    of records and more than :data:`CLUSTER` times what its two neighbours hold together
    (a store whose records sit in a few days of a long stretch); ``budget`` probes are
    shared among the clusters by their records and spaced evenly inside them.
    """
    share = max(1.0, total / max(1, windows))
    knots = _knots(start, end, probes, total)
    spans = [(a, b, high - low) for (a, low), (b, high) in itertools.pairwise(knots)]
    clusters = []
    for index, (left, right, records) in enumerate(spans):
        if left is None or right is None or records <= 2 * share:
            continue
        if right - left < timedelta(seconds=2 * budget):
            continue
        around = sum(spans[i][2] for i in (index - 1, index + 1) if 0 <= i < len(spans))
        if records > CLUSTER * around:
            clusters.append((left, right, records))
    weight = sum(records for _, _, records in clusters)
    known = {moment for moment, _ in probes}
    times: set[datetime] = set()
    for left, right, records in clusters:
        count = max(1, round(budget * records / weight))
        step = (right - left) / (count + 1)
        times.update((left + step * i).replace(microsecond=0) for i in range(1, count + 1))
    return sorted(t for t in times - known if left_of(start, t) and left_of(t, end))


def left_of(a: datetime | None, b: datetime | None) -> bool:
    """``a < b``, where None is an open end."""
    return a is None or b is None or a < b


def window_plan(
    start: datetime | None,
    end: datetime | None,
    probes: Sequence[tuple[datetime, int]],
    total: int,
    windows: int,
) -> list[Window]:
    """Contiguous windows from ``start`` to ``end`` holding about ``total / windows``
    records each, from ``probes``: (time, records created up to it).

    Records are assumed spread evenly between two probes; the stretches before the first
    and after the last probe cannot be split (nothing says where their records lie).
    """
    share = max(1.0, total / max(1, windows))
    knots = _knots(start, end, probes, total)
    pieces: list[tuple[datetime | None, datetime | None, float]] = []
    for (left, low), (right, high) in itertools.pairwise(knots):
        records: float = high - low
        parts = math.ceil(records / share)
        if left is None or right is None or parts <= 1:
            pieces.append((left, right, records))
            continue
        step = (right - left) / parts
        cuts = [left] + [(left + step * i).replace(microsecond=0) for i in range(1, parts)]
        cuts.append(right)
        pieces += [(a, b, records / parts) for a, b in itertools.pairwise(cuts)]
    bounds: list[datetime | None] = [start]
    held = 0.0
    for _left, right, records in pieces:
        held += records
        if held >= share * 0.75 and right is not None and right is not end:
            bounds.append(right)
            held = 0.0
    if len(bounds) > 1 and held < share * 0.25:
        bounds.pop()  # a sliver at the end joins the window before it
    cleaned: list[datetime | None] = [start]
    for bound in bounds[1:]:
        if left_of(cleaned[-1], bound) and left_of(bound, end):
            cleaned.append(bound)
    cleaned.append(end)
    return [Window(a, b) for a, b in itertools.pairwise(cleaned)]


__all__ = [
    "CLUSTER",
    "EDGE_SLACK",
    "LADDER_DAYS",
    "MAX_ROUNDS",
    "PAGES_PER_WINDOW",
    "REFINE_ROUNDS",
    "Window",
    "iso",
    "left_of",
    "probe_times",
    "refine_times",
    "window_count",
    "window_plan",
]
