"""Path paging for :func:`kit.walk`: ``/api/v1/{resource}/{limit}/{offset}[/{since}[/{until}]]``.

The shop's ``paging.next`` link is the authority on whether and where the next page is
(each page is asked for from :data:`OVERLAP` rows before it, to prove no row slid past the
boundary while the pages were read), but only its numbers are used: the next request is
rebuilt on the configured base URL. A link pointing at another host, or at ``http://``
behind a TLS-terminating proxy, would otherwise carry the token somewhere it must not go;
links also repeat ``access_token`` and drop ``flat``, which the rebuilt request fixes.

Each answer is checked against the request it answers before the walk accepts it (a cache
or a replica can answer one page's URL with another page): the next link must move forward
by at most the page's limit, a ``prev`` link must point behind the page, and the page may
not hold more rows than asked for. A shop that serves fewer rows than asked for (it caps
pages at :data:`SHOP_PAGE_CAP` rows without saying so) is followed from the rows it served,
so a link that skips ahead never skips rows.

Offsets are read ahead (``ahead=``): the walk keeps the next pages in flight, guessing
their URLs with the step the shop's links showed, and keeps them only while the links
confirm them. Guesses past the last page are wasted requests: a full listing (usually long)
reads ahead at full width from the start, while a listing within a time window (usually an
incremental read of a few rows) starts two pages wide and doubles with every window's worth
of pages read, so a one-page read costs one extra request.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from storebridge.errors import APIError, PaginationError, PayloadError
from storebridge.http import URL, Request, Response
from storebridge.kit import (
    CONCURRENCY,
    Done,
    Emit,
    FlowStepper,
    ListFlow,
    ListQuery,
    Page,
    Payload,
    SeenKeys,
    ask,
    build_request,
    derive_request,
    relay,
    repeated_rows,
    walk,
)
from storebridge_24nettbutikk._bodies import PLATFORM, body_json, data_payloads, paging_link
from storebridge_24nettbutikk._changes import changed_since
from storebridge_24nettbutikk._local_time import readings, unix_ceil, unix_floor
from storebridge_24nettbutikk._newest_first import ListOrder, check_stood_back, read_head_again

if TYPE_CHECKING:
    from storebridge_24nettbutikk._adapter import NettbutikkAdapter

API_PATH = "/api/v1"
SHOP_PAGE_CAP = 50
"""The most rows a shop serves on one list page, whatever ``limit`` asks for."""
OVERLAP = 2
"""Rows each page repeats from the page before it. Offsets count positions in a list a shop
keeps in order of change: a record ahead of the page modified (moved to the end) or
deleted shifts every record behind it one place forward, and the one at the boundary would
slide past unseen. A page that repeats one of the previous page's last rows proves none
did; two rows cover one such move between two pages (even of the repeated row itself), and
more raise PaginationError (see :func:`storebridge.kit.walk`). Costs 2 rows in 50. A page
of fewer rows repeats all but one (one move then raises), so lists are asked for
:data:`MIN_LIMIT` rows a page at least."""
MIN_LIMIT = 2
"""The fewest rows a list page is asked for: a page of one row has none to repeat."""


KEYS: Mapping[str, str] = {"orders": "order_no", "products": "id", "customers": "id"}
"""The field each resource's rows are keyed by."""


@attrs.frozen
class PagePath:
    """The positional numbers of a list URL; ``limit`` is None for the bare list."""

    limit: int | None
    offset: int = 0
    since: int | None = None
    until: int | None = None


def page_url(
    api_root: str, resource: str, where: PagePath, params: Mapping[str, str] | None = None
) -> str:
    """The URL of the page at ``where`` (the bare ``/{resource}`` when its limit is None)."""
    parts = [f"{api_root}/{resource}"]
    if where.limit is not None:
        parts += [str(where.limit), str(where.offset)]
        if where.since is not None or where.until is not None:
            # The path is positional: an until needs a since before it; 0 means "from the start".
            parts.append(str(max(0, where.since or 0)))
        if where.until is not None:
            parts.append(str(max(0, where.until)))
    url = URL("/".join(parts))
    return str(url.copy_merge_params(dict(params)) if params else url)


def _numbers(path: str, resource: str) -> list[str] | None:
    marker = f"/{resource}"
    at = path.rfind(marker + "/")
    if at < 0:
        return [] if path.endswith(marker) else None
    return [s for s in path[at + len(marker) + 1 :].split("/") if s]


def page_path(url: URL, resource: str) -> PagePath:
    """Where a list request of ours points (its numbers are ours, so they are well formed)."""
    numbers = [int(s) for s in _numbers(url.path, resource) or []]
    return _path(numbers) if numbers else PagePath(None)


def _path(numbers: list[int]) -> PagePath:
    extra: list[int | None] = [*numbers[2:], None, None]
    return PagePath(numbers[0], numbers[1], extra[0], extra[1])


