"""Reading one 29 Next listing: by one cursor, or in day windows read side by side so a
listing reaches the rate limit instead of one page per round trip.

**Windows.** One cursor is strictly sequential. The Admin API filters orders, users and
transactions by day-granular dates (``date_placed_from/to``, ``date_joined_from/to``,
``date_created_from/to``). When the store's settings turn windows on (``day_windows``; off
by default, see **No date order**), the facade would keep at least :data:`WIDE` requests
in flight (rate x latency: a far-away store or a raised limit), the first page has a next
link and its rows run newest first, the rest of the listing is cut into windows of days
read side by side:

* the first page's density gives the days a window spans; the first pages up to points
  going back four times further each (one batch) show how dense each stretch is and where
  the records end, and the stretch where they end is probed again more finely; each batch
  also reads the first page's cursor on by a page (with the walk's own checks), and a
  listing the cursor finishes meanwhile ends there, with no window;
* each window asks for the records on its top day or before (an open lower bound),
  newest first, and stops at the first record under its bottom day, which it notes;
* when all are read, the windows must join up into one chain: each starts with the record
  the window above noted (the first with the first page's own record of that day), and
  the last reads to the end. An empty or foreign first page that no page check could tell
  from the real one breaks the chain: those windows are read again, then the listing
  raises PaginationError. This holds whatever the platform does with a bound it treats
  as exclusive.

**No date order.** The platform does not document its order (the sandbox lists users
newest id first), and windows hold only for rows newest first. A first page in no date
order is read by one cursor. Otherwise order is checked on every page read: when the
cursor's pages read while planning, or a window's page, show a record later than one
before it (within the days asked for), the windows stop at their next page and the whole
listing is read by one cursor from its start, handing on only records not handed on
before (:class:`Claims`): every record once. A window's page is never half taken: nothing of the
page that shows the disorder is handed on, and a page already being handed on is finished.
A row outside the days asked for is a wrong answer, not a disorder (the page check refuses
it), and a repeated, stale or foreign page is the walk's to refuse: those stay errors.
Order is judged from the pages read only: a record out of order where no page read shows
it (past a window's first record under its bottom, or later than the first page's last
day past the cursor's pages read while planning) is in no window, and would be missed. A
block of back-dated records that the pages read show in order does that to every window
below it: each stops at its very first record. Such windows have one page of their days
read with both bounds once the chain joins, and records there mean no date order (one
cursor reads the listing). A back-dated record ending a page of a window with records of
its own is still missed; hence windows only on a store's say-so (``day_windows``).

Results arrive window by window as pages complete: newest first within a window, no order
across windows. ``slices=1`` reads one cursor in the platform's order; ``slices=N`` cuts
the user's own ``created_since``..``created_until`` into N windows instead of planning.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Generator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from storebridge.errors import PaginationError, StorebridgeError, ValidationError
from storebridge.http import Request, Response
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Done,
    Emit,
    FlowStepper,
    ListFlow,
    Payload,
    merge_parallel,
    relay,
    with_check,
)
from storebridge_29next._expanding import expanding
from storebridge_29next._paging import (
    Claims,
    DateFilter,
    Days,
    Expand,
    Listing,
    PageReader,
    cut,
    first_page,
    first_request,
    in_date_order,
    newest_first,
    row_day,
    row_key,
    row_time,
    walk_days,
)
from storebridge_29next._requests import PLATFORM

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

T = TypeVar("T")

WIDE = 4
"""Requests in flight from which day windows pay off; below it one cursor reaches the
limit (at 4 requests/second and 250 ms one request in flight already does)."""
WINDOW_PAGES = 16
"""Most pages a planned window is meant to hold: fewer windows waste fewer half-full last
pages; as many windows as requests in flight keep the limit busy; smaller ones finish
together (the density read from a page is a rough guide)."""
PROBES = 6
"""Points probed going back from the first page, each four times further than the last:
together they reach ``4**6`` windows' worth of days, below which the last window walks."""


def _rows(rows: list[Payload], claims: Claims, expand: Expand[T]) -> ListFlow[T]:
    fresh = claims.take(rows)
    if fresh:
        items = yield from expand(fresh)
        if items:
            yield Emit(items)


