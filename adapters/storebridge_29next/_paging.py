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

import attrs

from storebridge.errors import PayloadError, StorebridgeError, ValidationError
from storebridge.http import URL, Request, Response, read_json
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
    same_origin,
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
WINDOW_PAGES = 8
"""Pages a planned window is meant to hold: fewer windows waste fewer half-full last
pages, more windows read side by side."""
BANDS = 12
"""Bands of doubling width probed going back from the newest records: they reach
``2**12`` window widths into the past, after which one open-ended window walks the rest."""
ROUND = 4
"""Bands probed per round trip: a small store is found whole in the first round, a deep
one takes a round trip per four bands (each round's windows already being read)."""
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


def cut(first: date, last: date, parts: int) -> list[Days]:
    """``first``..``last`` in ``parts`` windows of about equal length, newest first;
    neighbours share their boundary day."""
    span = (last - first).days
    parts = max(1, min(parts, span))
    bounds = [first + timedelta(days=round(span * i / parts)) for i in range(parts + 1)]
    return [Days(bounds[i], bounds[i + 1]) for i in reversed(range(parts))]


def row_day(row: Payload, field: str) -> date | None:
    """The store day of a row (its date in its own UTC offset); None when unreadable."""
    value = row.data.get(field)
    if type(value) is not str or len(value) > 40:
        return None
    try:
        return parse_iso_datetime(value).date()
    except (ValueError, OverflowError):
        return None


def _query(url: URL) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in url.params.multi_items() if k != _CURSOR)


class PageReader:
    """Reads one window's pages (see the module docstring); remembers the last next link."""

    def __init__(self, adapter: TwentyNineNextAdapter, days: Days, dates: DateFilter | None):
        self.adapter = adapter
        self.days = days
        self.dates = dates
        self.last_next: Request | None = None

    def __call__(self, request: Request, response: Response) -> Page[Payload]:
        body = read_json(response)
        rows = rows_at(body, ("results",), platform=PLATFORM)
        following = self._link(request, body, "next")
        self._link(request, body, "previous")
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

    def _link(self, request: Request, body: Any, name: str) -> Request | None:
        value = body.get(name) if isinstance(body, dict) else None
        if value is None or value == "":
            return None
        where = f"$.{name}"
        if not isinstance(value, str) or len(value) > 8192:
            raise PayloadError(f"{name} link must be a URL", path=where, platform=PLATFORM)
        try:
            target = same_origin(request, request.url.join(value), where)
        except PayloadError:
            raise
        except Exception as exc:  # the HTTP library refusing the URL text (InvalidURL...)
            raise PayloadError(f"{name} link is not a URL ({type(exc).__name__})",
                               path=where, platform=PLATFORM) from None  # fmt: skip
        root = URL(self.adapter.base_url).path.rstrip("/") + "/"
        if not target.path.startswith(root):
            raise PayloadError(
                f"{name} link leaves the API root {self.adapter.base_url}; refusing to send "
                "the token there",
                path=where,
                platform=PLATFORM,
            )
        if _query(target) != _query(request.url):
            raise PayloadError(
                f"{name} link carries other filters than the request: the answer belongs to "
                "another listing",
                path=where,
                platform=PLATFORM,
            )
        return derive_request(request, str(target)) if name == "next" else None


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


def _window(
    adapter: TwentyNineNextAdapter, listing: Listing, days: Days, claims: Claims, expand: Expand[T]
) -> ListFlow[T]:
    yield from _expanding(_walk(adapter, listing, days)[0], claims, expand)


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
    whole = listing.days
    if listing.slices is not None and listing.slices > 1 and listing.dates is not None:
        if whole.first is None or whole.last is None:
            raise ValidationError("slices needs created_since and created_until", field="slices")
        windows = cut(whole.first, whole.last, listing.slices)
        yield from merge_parallel([_window(adapter, listing, d, claims, expand) for d in windows])
        return
    flow, reader = _walk(adapter, listing, listing.days)
    rows = yield from _first_page(flow)
    if rows is None:
        return
    plan: list[ListFlow[T]] | None = None
    dates = listing.dates
    if dates is not None and listing.slices is None and reader.last_next is not None:
        width = yield CONCURRENCY
        if width >= WIDE:
            plan = _plan(adapter, listing, dates, rows, int(width), claims, expand)
    if plan is None:
        yield from _rows(rows, claims, expand)
        yield from _expanding(flow, claims, expand)
        return
    flow.close()
    yield from merge_parallel(plan)


def _direction(days: Sequence[date]) -> int:
    """-1 when the days run newest first, 1 oldest first, 0 in no order."""
    if len(days) < 2 or days[0] == days[-1]:
        return -1 if days else 0
    pairs = list(itertools.pairwise(days))
    if all(a >= b for a, b in pairs):
        return -1
    if all(a <= b for a, b in pairs):
        return 1
    return 0