def link_path(link: str, resource: str, where: str) -> PagePath:
    """The numbers of a paging link, or PayloadError at ``where`` when it has none."""
    try:
        path = URL(link).path
    except Exception:  # the HTTP library refuses malformed URLs with several error types
        path = ""
    numbers = _numbers(path, resource)
    ok = numbers is not None and 2 <= len(numbers) <= 4
    if not ok or not all(len(s) <= 18 and s.isascii() and s.isdigit() for s in numbers or ()):
        raise PayloadError(
            f"paging link is not .../{resource}/limit/offset[/since[/until]]",
            path=where,
            platform=PLATFORM,
        )
    return _path([int(s) for s in numbers or ()])


class OffsetPages:
    """One listing's page reader (``read=``), read-ahead (``ahead=``) and row key (``key=``)."""

    def __init__(
        self, api_root: str, resource: str, params: Mapping[str, str] | None = None
    ) -> None:
        self.api_root = api_root
        self.resource = resource
        self.params = dict(params or {})
        self.field = KEYS[resource]
        self._step: int | None = None
        self._limit: int | None = None

    def request(self, where: PagePath) -> Request:
        """The first request of the listing."""
        url = page_url(self.api_root, self.resource, where, self.params)
        return build_request("GET", url, operation=f"{self.resource}.list", expect_json=False)

    def key(self, row: Payload) -> object:
        value = row.data.get(self.field)
        return value if type(value) is str else row.ref(self.field)

    def read(self, request: Request, response: Response) -> Page[Payload]:
        here = page_path(request.url, self.resource)
        body = body_json(response)
        rows = data_payloads(body)
        for row in rows:
            row.ref(self.field)  # every row has a usable key, or the page is unreadable
        if here.limit is not None and len(rows) > here.limit:
            raise self._refused(request, f"it holds {len(rows)} rows; {here.limit} were asked for")
        # Nothing is behind offset 0: a first page's answer with a prev link is another
        # page's (a stale cache answering with a page read ahead, past the end).
        if self._behind(body) >= here.offset:
            raise self._refused(request, "its prev link does not point behind it", "prev")
        link = paging_link(body, "next")
        if link is None:
            return Page(rows, None, here.offset)
        there = link_path(link, self.resource, "$.paging.next")
        if there.offset <= here.offset:
            raise self._refused(request, "its next link does not move forward", "next")
        if here.limit is not None and there.offset > here.offset + here.limit:
            raise self._refused(
                request, f"its next link jumps to offset {there.offset}, past the page", "next"
            )
        # A page capped below its limit is followed from the rows served, not the link, and
        # the next page starts OVERLAP rows early (see OVERLAP).
        offset = min(there.offset, here.offset + len(rows)) if rows else there.offset
        offset = max(here.offset + 1, offset - repeated_rows(OVERLAP, len(rows)))
        self._step, self._limit = offset - here.offset, there.limit
        following = PagePath(there.limit, offset, here.since, here.until)
        return Page(
            rows,
            derive_request(request, page_url(self.api_root, self.resource, following, self.params)),
            here.offset,
        )

    def _refused(self, request: Request, problem: str, link: str | None = None) -> PayloadError:
        here = page_path(request.url, self.resource)
        return PaginationError(
            f"{self.resource}: the answer to the page at offset {here.offset} is not that "
            f"page: {problem}",
            resource=self.resource,
            page=f"{request.method} {request.url}",
            path=f"$.paging.{link}" if link else "$.data",
            platform=PLATFORM,
        )

    def _behind(self, body: Any) -> int:
        """The offset the page's ``prev`` link points at; -1 without a readable one (it is
        only a cross-check, so a link in an unexpected form is not an error)."""
        try:
            back = paging_link(body, "prev")
            return -1 if back is None else link_path(back, self.resource, "$.paging.prev").offset
        except PayloadError:
            return -1

    def ahead(self, request: Request, k: int) -> Request:
        """A guess at the request ``k`` pages after ``request``."""
        here = page_path(request.url, self.resource)
        limit = self._limit or min(here.limit or SHOP_PAGE_CAP, SHOP_PAGE_CAP)
        step = self._step or limit - repeated_rows(OVERLAP, limit)
        guess = PagePath(limit, here.offset + k * step, here.since, here.until)
        return derive_request(request, page_url(self.api_root, self.resource, guess, self.params))


