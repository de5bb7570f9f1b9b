"""Reading 29 Next listings: cursor pages walked by ``kit.walk``, read in parallel day
windows so a listing reaches the rate limit instead of one page per round trip.

**Pages.** Lists answer ``{"next", "previous", "results"}`` (DRF cursor pagination: no
count, no page size, no ordering parameter). A page is used only if

* its ``next`` link stays on the store's origin and under the API root (the token rides
  along with every follow-up request);
* its ``next`` and ``previous`` links carry the request's own filters (a page of another
  listing answered in its place, say by a cache, is refused);
* every row of a day window lies within the window's days, read in the row's own UTC
  offset (the one the platform filtered by).

Anything else is an unusable answer: asked again, then an error. ``kit.walk`` adds the
rest of the listing guarantees (a repeated page or a next link that does not advance is
asked again, then PaginationError; a record is yielded once).

**Windows.** One cursor is strictly sequential. The Admin API filters orders, users and
transactions by day-granular dates (``date_placed_from/to``, ``date_joined_from/to``,
``date_created_from/to``), so when the facade would keep at least :data:`WIDE` requests in
flight (rate x latency: a far-away store or a raised limit) and the first page has a next
link, the listing is cut into windows of days read side by side:

* rows newest first (or oldest first): the first page's density gives the days a window of
  about :data:`WINDOW_PAGES` pages spans; the first pages of bands of doubling width going
  back (one batch, one round trip) show where the records end and how dense each band is;
  each band longer than a page is cut into windows of about :data:`WINDOW_PAGES` pages;
* rows in no date order: the first page is a sample; the days between its oldest and newest
  row are cut into as many windows as the facade keeps in flight, plus an open-ended window
  on either side.

Neighbouring windows share their boundary day, so a bound the platform treats as exclusive
loses nothing; records of a shared day are yielded once (each record is claimed by the
first window that reads it). The first page only plans: its records are yielded by the
window that reads them again. Results arrive window by window as pages complete: newest
first within a window, no order across windows. ``slices=1`` reads one cursor in the
platform's order; ``slices=N`` cuts the user's own ``created_since``..``created_until``
into N equal windows instead.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Generator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import attrs

from storebridge.errors import PaginationError, PayloadError, StorebridgeError, ValidationError
from storebridge.http import Request, Response, read_json
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Emit,
    Flow,
    ListFlow,
    Page,
    Payload,
    derive_request,
    merge_parallel,
    parse_iso_datetime,
    relay,
    rows_at,
    walk,
    with_check,
)
from storebridge_29next._requests import PLATFORM, get

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

T = TypeVar("T")
Expand = Callable[[list[Payload]], Flow[list[T]]]
"""Turns a page of rows (each a Payload at ``$.results[i]``) into model objects; may send
requests (details)."""

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
_CURSOR = "cursor"


@attrs.frozen
class DateFilter:
    """How one listing filters by day: its two query parameters and the rows' date field."""

    since: str
    until: str
    field: str


ORDERS_BY_PLACED = DateFilter("date_placed_from", "date_placed_to", "date_placed")
USERS_BY_JOINED = DateFilter("date_joined_from", "date_joined_to", "date_joined")
TRANSACTIONS_BY_CREATED = DateFilter("date_created_from", "date_created_to", "date_created")


