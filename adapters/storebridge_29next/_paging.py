"""29 Next list pages: how one is read and checked, walked by ``kit.walk``; the days a
listing asks for (see ``_listings`` for how a listing is read in day windows).

**Pages.** Lists answer ``{"next", "previous", "results"}`` (DRF cursor pagination: no
count, no page size, no ordering parameter). A page is used only if

* its links stay on the store's origin and under the API root (the token rides along
  with every follow-up request);
* its links carry the request's own filters, and a page reached by a cursor links back
  (``previous``): a page of another listing, or an empty one, answered in its place (say
  by a cache) is refused;
* every row lies within the days asked for, read in the row's own UTC offset (the one the
  platform filtered by).

Anything else is an unusable answer: asked again, then an error. ``kit.walk`` adds the
rest of the listing guarantees (a repeated page or a next link that does not advance is
asked again, then PaginationError; a record is yielded once).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Generator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import attrs

from storebridge.errors import PaginationError, PayloadError
from storebridge.http import Request, Response, read_json
from storebridge.kit import (
    BodyNextUrl,
    Done,
    Emit,
    Flow,
    FlowStepper,
    ListFlow,
    Page,
    Payload,
    SeenKeys,
    ask,
    derive_request,
    parse_iso_datetime,
    rows_at,
    same_origin,
    walk,
)
from storebridge_29next._requests import PLATFORM, get

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

T = TypeVar("T")
Expand = Callable[[list[Payload]], Flow[list[T]]]
"""Turns a page of rows (each a Payload at ``$.results[i]``) into model objects; may send
requests (details)."""

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
    widened by a day each side and records are then filtered exactly on this side. The
    days are counted in UTC, which is at most 14 hours from any store's zone; the caller's
    own zone can be more than a day from the store's (+14:00 against -11:00).
    """
    return Days(
        (since.astimezone(UTC) - timedelta(days=1)).date() if since is not None else None,
        (until.astimezone(UTC) + timedelta(days=1)).date() if until is not None else None,
    )


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
        self._seen = SeenKeys()
        self._lock = threading.Lock()

    def take(self, rows: Sequence[Payload]) -> list[Payload]:
        with self._lock:
            return [row for row in rows if self._seen.add_new(row_key(row, self.key))]


def row_key(row: Payload, key: str) -> Any:
    value = row.data.get(key)
    if type(value) is int:
        return str(value)
    return value


def first_request(adapter: TwentyNineNextAdapter, listing: Listing, days: Days) -> Request:
    params = list(listing.params)
    if listing.dates is not None:
        params += list(days.params(listing.dates).items())
    return get(adapter, f"{listing.resource}.list", listing.path, params=params)


def walk_days(
    adapter: TwentyNineNextAdapter, listing: Listing, days: Days
) -> tuple[ListFlow[Payload], PageReader]:
    reader = PageReader(adapter, days, listing.dates)
    flow = walk(
        first_request(adapter, listing, days),
        reader,
        resource=listing.resource,
        platform=PLATFORM,
        key=lambda row: row_key(row, listing.key),
    )
    return flow, reader


READ_BACK_PAGES = 100
"""Pages a read-back follows before it gives up with PaginationError."""


def search_pages(
    first: Request, resource: str, visit: Callable[[list[Payload]], Flow[T | None]]
) -> Flow[T | None]:
    """Reads a write back: ``first`` and the pages its ``next`` links lead to, one at a time,
    until ``visit`` finds the write's effect among a page's rows (each a Payload at
    ``$.results[i]``); None once every page is read without it.

    ``first`` carries the answer check (``has_results`` or a stricter one) and each page
    after it keeps it, so a wrong-shaped page is asked again, never read as empty. Stopping
    short would read as "not there" (and a write the read-back may repeat would happen
    twice), so a next link that repeats a page, or one past ``READ_BACK_PAGES``, raises
    PaginationError; one without the request's filters is a PayloadError.
    """
    request = first
    seen: set[str] = set()
    while True:
        seen.add(str(request.url))
        response = yield request
        body = read_json(response)
        found = yield from visit(Payload(body, "$", PLATFORM).objects("results"))
        if found is not None:
            return found
        link = BodyNextUrl().next_url(body)
        if link is None:
            return None
        target = same_origin(request, request.url.join(link), "$.next")
        if _filters(target.query.decode()) != _filters(request.url.query.decode()):
            # A page of another listing (a cache that ignored the filter): following it
            # would look up, page after page, orders the filter should have left out.
            raise PayloadError(
                "next link carries other filters than the request: the answer belongs to "
                "another listing",
                path="$.next",
                platform=PLATFORM,
            )
        if str(target) in seen or len(seen) >= READ_BACK_PAGES:
            why = "repeats a page" if str(target) in seen else f"goes past {READ_BACK_PAGES} pages"
            raise PaginationError(
                f"reading the {resource} back, their next link {why}: they could not all "
                "be read",
                resource=resource, page=str(target), path="$.next", platform=PLATFORM,
            )  # fmt: skip
        request = derive_request(request, str(target))


def newest_first(rows: list[Payload], field: str, key: str) -> tuple[date, Any] | None:
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


def in_date_order(rows: list[Payload], field: str) -> bool:
    """Whether ``rows`` run newest first by ``field`` (rows without a readable date aside)."""
    days = [day for day in (row_day(row, field) for row in rows) if day is not None]
    return all(a >= b for a, b in itertools.pairwise(days))


def first_page(flow: ListFlow[Payload]) -> Generator[Any, Any, list[Payload] | None]:
    """Relay ``flow`` until its first page of rows (None: it ended without any); ``flow``
    stays open for the caller to read on."""
    stepper: FlowStepper[None] = FlowStepper(flow)
    step = stepper.advance()
    while not isinstance(step, Done):
        if isinstance(step, Emit):
            return list(step.items)
        step = stepper.advance(*(yield from ask(step)))
    return None


__all__ = [
    "ORDERS_BY_PLACED",
    "READ_BACK_PAGES",
    "TRANSACTIONS_BY_CREATED",
    "USERS_BY_JOINED",
    "Claims",
    "DateFilter",
    "Days",
    "Expand",
    "Listing",
    "PageReader",
    "cut",
    "first_page",
    "first_request",
    "in_date_order",
    "newest_first",
    "row_day",
    "row_key",
    "row_time",
    "search_pages",
    "store_days",
    "walk_days",
]