@attrs.frozen
class Window:
    """``updated_since`` / ``updated_until`` as the user asked, checked on ``modified_on``."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def open(self) -> bool:
        return self.since is None and self.until is None

    def contains(self, modified_on: Any, zone: ZoneInfo) -> bool:
        if self.open or type(modified_on) is not str:
            return True  # a row that does not say when it changed cannot be proved outside
        try:
            earliest, latest = readings(modified_on, zone)
        except ValueError:
            return True
        except OverflowError:  # within a day of year 1 or 9999: outside any later window
            first_year = datetime.fromisoformat(modified_on.strip()).year <= 1
            bound = self.since if first_year else self.until
            return bound is None or bound.year in (1, 9999)
        # modified_on has whole seconds, so a since with microseconds starts at its second.
        if self.since is not None and latest < self.since.replace(microsecond=0):
            return False
        return not (self.until is not None and earliest > self.until)


def listing(
    adapter: NettbutikkAdapter,
    resource: str,
    query: ListQuery,
    params: Mapping[str, str] | None = None,
) -> ListFlow[Payload]:
    """Every row of ``resource`` once, within the query's ``modified_on`` window, in the
    shop's order (pages are read ahead, rows come in page order).

    With ``updated_since``, one ``HEAD`` first: a ``Last-Modified`` older than it ends the
    listing at once. The window sent to the shop is widened by ``sync_overlap`` on both
    ends (bounds may be exclusive, DST repeats an hour, some servers mix up zones) and
    every row is then checked against the exact window here. A 404 is an empty list.
    Customers fall back to the bare ``GET /customers`` when the shop refuses to page them.
    """
    settings = adapter.settings
    window = Window(query.updated_since, query.updated_until)
    since_given = query.updated_since
    if since_given is not None and settings.head_check:
        changed = yield from changed_since(adapter, resource, since_given)
        if not changed:
            return
    overlap = int(settings.sync_overlap)
    since = None if window.since is None else unix_floor(window.since) - overlap
    until = None if window.until is None else unix_ceil(window.until) + overlap
    pages = OffsetPages(adapter.api_root, resource, params)
    first = PagePath(max(MIN_LIMIT, query.page_size or settings.page_size), 0, since, until)
    zone = settings.zone
    order, seen = ListOrder(zone), SeenKeys()
    rows = walk(
        pages.request(first),
        order.reading(pages.read),
        resource=resource,
        platform=PLATFORM,
        key=pages.key,
        empty_on_404=True,
        ahead=pages.ahead,
        overlap=OVERLAP,
        seen=seen,
        stand_back=order.stand_back,
    )
    if not window.open:
        rows = widening(rows)
    rows = _then_the_head(rows, pages, first, order, seen)

    def inside(page: Emit[Payload]) -> Generator[Any, Any, Emit[Payload] | None]:
        if window.open:
            return page
        return Emit([r for r in page.items if window.contains(r.data.get("modified_on"), zone)])
        yield  # pragma: no cover - makes this a generator

    if resource != "customers":
        yield from relay(rows, inside)
        return
    read: list[bool] = []

    def noted(page: Emit[Payload]) -> Generator[Any, Any, Emit[Payload] | None]:
        read.append(True)
        return (yield from inside(page))

    try:
        yield from relay(rows, noted)
    except APIError as exc:
        # No client was ever seen paging customers; the one documented customer list is
        # the bare GET /customers. Fall back to it when the shop refuses paging.
        if exc.status != 400 or read:
            raise
        bare = walk(
            pages.request(PagePath(None)),
            pages.read,
            resource=resource,
            platform=PLATFORM,
            key=pages.key,
            empty_on_404=True,
        )
        yield from relay(bare, inside)


def _then_the_head(
    rows: ListFlow[Payload],
    pages: OffsetPages,
    first: PagePath,
    order: ListOrder,
    seen: SeenKeys,
) -> ListFlow[Payload]:
    """``rows``, then, if they showed a list kept newest first, what reading its head again
    finds that they did not (:mod:`storebridge_24nettbutikk._newest_first`)."""
    yield from rows
    check_stood_back(order, pages.resource)
    if not order.newest_first:
        return

    def at(limit: int, offset: int) -> str:
        return page_url(pages.api_root, pages.resource, attrs.evolve(first, limit=limit,
                        offset=offset), pages.params)  # fmt: skip

    yield from read_head_again(
        order, pages.request(first), pages.read, pages.key, at, seen, pages.resource, OVERLAP
    )


FIRST_WIDTH = 2
"""Pages asked for at once in a listing's first round (see the module docstring)."""


def widening(flow: ListFlow[Payload]) -> ListFlow[Payload]:
    """``flow`` told at most :data:`FIRST_WIDTH` requests in flight at first, twice as many
    each time it asks again, never more than the facade's number."""
    width = FIRST_WIDTH
    stepper: FlowStepper[None] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            value, error = yield from ask(step)
            if step is CONCURRENCY and error is None:
                value, width = min(int(value), width), width * 2
            step = stepper.advance(value, error)
    finally:
        stepper.close()


__all__ = [
    "API_PATH",
    "KEYS",
    "SHOP_PAGE_CAP",
    "OffsetPages",
    "PagePath",
    "Window",
    "link_path",
    "listing",
    "page_path",
    "page_url",
    "widening",
]
