"""Where a long SHOPLINE listing is cut into ``created_at`` windows read side by side.

Pure planning, no requests: :func:`window_count` says how many windows are worth reading
given how many requests the facade keeps in flight, :func:`probe_times` where to ask for
counts (a ladder around now), :func:`segment_plan` turns the counts into contiguous
segments that cover the listing's whole range: windows where the counts say how records
spread, and :class:`Stretch` es where they do not (the listing's first and last records
lie somewhere inside, records cluster, or records lie past the last probe of an open-ended
listing), which are probed again while the windows are read and then cut with
:func:`window_plan` (see :mod:`._paging` for how they are read). :func:`placed_plan` is
the plan of a whole store's listing, whose edges the first page and the rate of records
place without probing again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs

PAGES_PER_WINDOW = 1
"""How many pages a window holds at most, where enough windows run at once: a window's pages
come one round trip after another, so a short listing cut into windows of one page each is
read in one round trip (where fewer, longer windows took one per page); a long one has
more pages than windows run at once, and its windows get longer, not more numerous."""
LADDER_DAYS = tuple(4**step for step in range(7))
"""Probe offsets from now in days (1 .. 4096, some 11 years), both ways."""
CLUSTER = 4
"""A stretch holding this many times what its neighbours hold is probed again."""
STRETCH_PROBES = 1
"""Probes per window a stretch is cut into (the more, the evener its windows)."""
MAX_STRETCH_PROBES = 5
"""Probes into one stretch at most."""
STRETCH_LEAST = 2.0
"""Windows' shares a stretch holds at least to be probed again (twice that the second
time: by then where its records lie is known roughly)."""
STRETCH_ROUNDS = 2
"""Rounds of probes into one stretch at most (each narrows where its records lie)."""
STRETCH_SHARE = 2 / 3
"""A stretch's windows hold this share of a window's records: they start a round later."""
OVERFILL = 1.2
"""A window holds this many shares of the records at most, where the counts can say so."""
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
    """How many windows to read ``total`` records in, ``width`` at a time: ``width`` (so
    all run together and each is as short as it can be), fewer for a short listing so that
    each holds :data:`PAGES_PER_WINDOW` pages at most even when filled to :data:`OVERFILL`
    shares (each window ends in a partial page, and its pages come one round trip after
    another)."""
    pages = math.ceil(total / limit)
    return max(1, min(width, math.ceil(pages * OVERFILL / PAGES_PER_WINDOW)))


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


def probe_batch(
    ladder: Sequence[datetime], hints: Sequence[datetime], width: int
) -> list[datetime]:
    """The probe times sent in one batch: ``hints`` (around the listing's first records)
    and the ``ladder`` points after the earliest hint, at most ``width`` in all (one round
    trip), evenly thinned when there are more."""
    floor = min(hints, default=None)
    points = sorted({*hints, *(t for t in ladder if floor is None or t > floor)})
    if len(points) <= width:
        return points
    step = len(points) / max(1, width)
    return [points[int(i * step)] for i in range(max(1, width))]


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
        if knots[-1][0] == moment:  # two probes of one instant: one knot, no empty span
            knots[-1] = (moment, highest)
            continue
        knots.append((moment, highest))
    knots.append((end, total))
    return knots


@attrs.frozen
class Stretch:
    """Records of the listing created from ``low`` to ``high``: ``records`` of them, with
    ``before`` created earlier (``after`` later), and nothing to say where inside they
    lie. Probed again (:meth:`probe_times`), then cut into ``windows`` windows from
    ``start`` to ``end`` (wider when no record lies between them and ``low`` or ``high``;
    None: unbounded)."""

    low: datetime
    high: datetime
    before: int
    records: int
    windows: int
    start: datetime | None
    end: datetime | None
    after: int = 0
    """Records of the listing created after it."""

    def probe_times(self, hints: Sequence[datetime] = ()) -> list[datetime]:
        """Evenly spaced whole seconds strictly between ``low`` and ``high``, and the
        ``hints`` that lie there (where the listing's first page says records start)."""
        count = min(MAX_STRETCH_PROBES, STRETCH_PROBES * self.windows)
        step = (self.high - self.low) / (count + 1)
        points = {(self.low + step * i).replace(microsecond=0) for i in range(1, count + 1)}
        points.update(hints)
        return sorted(p for p in points if self.low < p < self.high)

    def plan(self, probes: Sequence[tuple[datetime, int]], *, last: bool) -> list[Segment]:
        """Its segments from ``probes`` (time, records of the listing created up to it):
        stretches again where the probes still cannot place the records, unless ``last``."""
        inside = [(self.low, 0), (self.high, self.records)]
        inside += [(t, n - self.before) for t, n in probes if self.low < t < self.high]
        if last:
            return list(window_plan(self.start, self.end, inside, self.records, self.windows))
        plan = segment_plan(
            self.start,
            self.end,
            inside,
            self.records,
            self.windows,
            least=2 * STRETCH_LEAST,
            edges=(self.before == 0, self.after == 0),
        )
        return [self._inner(s) if isinstance(s, Stretch) else s for s in plan]

    def _inner(self, part: Stretch) -> Stretch:
        # ``part`` was planned with this stretch's records as the whole listing.
        after = self.after + self.records - part.before - part.records
        return attrs.evolve(part, before=self.before + part.before, after=after)


Segment = Window | Stretch


def segment_plan(
    start: datetime | None,
    end: datetime | None,
    probes: Sequence[tuple[datetime, int]],
    total: int,
    windows: int,
    least: float = STRETCH_LEAST,
    edges: tuple[bool, bool] = (True, True),
) -> list[Segment]:
    """Contiguous segments from ``start`` to ``end`` holding about ``total / windows``
    records per window, from ``probes``: (time, records created up to it).

    Between two probes records are taken as spread evenly, except in a stretch that holds
    ``least`` windows' share or more and where nothing says so: where the listing's first or
    last records lie (records appear or end somewhere inside; ``edges`` says whether the
    records before ``start`` and after ``end`` are none) and where records cluster
    (more than :data:`CLUSTER` times what the stretches on either side hold together).
    Such a stretch becomes a :class:`Stretch`, probed again before it is cut.
    """
    share = max(1.0, total / max(1, windows))
    knots = _knots(start, end, probes, total)
    spans = [(a, b, low, high - low) for (a, low), (b, high) in itertools.pairwise(knots)]
    segments: list[Segment] = []
    run_start, run_base = start, 0
    run_probes: list[tuple[datetime, int]] = []

    def close_run(until: datetime | None, upto: int) -> None:
        # The windows of the run of even stretches from ``run_start`` to ``until``; a run
        # without records widens the stretch before it instead of costing a request.
        records = upto - run_base
        last = segments[-1] if segments else None
        if records == 0 and isinstance(last, Stretch):
            segments[-1] = attrs.evolve(last, end=until)
        elif left_of(run_start, until) or not segments:  # start == end: one window
            parts = max(1, round(records / share))
            segments.extend(window_plan(run_start, until, run_probes, records, parts))

    for index, (left, right, low, records) in enumerate(spans):
        around = sum(spans[i][3] for i in (index - 1, index + 1) if 0 <= i < len(spans))
        edge = (edges[0] and low == 0) or (edges[1] and low + records == total)
        if right is None and left is not None and records >= least * share:
            # Records after the last probe (an open end): nothing says how far they reach,
            # so the stretch is probed as far as the density before it suggests they do.
            # Its last window stays open (the empty run after it widens it to the end), so
            # a wrong guess costs windows, never records.
            right = _reach(left, records, spans[:index])
            tail = True
        else:
            tail = False
        if (
            left is None
            or right is None
            or records < least * share
            or not (tail or edge or records > CLUSTER * around)
        ):
            if right is not None and right is not end:
                run_probes.append((right, low + records - run_base))
            continue
        outer: datetime | None = left
        if low == run_base and not isinstance(segments[-1] if segments else None, Stretch):
            outer = run_start  # nothing between the run's start and the stretch
        else:
            close_run(left, low)
        # Its windows start a round trip after the others: a third shorter.
        parts = math.ceil(records / (share * STRETCH_SHARE))
        after = total - low - records
        segments.append(Stretch(left, right, low, records, parts, outer, right, after))
        run_start, run_base, run_probes = right, low + records, []
    close_run(end, total)
    return segments


_FURTHEST = timedelta(days=16 * max(LADDER_DAYS))
"""An open-ended stretch is never probed further out than this (some 180 years)."""
TAIL_REACH = 1.5
"""How much longer than the density before it says an open-ended stretch is probed: records
of a growing store come faster over time, so a little beyond the guess covers them."""


def _reach(
    left: datetime,
    records: int,
    before: Sequence[tuple[datetime | None, datetime | None, int, int]],
) -> datetime:
    """Where an open-ended stretch from ``left`` holding ``records`` is probed up to: as far
    as the records came in the nearest stretch before it with any, at that rate."""
    rate = _rate(before)
    if rate is None:  # nothing before it to go by: as long again as the probed range before it
        first = next((a for a, _b, _low, _held in before if a is not None), None)
        span = (left - first).total_seconds() if first is not None else 86_400.0
        rate = records / max(86_400.0, span)
    return _later(left, TAIL_REACH * records / rate)


TAIL_STEPS = 32
"""Knots at most along the records past the last count (see :func:`_tail`)."""


def _rate(spans: Sequence[tuple[datetime | None, datetime | None, int, int]]) -> float | None:
    """Records a second in the last of ``spans`` (left, right, before, held) holding any."""
    found = _last_held(spans)
    return None if found is None else found[0] / found[1]


def _last_held(
    spans: Sequence[tuple[datetime | None, datetime | None, int, int]],
) -> tuple[int, float] | None:
    """Records held and seconds spanned by the last of ``spans`` holding any."""
    for a, b, _low, held in reversed(spans):
        if a is not None and b is not None and held > 0 and b > a:
            return held, (b - a).total_seconds()
    return None


def _later(left: datetime, seconds: float, least: float = 86_400.0) -> datetime:
    """``seconds`` after ``left`` (``least`` at least, :data:`_FURTHEST` at most), in whole
    seconds."""
    seconds = min(max(least, seconds), _FURTHEST.total_seconds())
    try:
        return (left + timedelta(seconds=seconds)).replace(microsecond=0)
    except OverflowError:  # a guess past the calendar's end: the open window covers it
        return left + timedelta(days=1)


@attrs.frozen
class FirstPage:
    """The listing's first page: ``rows`` records created from ``earliest`` to ``latest``
    (whole seconds). Records usually get ids as they are created, so this page (the lowest
    ids) tends to hold the listing's first records."""

    earliest: datetime
    latest: datetime
    rows: int

    @property
    def before(self) -> datetime:
        """The second before its earliest record: no record of the listing, usually."""
        return self.earliest - timedelta(seconds=1)


def placed_plan(
    probes: Sequence[tuple[datetime, int]],
    total: int,
    windows: int,
    first: FirstPage | None,
) -> list[Segment]:
    """:func:`segment_plan` for a whole store's listing (no time bounds) whose edges are
    placed from what the first round trip brought, rather than probed again:

    - where its first records lie, from the first page (when no probe says records were
      created before its earliest: then ids do not follow creation and nothing is
      placed);
    - where its last records lie (past the last probe counting fewer than all, up to the
      next one or with no end), from the rate at which records came before: as many again
      at that rate. A wrong guess costs balance (the last window is open and holds what
      lies past it), never records.

    Between the knots records are taken as spread evenly; where they cluster the segment is
    still a :class:`Stretch` probed again.
    """
    knots = list(probes)
    lead = first is not None and _fits(first, probes)
    if first is not None and lead:
        knots += [(first.before, 0), (first.latest, first.rows)]
    tail = _tail(knots, total)
    if tail is not None:
        knots += tail
    return segment_plan(None, None, knots, total, windows, edges=(not lead, tail is None))


def _fits(first: FirstPage, probes: Sequence[tuple[datetime, int]]) -> bool:
    """The probes agree that no record precedes the first page's and that it holds them."""
    return all(
        (count == 0 or moment >= first.earliest) and (count >= first.rows or moment < first.latest)
        for moment, count in probes
    )


def _tail(knots: Sequence[tuple[datetime, int]], total: int) -> list[tuple[datetime, int]] | None:
    """Where the listing's last records end: after the last knot counting fewer than
    ``total``, going on at the rate of the last stretch before it holding any (no further
    than the next knot); None: no rate to go by.

    The knots returned say so along the way too, in steps holding about what that stretch
    held: the records past the last count are taken as coming at its rate, and one long
    step beside a short one would look like a cluster (which is counted again, a round
    trip more) when it is only the same rate over a longer time."""
    known: list[tuple[datetime, int]] = []
    highest = 0
    for moment, count in sorted(knots):
        highest = max(highest, min(total, count))  # counts only grow with time
        known.append((moment, highest))
        if highest >= total:
            break
    short = [k for k in known if k[1] < total]
    if not short:
        return None
    spans = [(a, b, low, high - low) for (a, low), (b, high) in itertools.pairwise(short)]
    found = _last_held(spans)
    if found is None:
        return None
    held, seconds = found
    rate = held / seconds
    last, counted = short[-1]
    # No day's floor here, unlike a stretch's probes: today's records end at about now,
    # hours before the next probe at midnight, and a busy store has pages of them.
    guess = _later(last, (total - counted) / rate, least=1.0)
    if highest >= total:  # no further than the knot that counts them all
        guess = min(guess, known[-1][0])
    steps = min(TAIL_STEPS, math.ceil((total - counted) / held))
    along: list[tuple[datetime, int]] = []
    for step in range(1, steps):
        moment = (last + (guess - last) * step / steps).replace(microsecond=0)
        if last < moment < guess and (not along or along[-1][0] < moment):
            along.append((moment, counted + (total - counted) * step // steps))
    return [*along, (guess, total)]


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
    and after the last probe cannot be split (nothing says where their records lie). A
    window is cut before the piece (half a share at most) that would fill it past
    :data:`OVERFILL` shares, so windows hold from about half to that many shares.
    """
    share = max(1.0, total / max(1, windows))
    knots = _knots(start, end, probes, total)
    pieces: list[tuple[datetime | None, datetime | None, float]] = []
    for (left, low), (right, high) in itertools.pairwise(knots):
        records: float = high - low
        parts = math.ceil(2 * records / share)
        if left is None or right is None or parts <= 1:
            pieces.append((left, right, records))
            continue
        step = (right - left) / parts
        cuts = [left] + [(left + step * i).replace(microsecond=0) for i in range(1, parts)]
        cuts.append(right)
        pieces += [(a, b, records / parts) for a, b in itertools.pairwise(cuts)]
    bounds: list[datetime | None] = [start]
    held = 0.0
    for left, _right, records in pieces:
        if held > 0 and held + records > share * OVERFILL and left is not None:
            bounds.append(left)
            held = 0.0
        held += records
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
    "MAX_STRETCH_PROBES",
    "OVERFILL",
    "PAGES_PER_WINDOW",
    "STRETCH_LEAST",
    "STRETCH_PROBES",
    "STRETCH_ROUNDS",
    "STRETCH_SHARE",
    "TAIL_REACH",
    "TAIL_STEPS",
    "FirstPage",
    "Segment",
    "Stretch",
    "Window",
    "iso",
    "left_of",
    "placed_plan",
    "probe_batch",
    "probe_times",
    "segment_plan",
    "window_count",
    "window_plan",
]