@attrs.frozen
class Days:
    """Store days from ``first`` to ``last``, both included; None is open-ended."""

    first: date | None = None
    last: date | None = None

    def __contains__(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    @property
    def bounded(self) -> bool:
        return self.first is not None or self.last is not None

    def length(self) -> int | None:
        if self.first is None or self.last is None:
            return None
        return (self.last - self.first).days + 1

    def params(self, dates: DateFilter) -> dict[str, str]:
        found = {dates.since: self.first, dates.until: self.last}
        return {key: day.isoformat() for key, day in found.items() if day is not None}

    def __str__(self) -> str:
        return f"{self.first or '...'}..{self.last or '...'}"


@attrs.frozen
class Listing:
    """One listing as the adapter asks for it."""

    resource: str
    path: str
    key: str
    """The rows' identity field (``number`` for orders, ``id`` elsewhere)."""
    params: tuple[tuple[str, str], ...] = ()
    days: Days = Days()
    dates: DateFilter | None = None
    """None: the listing has no day filter and is read by one cursor."""
    slices: int | None = None


def store_days(since: datetime | None, until: datetime | None) -> Days:
    """The store days that may hold records from ``since`` to ``until``.

    Date filters are whole days in the store's time zone, which is not known: the range is
    widened by a day each side and records are then filtered exactly on this side.
    """
    return Days(
        (since - timedelta(days=1)).date() if since is not None else None,
        (until + timedelta(days=1)).date() if until is not None else None,
    )


def within(value: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """True when ``value`` lies from ``since`` to ``until`` (open ends: no bound)."""
    if since is None and until is None:
        return True
    if value is None:
        return False
    return (since is None or value >= since) and (until is None or value <= until)


def cut(first: date, last: date, parts: int, *, shared: bool = False) -> list[Days]:
    """``first``..``last`` in ``parts`` windows of about equal length, newest first: every
    day in exactly one window, or (``shared``) neighbours sharing their boundary day."""
    days = (last - first).days + (0 if shared else 1)
    parts = max(1, min(parts, days))
    bounds = [first + timedelta(days=round(days * i / parts)) for i in range(parts + 1)]
    gap = timedelta(days=0 if shared else 1)
    return [Days(bounds[i], bounds[i + 1] - gap) for i in reversed(range(parts))]


def row_time(row: Payload, field: str) -> datetime | None:
    """When a row happened (its own UTC offset kept); None when unreadable."""
    value = row.data.get(field)
    if type(value) is not str or len(value) > 40:
        return None
    try:
        return parse_iso_datetime(value)
    except (ValueError, OverflowError):
        return None


def row_day(row: Payload, field: str) -> date | None:
    """The store day of a row (its date in its own UTC offset); None when unreadable."""
    found = row_time(row, field)
    return None if found is None else found.date()


class PageReader:
    """Reads one window's pages (see the module docstring); remembers the last next link."""

    def __init__(self, adapter: TwentyNineNextAdapter, days: Days, dates: DateFilter | None):
        self.adapter = adapter
        self.days = days
        self.dates = dates
        self.root = urlsplit(adapter.base_url).path.rstrip("/") + "/"
        self.last_next: Request | None = None

    def __call__(self, request: Request, response: Response) -> Page[Payload]:
        body = read_json(response)
        rows = rows_at(body, ("results",), platform=PLATFORM)
        here = str(request.url)
        asked = _filters(urlsplit(here).query)
        following = self._link(request, here, asked, body, "next")
        before = self._link(request, here, asked, body, "previous")
        if before is None and _CURSOR in request.url.params:
            # Cursor pagination links back from every page it reaches by a cursor: an
            # answer without one is not that page (a cache's empty or first page).
            raise PayloadError(
                "a page reached by a cursor has no previous link: the answer is not that page",
                path="$.previous",
                platform=PLATFORM,
            )
        payloads = [Payload(row, f"$.results[{i}]", PLATFORM) for i, row in enumerate(rows)]
        if self.dates is not None and self.days.bounded:
            for row in payloads:
                day = row_day(row, self.dates.field)
                if day is not None and day not in self.days:
                    row.fail(
                        f"{self.dates.field} {day} lies outside the days asked for "
                        f"({self.days}): the answer belongs to another listing",
                        self.dates.field,
                    )
        self.last_next = following
        return Page(payloads, following)

    def _link(
        self, request: Request, here: str, asked: list[tuple[str, str]], body: Any, name: str
    ) -> Request | None:
        """The request for link ``name`` (``previous``: ``request`` itself, when present)."""
        value = body.get(name) if isinstance(body, dict) else None
        if value is None or value == "":
            return None
        where = f"$.{name}"
        try:
            if not isinstance(value, str) or len(value) > 8192 or not value.isprintable():
                raise ValueError("not a URL")
            # DRF answers absolute links: joining is for the odd relative one.
            parts = urlsplit(
                value if value.startswith(("https://", "http://")) else urljoin(here, value)
            )
            origin = (parts.scheme, parts.hostname, parts.port or _PORTS.get(parts.scheme))
        except ValueError:
            raise PayloadError(f"{name} link is not a URL", path=where, platform=PLATFORM) from None
        url = request.url
        if origin != (url.scheme, url.host, url.port or _PORTS.get(url.scheme)):
            raise PayloadError(
                f"{name} link leaves the store's origin {url.scheme}://{url.host}; refusing to "
                "send credentials there",
                path=where,
                platform=PLATFORM,
            )
        if not parts.path.startswith(self.root):
            raise PayloadError(
                f"{name} link leaves the API root {self.adapter.base_url}; refusing to send "
                "the token there",
                path=where,
                platform=PLATFORM,
            )
        if _filters(parts.query) != asked:
            raise PayloadError(
                f"{name} link carries other filters than the request: the answer belongs to "
                "another listing",
                path=where,
                platform=PLATFORM,
            )
        if name != "next":
            return request
        try:
            return derive_request(request, urlunsplit(parts))
        except Exception:  # the HTTP library's own refusal (InvalidURL), not importable here
            raise PayloadError(f"{name} link is not a URL", path=where, platform=PLATFORM) from None


def _filters(query: str) -> list[tuple[str, str]]:
    """A query's parameters other than the cursor, in a comparable order."""
    return sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != _CURSOR)


_PORTS = {"https": 443, "http": 80}


class Claims:
    """Records already yielded by some window of one listing (thread-safe)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._seen: set[Any] = set()
        self._lock = threading.Lock()

    def take(self, rows: Sequence[Payload]) -> list[Payload]:
        with self._lock:
            fresh = [row for row in rows if row_key(row, self.key) not in self._seen]
            self._seen.update(row_key(row, self.key) for row in fresh)
        return fresh


def row_key(row: Payload, key: str) -> Any:
    value = row.data.get(key)
    if type(value) is int:
        return str(value)
    return value


def _first_request(adapter: TwentyNineNextAdapter, listing: Listing, days: Days) -> Request:
    params = list(listing.params)
    if listing.dates is not None:
        params += list(days.params(listing.dates).items())
    return get(adapter, f"{listing.resource}.list", listing.path, params=params)


def _walk(
    adapter: TwentyNineNextAdapter, listing: Listing, days: Days
) -> tuple[ListFlow[Payload], PageReader]:
    reader = PageReader(adapter, days, listing.dates)
    flow = walk(
        _first_request(adapter, listing, days),
        reader,
        resource=listing.resource,
        platform=PLATFORM,
        key=lambda row: row_key(row, listing.key),
    )
    return flow, reader


def _expanding(flow: ListFlow[Payload], claims: Claims, expand: Expand[T]) -> ListFlow[T]:
    def on_emit(page: Emit[Payload]) -> Generator[Any, Any, Emit[T] | None]:
        fresh = claims.take(page.items)
        return Emit((yield from expand(fresh))) if fresh else None

    yield from relay(flow, on_emit)


def _rows(rows: list[Payload], claims: Claims, expand: Expand[T]) -> ListFlow[T]:
    fresh = claims.take(rows)
    if fresh:
        items = yield from expand(fresh)
        if items:
            yield Emit(items)


def _first_page(flow: ListFlow[Payload]) -> Generator[Any, Any, list[Payload] | None]:
    """Relay ``flow`` until its first page of rows (None: it ended without any)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration:
            return None
        value, error = None, None
        if isinstance(step, Emit):
            return list(step.items)
        try:
            value = yield step
        except StorebridgeError as exc:
            error = exc


def read_listing(
    adapter: TwentyNineNextAdapter, listing: Listing, expand: Expand[T]
) -> ListFlow[T]:
    """Every record of ``listing`` once, converted by ``expand`` (see the module docstring)."""
    claims = Claims(listing.key)
    flow, reader = _walk(adapter, listing, listing.days)
    rows = yield from _first_page(flow)
    if rows is None:
        return
    dates, slices = listing.dates, listing.slices
    order = _newest_first(rows, dates.field, listing.key) if dates is not None else None
    if dates is None or order is None or reader.last_next is None or slices == 1:
        yield from _rows(rows, claims, expand)
        yield from _expanding(flow, claims, expand)
        return
    width = int((yield CONCURRENCY))
    if slices is None and width < WIDE:
        yield from _rows(rows, claims, expand)
        yield from _expanding(flow, claims, expand)
        return
    flow.close()
    seen_day, witness = order
    if slices is not None:
        if listing.days.first is None:
            raise ValidationError("slices needs created_since and created_until", field="slices")
        tops = [w.last for w in cut(listing.days.first, seen_day, slices) if w.last]
    else:
        tops = yield from _plan(adapter, listing, dates, rows, seen_day, width)
    # Each window reaches down to the day after the next window's top; the last to the end.
    bottoms = [top + _DAY for top in tops[1:]]
    windows = [Window(top, bottom) for top, bottom in zip(tops, [*bottoms, None], strict=True)]
    yield from _read_windows(adapter, listing, dates, windows, rows, witness, claims, expand)


@attrs.define
class Window:
    """Records on day ``top`` or before, newest first, down to day ``bottom`` (None: to the
    end), and what reading them showed: the key of the first record, and of the first one
    under ``bottom`` (which the next window must start with)."""

    top: date
    bottom: date | None
    first: Any = None
    below: Any = None


class _Below(Exception):
    """A window's walk reached a record under its bottom day."""


def _window(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    window: Window,
    claims: Claims,
    expand: Expand[T],
) -> ListFlow[T]:
    flow, _ = _walk(adapter, listing, Days(listing.days.first, window.top))
    window.first = window.below = None
    started, last = False, window.top

    def on_emit(page: Emit[Payload]) -> Generator[Any, Any, Emit[T] | None]:
        nonlocal started, last
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
                row.fail(f"{dates.field} {day} comes after a record of {last}: the pages "
                         "are not newest first", dates.field)  # fmt: skip
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
            raise _Below
        return None

    try:
        yield from relay(flow, on_emit)
    except _Below:
        return


def _read_windows(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    windows: list[Window],
    rows: list[Payload],
    witness: Any,
    claims: Claims,
    expand: Expand[T],
) -> ListFlow[T]:
    """Read ``windows`` side by side, then check they join up: each window must start with
    the record the window above found under its bottom (the first one with the first
    page's witness), and the last must reach the end. A window read wrongly (an empty or
    foreign answer that no page check could tell) is read again, once; then an error."""
    pending: list[ListFlow[T]] = [_rows(rows, claims, expand)]
    todo = list(windows)
    for _ in range(_READS):
        pending += [_window(adapter, listing, dates, w, claims, expand) for w in todo]
        yield from merge_parallel(pending)
        pending = []
        todo = _unjoined(windows, witness)
        if not todo:
            return
    first = todo[0]
    raise PaginationError(
        f"{listing.resource}: the day windows up to {first.top} did not join up after being "
        "read again (a record missing or answered for another window); read the listing "
        "again, or with slices=1",
        resource=listing.resource,
        platform=PLATFORM,
    )


_READS = 3
"""Rounds of reading windows: the first, and two to read again those that did not join."""


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


def _newest_first(rows: list[Payload], field: str, key: str) -> tuple[date, Any] | None:
    """(the first page's last day, the key of its first record on that day) when its rows
    run newest first; None otherwise (the listing is then read by one cursor)."""
    days = [row_day(row, field) for row in rows]
    known = [day for day in days if day is not None]
    if len(known) < 2 or len(known) < len(rows):
        return None
    if any(a < b for a, b in itertools.pairwise(known)):
        return None
    last = known[-1]
    return last, row_key(rows[days.index(last)], key)


@attrs.frozen
class _Mark:
    """What the first page of "on day ``point`` or before" showed."""

    point: date
    rows: Sequence[Payload]
    more: bool
    """The page had a next link: more than a page of records on or before ``point``."""


def _plan(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    rows: list[Payload],
    seen: date,
    width: int,
) -> Generator[Any, Any, list[date]]:
    """The top days of windows covering ``seen`` and before, newest first.

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
        adapter, listing, dates, _points(seen, [step * 4**j for j in range(PROBES)], first)
    )
    end = next((i for i, mark in enumerate(marks) if not mark.rows), None)
    if end is not None and marks[end - 1].more:
        top, bottom = marks[end - 1].point, marks[end].point
        gap = (top - bottom).days
        inner = [top - timedelta(days=gap * i // 8) for i in range(1, 8)]
        found = yield from _probe_all(
            adapter, listing, dates, sorted({d for d in inner if bottom < d < top}, reverse=True)
        )
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
            # The records end below ``upper``: one more stretch, read to the end.
            known = lower.point + _DAY if lower is not None and upper.more else None
            size = ((upper.point - known).days + 1) * rate / page if known else 1.0
            stretches.append((upper.point, known or first, max(1.0, size)))
            break
        size = (upper.point - lower.point).days * rate / page
        stretches.append((upper.point, lower.point + _DAY, max(1.0, size)))
    per_window = _per_window(sum(pages for _, _, pages in stretches), width)
    tops: list[date] = []
    for upper_day, lower_day, pages in stretches:
        parts = math.ceil(pages / per_window)
        windows = (
            cut(lower_day, upper_day, parts)
            if lower_day and parts > 1
            else [Days(lower_day, upper_day)]
        )
        tops += [w.last for w in windows if w.last]
    return tops


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
    adapter: TwentyNineNextAdapter, listing: Listing, dates: DateFilter, points: list[date]
) -> Generator[Any, Any, list[_Mark]]:
    if not points:
        return []
    requests = [_probe(adapter, listing, point) for point in points]
    answers = yield Batch(tuple(requests))
    marks = []
    for point, request, answer in zip(points, requests, answers, strict=True):
        found = PageReader(adapter, Days(listing.days.first, point), dates)(request, answer)
        marks.append(_Mark(point, found.rows, found.next is not None))
    return marks


def _probe(adapter: TwentyNineNextAdapter, listing: Listing, point: date) -> Request:
    days = Days(listing.days.first, point)
    request = _first_request(adapter, listing, days)
    reader = PageReader(adapter, days, listing.dates)

    def check(response: Response) -> None:
        reader(request, response)

    return with_check(request, check)


def _per_window(pages: float, width: int) -> float:
    """Pages a window is planned for when ``pages`` are to be read ``width`` at a time.

    Whole pages less a margin (a rough density): a window planned for 1.2 pages costs two
    requests, one planned for 0.8 costs one.
    """
    return math.floor(max(1.0, min(float(WINDOW_PAGES), pages / max(1, width)))) - 0.2


_DAY = timedelta(days=1)


def _day_rate(rows: Sequence[Payload], field: str) -> float:
    """Records a day, as a page of ``rows`` in date order shows them (a page within one
    instant says only: at least a page a day)."""
    times = [t for t in (row_time(row, field) for row in rows) if t is not None]
    elapsed = abs((times[0] - times[-1]).total_seconds()) / 86400 if len(times) > 1 else 0.0
    return max((len(times) - 1) / elapsed if elapsed else 0.0, float(len(rows)) / 30, 1e-3)


__all__ = [
    "ORDERS_BY_PLACED",
    "PROBES",
    "TRANSACTIONS_BY_CREATED",
    "USERS_BY_JOINED",
    "WIDE",
    "WINDOW_PAGES",
    "Claims",
    "DateFilter",
    "Days",
    "Listing",
    "PageReader",
    "Window",
    "cut",
    "read_listing",
    "row_day",
    "row_key",
    "row_time",
    "store_days",
    "within",
]