def _after(rows: list[Payload], flow: ListFlow[Payload]) -> ListFlow[Payload]:
    """``flow``, read on after its first page, with that page (``rows``) in front again."""
    try:
        yield Emit(rows)
        yield from flow
    finally:
        flow.close()  # also when closed before reading on


def read_listing(
    adapter: TwentyNineNextAdapter, listing: Listing, expand: Expand[T]
) -> ListFlow[T]:
    """Every record of ``listing`` once, converted by ``expand`` (see the module docstring)."""
    claims = Claims(listing.key)
    flow, reader = walk_days(adapter, listing, listing.days)
    rows = yield from first_page(flow)
    if rows is None:
        return
    dates, slices = listing.dates, listing.slices
    order = newest_first(rows, dates.field, listing.key) if dates is not None else None
    width = 0
    if order is not None and reader.last_next is not None and slices != 1:
        width = int((yield CONCURRENCY))
    windowed = adapter.settings.day_windows and width >= WIDE
    if dates is None or order is None or not width or (slices is None and not windowed):
        # One cursor, in the platform's order; the first page expands with the rest, so the
        # second is asked for while its details are out.
        yield from expanding(_after(rows, flow), claims.take, expand)
        return
    if slices is not None and listing.days.first is None:
        flow.close()
        raise ValidationError("slices needs created_since and created_until", field="slices")
    # The first page's rows are handed on (with their details, when expanding sends
    # requests) while the windows are planned: planning waits on round trips of its own,
    # and the first page's requests would otherwise wait for all of them.
    unordered = _Unordered()
    planned = _planned(adapter, listing, dates, rows, order, width, claims, expand, flow, unordered)
    yield from merge_parallel([_rows(rows, claims, expand), planned])
    if unordered.is_set():
        # What was handed on so far came from pages that passed the walk's checks; the one
        # cursor reads the whole listing, and the claims drop those records.
        yield from _one_cursor(adapter, listing, claims, expand)


class _Unordered(threading.Event):
    """Set once the listing's rows showed no date order: the windows stop at their next
    page (a window reads only its days' records newest first, and would pass over any that
    come after the first one under its bottom), and the listing is read by one cursor."""


def _one_cursor(
    adapter: TwentyNineNextAdapter, listing: Listing, claims: Claims, expand: Expand[T]
) -> ListFlow[T]:
    """The whole listing by one cursor, in the platform's order, with the walk's checks;
    only records no window has handed on."""
    flow, _ = walk_days(adapter, listing, listing.days)
    yield from expanding(flow, claims.take, expand)


def _planned(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    rows: list[Payload],
    order: tuple[date, Any],
    width: int,
    claims: Claims,
    expand: Expand[T],
    cursor: ListFlow[Payload],
    unordered: _Unordered,
) -> ListFlow[T]:
    """The windows below the first page: planned (or cut from ``slices``), then read. The
    first page's cursor is read on while planning: a listing it finishes meanwhile (two or
    three pages) is done there, with no windows; pages of it that run out of date order
    set ``unordered`` instead of reading windows."""
    seen_day, witness = order
    ahead: list[Payload] = []
    if listing.slices is not None and listing.days.first is not None:
        cursor.close()
        cuts = cut(listing.days.first, seen_day, listing.slices)
        tops = [w.last for w in cuts if w.last]
    else:
        following = _Cursor(cursor)
        try:
            tops = yield from _plan(adapter, listing, dates, rows, seen_day, width, following)
        finally:
            following.close()  # the windows read on from here (or planning failed)
        ahead = following.rows
        if following.ended:
            yield from _rows(ahead, claims, expand)
            return
        if not in_date_order([*rows, *ahead], dates.field):
            unordered.set()
            yield from _rows(ahead, claims, expand)
            return
    # Each window reaches down to the day after the next window's top; the last to the end.
    bottoms = [top + _DAY for top in tops[1:]]
    windows = [Window(top, bottom) for top, bottom in zip(tops, [*bottoms, None], strict=True)]
    reads = _read_windows(adapter, listing, dates, windows, witness, claims, expand, unordered)
    if ahead:
        # Records the windows read again are dropped there (claims): these come sooner.
        yield from merge_parallel([_rows(ahead, claims, expand), reads])
    else:
        yield from reads