def _plan(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    rows: list[Payload],
    width: int,
    claims: Claims,
    expand: Expand[T],
) -> list[ListFlow[T]] | None:
    """Windows for ``listing`` from its first page ``rows`` (None: read one cursor)."""
    days = [d for d in (row_day(row, dates.field) for row in rows) if d is not None]
    if len(days) < 2:
        return None
    whole = listing.days
    direction = _direction(days)
    if direction == 0:
        low, high = min(days), max(days)
        middle = cut(low, high, width) if high > low else [Days(low, high)]
        windows = [Days(high, whole.last), *middle, Days(whole.first, low)]
        return [_window(adapter, listing, d, claims, expand) for d in windows if _valid(d)]
    bands = _Bands(days[0], _days_per_window(days), direction, whole)
    return [_region(adapter, listing, dates, bands, 0, claims, expand)]


def _region(
    adapter: TwentyNineNextAdapter,
    listing: Listing,
    dates: DateFilter,
    bands: _Bands,
    start: int,
    claims: Claims,
    expand: Expand[T],
) -> ListFlow[T]:
    """Bands ``start`` .. ``start + ROUND - 1`` and the rest beyond: the first pages of all
    in one round trip, then each band read (cut into windows when longer than a page) side
    by side with the rest, which probes its own bands the same way when it holds more than
    a page."""
    probes, rest = bands.round(start)
    if rest is not None:
        probes.append(rest)
    requests = [_band_request(adapter, listing, band) for band in probes]
    answers = yield Batch(tuple(requests))
    flows: list[ListFlow[T]] = []
    for band, request, answer in zip(probes, requests, answers, strict=True):
        page = PageReader(adapter, band, dates)(request, answer)
        if page.next is None:
            flows.append(_rows(list(page.rows), claims, expand))
        elif band is rest:
            flows.append(_region(adapter, listing, dates, bands, start + ROUND, claims, expand))
        else:
            flows += [
                _window(adapter, listing, part, claims, expand)
                for part in _cut_band(band, page.rows, dates.field)
            ]
    yield from merge_parallel(flows)


def _valid(days: Days) -> bool:
    return days.first is None or days.last is None or days.first <= days.last


def _span(days: Sequence[date]) -> int:
    """Days a page of rows (in date order) covers, both ends included."""
    return abs((days[0] - days[-1]).days) + 1


def _days_per_window(days: Sequence[date]) -> int:
    # A full page covers _span days, so a window of WINDOW_PAGES pages covers that many
    # times more. A page within one day says only that a day holds a page or more.
    span = _span(days)
    return WINDOW_PAGES * span if span > 1 else 1


@attrs.frozen
class _Bands:
    """Bands of doubling width from ``edge`` (the newest day when ``direction`` is -1, the
    oldest when 1) across ``whole``: band k ends ``step * 2**k`` days from ``edge``.
    Neighbours share a boundary day."""

    edge: date
    step: int
    direction: int
    whole: Days

    def boundary(self, k: int) -> date | None:
        """Where band ``k`` ends, away from ``edge`` (None: beyond the calendar)."""
        try:
            return self.edge + timedelta(days=self.direction * (self.step * 2**k - 1))
        except OverflowError:
            return None

    def _band(self, near: date | None, far: date | None) -> Days:
        return Days(far, near) if self.direction < 0 else Days(near, far)

    def round(self, start: int) -> tuple[list[Days], Days | None]:
        """Bands ``start`` .. ``start + ROUND - 1`` and the rest beyond them (None when
        the bands reach the end of ``whole``, or after :data:`BANDS` bands)."""
        newer = self.direction < 0
        end = self.whole.first if newer else self.whole.last
        near = (self.whole.last if newer else self.whole.first) if start == 0 else None
        if start > 0:
            near = self.boundary(start - 1)
        bands: list[Days] = []
        for k in range(start, min(start + ROUND, BANDS)):
            far = self.boundary(k)
            if far is None or (end is not None and (far <= end if newer else far >= end)):
                bands.append(self._band(near, end))
                return [b for b in bands if _valid(b)], None
            bands.append(self._band(near, far))
            near = far
        rest = self._band(near, end)
        if start + ROUND >= BANDS:
            return [b for b in [*bands, rest] if _valid(b)], None
        return [b for b in bands if _valid(b)], rest if _valid(rest) else None


def _band_request(adapter: TwentyNineNextAdapter, listing: Listing, band: Days) -> Request:
    request = _first_request(adapter, listing, band)
    reader = PageReader(adapter, band, listing.dates)

    def check(response: Response) -> None:
        reader(request, response)

    return with_check(request, check)


def _cut_band(band: Days, rows: Sequence[Payload], field: str) -> list[Days]:
    """A band whose first page has a next link, cut into windows of about WINDOW_PAGES
    pages by the density of that page (an open-ended band is read by one cursor)."""
    days = [d for d in (row_day(row, field) for row in rows) if d is not None]
    if band.first is None or band.last is None or band.first >= band.last or len(days) < 2:
        return [band]
    length = (band.last - band.first).days + 1
    span = _span(days)
    parts = length if span == 1 else math.ceil(length / span / WINDOW_PAGES)
    return cut(band.first, band.last, parts) if parts > 1 else [band]


__all__ = [
    "BANDS",
    "ORDERS_BY_PLACED",
    "ROUND",
    "TRANSACTIONS_BY_CREATED",
    "USERS_BY_JOINED",
    "WIDE",
    "WINDOW_PAGES",
    "Claims",
    "DateFilter",
    "Days",
    "Listing",
    "PageReader",
    "cut",
    "read_listing",
    "row_day",
    "row_key",
    "store_days",
    "within",
]