@attrs.define
class Window:
    """Records on day ``top`` or before, newest first, down to day ``bottom`` (None: to the
    end), and what reading them showed: the key of the first record, and of the first one
    under ``bottom`` (which the next window must start with)."""

    top: date
    bottom: date | None
    first: Any = None
    below: Any = None


class _Stop(Exception):
    """A window's walk ends: it reached a record under its bottom day, or the listing's
    rows showed no date order."""


def _window(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    window: Window,
    claims: Claims,
    expand: Expand[T],
    unordered: _Unordered,
) -> ListFlow[T]:
    window.first = window.below = None
    if unordered.is_set():
        return  # a window started after another found no date order
    flow, _ = walk_days(adapter, listing, Days(listing.days.first, window.top))
    started, last = False, window.top

    def on_emit(page: Emit[Payload]) -> Generator[Any, Any, Emit[T] | None]:
        nonlocal started, last
        if unordered.is_set():
            raise _Stop  # this page's records are left to the one cursor
        rows = list(page.items)
        if not started and rows:
            window.first = row_key(rows[0], listing.key)
        started = True
        keep, below = rows, None
        for index, row in enumerate(rows):
            day = row_day(row, dates.field)
            if day is None:
                continue
            if day > last:
                # Within the window's days (the page check refused any later day), after
                # an older record: the listing is in no date order, and a window cannot
                # tell which of its records lie beyond the first one under its bottom.
                # Not a wrong page: the walk's own checks refuse those. Nothing of this
                # page is claimed; the one cursor reads it.
                unordered.set()
                raise _Stop
            last = day
            if below is None and window.bottom is not None and day < window.bottom:
                keep, below = rows[:index], index
        if below is not None:
            window.below = row_key(rows[below], listing.key)
        fresh = claims.take(keep)
        if fresh:
            items = yield from expand(fresh)
            if items:
                yield Emit(items)
        if below is not None:
            raise _Stop
        return None

    try:
        yield from relay(flow, on_emit)
    except _Stop:
        return


_READS = 3
"""Rounds of reading windows: the first, and two to read again those that did not join."""


def _read_windows(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    windows: list[Window],
    witness: Any,
    claims: Claims,
    expand: Expand[T],
    unordered: _Unordered,
) -> ListFlow[T]:
    """Read ``windows`` side by side, then check they join up: each window must start with
    the record the window above found under its bottom (the first one with the first
    page's witness), and the last must reach the end. Windows read wrongly (an empty or
    foreign answer that no page check could tell) are read again, up to _READS rounds in
    all; then an error. Windows that found no date order stop (``unordered``): the chain
    means nothing then, and the caller reads the listing by one cursor."""
    todo = list(windows)
    for _ in range(_READS):
        reads = [
            _window(adapter, listing, dates, window, claims, expand, unordered) for window in todo
        ]
        yield from merge_parallel(reads)
        if unordered.is_set():
            return
        todo = _unjoined(windows, witness)
        if not todo:
            if (yield from _empty_days_hold_records(adapter, listing, windows)):
                unordered.set()  # records beyond where windows stopped: the one cursor reads
            return
    first = todo[0]
    raise PaginationError(
        f"{listing.resource}: the day windows up to {first.top} did not join up after being "
        "read again (a record missing or answered for another window); read the listing "
        "again, or with slices=1",
        resource=listing.resource,
        platform=PLATFORM,
    )


def _empty_days_hold_records(
    adapter: TwentyNineNextAdapter, listing: Listing, windows: list[Window]
) -> Generator[Any, Any, bool]:
    """Whether a window that stopped at its very first record (none of its own days) has
    records in its days after all. In date order it cannot; a block of back-dated records
    ends every window below it so, with the records listed after the block in no window
    (the chain joins all the same). One page of each such window's days, read with both
    bounds, says."""
    empty = [w for w in windows if w.bottom and w.below is not None and w.first == w.below]
    found: list[Window] = []

    def holds(window: Window) -> ListFlow[Any]:
        flow, _ = walk_days(adapter, listing, Days(window.bottom, window.top))
        try:
            if (yield from first_page(flow)):
                found.append(window)
        finally:
            flow.close()

    if empty:
        yield from merge_parallel([holds(window) for window in empty])
    return bool(found)


def _unjoined(windows: list[Window], witness: Any) -> list[Window]:
    """Windows to read again: those on either side of each place where the chain of
    records breaks, and every window below a break that came back empty (its emptiness
    was only ever vouched for by the window above)."""
    broken: list[Window] = []
    expected = witness
    for index, window in enumerate(windows):
        if window.first != expected or (broken and window.first is None):
            broken += [w for w in windows[max(0, index - 1) : index + 1] if w not in broken]
        expected = window.below
    if windows and windows[-1].below is not None and windows[-1] not in broken:
        broken.append(windows[-1])
    return broken


@attrs.frozen
class _Mark:
    """What the first page of "on day ``point`` or before" showed."""

    point: date
    rows: Sequence[Payload]
    more: bool
    """The page had a next link: more than a page of records on or before ``point``."""


class _Cursor:
    """The first page's cursor, read on by one page in each round trip of planning: a
    listing that ends before planning does needs no windows. Every page passes the walk's
    own checks, so what it gives is what a one-cursor read gives."""

    def __init__(self, flow: ListFlow[Payload]) -> None:
        self._walk: FlowStepper[None] = FlowStepper(flow)
        self.rows: list[Payload] = []
        self.ended = False
        self.pending: Request | None = None
        self._next(self._walk.advance())

    def _next(self, step: Any) -> None:
        if isinstance(step, Done):
            self.ended = True  # no next link: the walk ended as a one-cursor read does
        elif isinstance(step, Request):
            self.pending = step
        else:
            self.close()

    def take(self, answer: Any) -> None:
        """The walk's answer to :attr:`pending`: an error after the facade's retries stops
        following (the windows read those records)."""
        self.pending = None
        if isinstance(answer, StorebridgeError):
            self.close()
            return
        step = self._walk.advance(answer)
        if isinstance(step, Emit):
            self.rows += step.items
            step = self._walk.advance()
        self._next(step)

    def close(self) -> None:
        self.pending = None
        self._walk.close()


def _plan(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    rows: list[Payload],
    seen: date,
    width: int,
    cursor: _Cursor,
) -> Generator[Any, Any, list[date]]:
    """The top days of windows covering ``seen`` and before, newest first (none when
    ``cursor``, read on by a page in each round trip of probes, reached the end first).

    The first page's density gives the days ~WINDOW_PAGES pages span. The first pages up to
    points going back four times further each (one batch) show how dense each stretch is
    and past which point nothing is left; the stretch where the records end is probed again
    at eight points (a second batch), so few windows fall past the end. The stretches are
    cut into windows so about ``width`` are read at once, none much longer than
    WINDOW_PAGES pages; the last window reads to the end.
    """
    page, first = len(rows), listing.days.first
    step = max(1, round(WINDOW_PAGES * page / _day_rate(rows, dates.field)))
    marks = [_Mark(seen, rows, True)]
    marks += yield from _probe_all(
        adapter,
        listing,
        dates,
        _points(seen, [step * 4**j for j in range(PROBES)], first),
        cursor,
        width,
    )
    if cursor.ended:
        return []
    end = next((i for i, mark in enumerate(marks) if not mark.rows), None)
    if end is not None and marks[end - 1].more:
        top, bottom = marks[end - 1].point, marks[end].point
        gap = (top - bottom).days
        inner = [top - timedelta(days=gap * i // 8) for i in range(1, 8)]
        found = yield from _probe_all(
            adapter,
            listing,
            dates,
            sorted({d for d in inner if bottom < d < top}, reverse=True),
            cursor,
            width,
        )
        if cursor.ended:
            return []
        marks[end:end] = found
        end = next((i for i, mark in enumerate(marks) if not mark.rows), None)
    stretches: list[tuple[date, date | None, float]] = []  # (top, bottom, pages)
    rate = _day_rate(rows, dates.field)
    kept = marks[: end + 1] if end is not None else marks
    for index, upper in enumerate(kept):
        lower = kept[index + 1] if index + 1 < len(kept) else None
        if len(upper.rows) > 1:
            rate = _day_rate(upper.rows, dates.field)
        if lower is None or not lower.rows or not upper.more:
            # The last stretch, read to the end: down to the empty probe below it, or to
            # the listing's first day; its size is unknown when neither bounds it.
            known = lower.point + _DAY if lower is not None else first
            if not upper.more:
                known = None  # every record on or before ``upper`` fits in one page
            size = ((upper.point - known).days + 1) * rate / page if known else 1.0
            stretches.append((upper.point, known or first, max(1.0, size)))
            break
        size = (upper.point - lower.point).days * rate / page
        stretches.append((upper.point, lower.point + _DAY, max(1.0, size)))
    return _tops(stretches, _count(sum(pages for _, _, pages in stretches), width))


def _points(seen: date, offsets: list[int], first: date | None) -> list[date]:
    """Days ``offsets`` before ``seen``, within ``first`` and the calendar."""
    points = []
    for offset in offsets:
        try:
            point = seen - timedelta(days=offset)
        except OverflowError:
            break
        if first is not None and point < first:
            break
        points.append(point)
    return points


def _probe_all(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    points: list[date],
    cursor: _Cursor,
    width: int,
) -> Generator[Any, Any, list[_Mark]]:
    """The first page on or before each of ``points``, and the cursor's next page when it
    fits in the same round trip (a batch of probes that fills every request in flight, or
    no probes at all, leaves the cursor where it is)."""
    if not points:
        return []
    requests = [_probe(adapter, listing, point) for point in points]
    following = cursor.pending if len(points) % max(1, width) else None
    sent = requests if following is None else [*requests, following]
    # Tolerant so that the cursor's page may fail alone (the windows read its records);
    # a probe's error still ends the listing, as it would from a plain batch.
    answers = list((yield Batch(tuple(sent), tolerant=True)))
    if following is not None:
        cursor.take(answers.pop())
        if cursor.ended:
            return []  # the listing ended on that page: the probes are not needed
    error = next((a for a in answers if isinstance(a, StorebridgeError)), None)
    if error is not None:
        raise error
    marks = []
    for point, request, answer in zip(points, requests, answers, strict=True):
        found = PageReader(adapter, Days(listing.days.first, point), dates)(request, answer)
        marks.append(_Mark(point, found.rows, found.next is not None))
    return marks


def _probe(adapter: TwentyNineNextAdapter, listing: Listing, point: date) -> Request:
    days = Days(listing.days.first, point)
    request = first_request(adapter, listing, days)
    reader = PageReader(adapter, days, listing.dates)

    def check(response: Response) -> None:
        reader(request, response)

    return with_check(request, check)


def _count(pages: float, width: int) -> int:
    """Windows for about ``pages`` pages read ``width`` at a time: whole waves of ``width``
    (the facade runs that many at once: one window more would walk alone at the end), none
    much longer than WINDOW_PAGES pages, none much shorter than a page."""
    waves = max(1, math.ceil(pages / (max(1, width) * WINDOW_PAGES)))
    return max(1, min(max(1, width) * waves, math.ceil(pages / 0.8)))


def _tops(stretches: list[tuple[date, date | None, float]], count: int) -> list[date]:
    """Top days of ``count`` windows holding about as many pages each, over stretches
    ``(top, bottom, pages)`` that follow each other going back (the last may be open)."""
    total = sum(pages for _, _, pages in stretches)
    step, goal, done = total / count, total / count, 0.0
    tops = [stretches[0][0]]
    last = stretches[-1][1]
    for top, bottom, pages in stretches:
        days = (top - bottom).days + 1 if bottom is not None else 1
        per_day = pages / days
        while len(tops) < count and goal <= done + pages:
            # The window reaches its share on the day ``offset`` days below ``top``.
            offset = max(0, math.ceil((goal - done) / per_day) - 1)
            following = top - timedelta(days=offset + 1)
            if following <= tops[-1] - _DAY and (last is None or following >= last):
                tops.append(following)
            goal += step
        done += pages
    return tops


_DAY = timedelta(days=1)


def _day_rate(rows: Sequence[Payload], field: str) -> float:
    """Records a day, as a page of ``rows`` in date order shows them (a page within one
    instant says only: at least a page a day)."""
    times = [t for t in (row_time(row, field) for row in rows) if t is not None]
    elapsed = abs((times[0] - times[-1]).total_seconds()) / 86400 if len(times) > 1 else 0.0
    return max((len(times) - 1) / elapsed if elapsed else 0.0, float(len(rows)) / 30, 1e-3)


__all__ = ["PROBES", "WIDE", "WINDOW_PAGES", "Window", "read_listing"]
