"""The one paging walk every listing uses, and the page strategies it walks with.

:func:`walk` follows a listing page by page and keeps its promise: **the only outcomes are
every record exactly once, or an error.** A page is accepted only when it moves the listing
forward:

* a next link that was already requested (a cursor that does not advance), or a page whose
  rows were all seen already while it still points onward (a stale cache, a replica behind,
  a page answered twice) is a transient fault: the page is asked for again, with backoff,
  within the facade's retry budget; if it persists the listing raises
  :class:`~storebridge.errors.PaginationError`, never a normal end;
* an unreadable page (not JSON, truncated, the wrong shape) is asked for again the same way;
* a record seen on an earlier page (records modified mid-listing move between pages) is
  yielded once: the walk de-duplicates by the row's key within one listing;
* offset pages overlap (``overlap``): each must hold one of the last records of the page
  before it, which proves no record slid past the boundary unseen while the pages were
  read (a record ahead of it modified or deleted shifts every record behind it forward);
  a page that does not raises PaginationError;
* where the platform offers a count, a full listing compares the number of records it
  yielded with it and raises if fewer came back.

Page strategies answer ``read(request, response) -> Page``: the rows and the next request.

* :class:`BodyNextUrl`   - the next page's URL sits in the body (DRF cursor ``next``, or a
  nested ``paging.next``); ``None``, a missing key or an empty value ends the walk.
* :class:`LinkHeader`    - RFC 8288 ``Link`` header with ``rel="next"`` (Shopify-style
  ``page_info`` cursors); follow-ups keep only the query parameters the platform honours.

Next-page links must stay on the request's origin (:func:`same_origin`): credentials ride
along with every follow-up request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from storebridge._http import Request, Response
from storebridge._overlap import STANDS_BACK, Tail, continuity, tail_of, whole_row
from storebridge._page_strategies import (
    BodyNextUrl,
    LinkHeader,
    Page,
    PageReader,
    PageStrategy,
    parse_link_header,
    rows_at,
    same_origin,
)
from storebridge._seen import SeenKeys
from storebridge._time_windows import day_windows, time_windows
from storebridge.errors import NotFound, PaginationError, PayloadError, StorebridgeError
from storebridge.flow import (
    CONCURRENCY,
    Collect,
    Emit,
    First,
    Flow,
    Forget,
    ListFlow,
    Start,
    Ticket,
    derive_request,
    with_check,
)

R = TypeVar("R")
T = TypeVar("T")

_PAGE_KEY = "storebridge.page"


def _describe_page(request: Request) -> str:
    return f"{request.method} {request.url}"


@attrs.define
class _WalkState:
    urls: set[str] = attrs.field(factory=set)
    keys: SeenKeys = attrs.field(factory=SeenKeys)
    tail: Tail | None = None
    """The last records of the page before, which the next page must repeat."""
    pages: int = 0
    yielded: int = 0
    asked_again: int = 0


_MAX_ASKED_AGAIN = 3
"""Pages read ahead that turn out stale are asked for again this many times in a row."""


def walk(
    first: Request,
    read: PageReader[R] | PageStrategy,
    *,
    resource: str,
    platform: str,
    key: Callable[[R], object] | None = None,
    empty_on_404: bool = False,
    count: Callable[[], Flow[int | None]] | None = None,
    ahead: Callable[[Request, int], Request] | None = None,
    overlap: int = 0,
    version: Callable[[R], object] = whole_row,
    seen: SeenKeys | None = None,
    stand_back: Callable[[], bool] | None = None,
) -> ListFlow[R]:
    """Every row of a listing exactly once, or a storebridge error: see the module docstring.

    * ``read``: a :class:`PageStrategy` or a function ``(request, response) -> Page``; it
      raises PayloadError for an answer of the wrong shape (which is then asked again).
    * ``key``: the row's identity (its ref); needed to spot repeated pages and to yield a
      record that moved between pages once.
    * ``empty_on_404``: a 404 means "no rows" (platforms that answer an empty list so).
    * ``count``: a flow giving the platform's count for this exact listing (None when it
      cannot say); pass it only for listings whose filters the count expresses.
    * ``ahead``: for offset paging, ``ahead(request, k)`` builds the request ``k`` pages
      after ``request``; the walk then keeps as many page requests in flight as the facade
      would (:data:`~storebridge.flow.CONCURRENCY`, asked again after each window's worth
      of pages), sending the next guess as each page is taken (:class:`~storebridge.flow.
      Start`), so at most that many pages are held at once. The platform's own next link
      stays the authority: pages read ahead are kept only while they match it, and rows
      come in listing order.
    * ``overlap``: for offset paging whose next requests start this many rows before the
      page ended, or all but one row of a shorter page (``read`` builds them so): each
      page that follows must hold one of those rows unchanged (``version``: what a row
      holds, compared between two reads; a Payload's data by default) and no further back
      than it stood, or the walk raises PaginationError; a page read ahead that holds it
      further back is asked for again on its own (``storebridge._overlap`` says why each
      rule is needed, and for which orders of a list they hold).
    * ``seen``: where the walk remembers the keys it yielded (a new :class:`SeenKeys` by
      default); pass one to read the same listing again later (another walk over part of
      it) and yield only what the first walk did not.
    * ``stand_back``: asked when a page's repeated rows are there, unchanged, but further
      back than they stood (records joined the list ahead of them), which otherwise raises;
      True accepts the page. Rows only moved away from the pages read, so none slid past;
      what joined ahead is the caller's to read (a list kept newest first puts changes at
      its front: the caller reads the front again, and raises if the list turns out to be
      kept otherwise).
    """
    reader: PageReader[R] = read.read if hasattr(read, "read") else read
    state = _WalkState() if seen is None else _WalkState(keys=seen)
    expected: int | None = None
    if count is not None:
        expected = yield from count()
    checks = _Checks(reader, state, resource, platform, key, overlap if key else 0, version,
                     stand_back)  # fmt: skip
    if ahead is None:
        yield from _page_by_page(first, checks, empty_on_404)
    else:
        yield from _read_ahead(first, ahead, checks, empty_on_404)
    if expected is not None and state.yielded < expected:
        recount = yield from count()  # type: ignore[misc]
        floor = expected if recount is None else min(expected, recount)
        if state.yielded < floor:
            raise PaginationError(
                f"{resource}: the listing ended after {state.yielded} records "
                f"but the platform counts {floor}; pages were lost on the way (read the "
                "listing again)",
                resource=resource,
                platform=platform,
            )


@attrs.frozen
class _Checks(Generic[R]):
    """What one walk reads pages with and checks them against."""

    reader: PageReader[R]
    state: _WalkState
    resource: str
    platform: str
    key: Callable[[R], object] | None
    overlap: int = 0
    version: Callable[[R], object] = whole_row
    stand_back: Callable[[], bool] | None = None

    def request(self, request: Request) -> Request:
        return _checked(request, self.reader, self.state, self.resource, self.platform,
                        self.key, self.overlap)  # fmt: skip

    def accept(self, request: Request, page: Page[R]) -> list[R]:
        """Count ``page`` (the answer to ``request``) as read; its rows not seen before."""
        state = self.state
        if self.overlap:
            self._continues(request, page)
        state.asked_again = 0
        state.urls.add(str(request.url))
        state.pages += 1
        fresh = _fresh_rows(page.rows, state, self.key)
        state.yielded += len(fresh)
        return fresh

    def ended_by_404(self, request: Request) -> None:
        """A 404 where a page was expected ends the listing (``empty_on_404``) only where no
        rows had to be repeated: one that should have repeated the last page's rows means
        the list shrank past them, and rows behind may have slid onto pages already read."""
        if self.state.tail is None:
            return
        where = _describe_page(request)
        raise PaginationError(
            f"{self.resource}: page {self.state.pages + 1} ({where}) was answered 404 where "
            "it had to repeat the last rows of the page before it: records were deleted "
            "while the listing was read and one may have slid past unseen; read the "
            "listing again",
            resource=self.resource,
            page=where,
            platform=self.platform,
        )

    def gap(self, page: Page[R]) -> str | None:
        """Why ``page`` may not continue the page before it (None: it does)."""
        tail = self.state.tail
        if not self.overlap or self.key is None or tail is None:
            return None
        return continuity(tail, page.rows, page.offset, self.key, self.version)

    def _continues(self, request: Request, page: Page[R]) -> None:
        """Check that ``page`` continues the page before it (see ``walk(overlap=...)``),
        and note its own last records for the next page."""
        key = self.key
        if key is None:  # not set with overlap (see walk)
            return
        problem = self.gap(page)
        if problem == STANDS_BACK and self.stand_back is not None and self.stand_back():
            problem = None
        if problem is not None:
            where = _describe_page(request)
            raise PaginationError(
                f"{self.resource}: page {self.state.pages + 1} ({where}) does not continue "
                f"the page before it: {problem}, so records changed places while the "
                "listing was read and one may have slid past unseen; read the listing again",
                resource=self.resource,
                page=where,
                platform=self.platform,
            )
        repeated = repeated_rows(self.overlap, len(page.rows)) if page.next is not None else 0
        self.state.tail = tail_of(page.rows, repeated, page.offset, key, self.version)


def repeated_rows(overlap: int, served: int) -> int:
    """How many rows of a page of ``served`` rows the next page repeats under
    ``walk(overlap=...)``: ``overlap``, or all but one row of a shorter page. A strategy
    starts the next page that many rows early; the walk checks one of them is there."""
    return max(0, min(overlap, served - 1))


def _following(page: Page[R]) -> Request | None:
    # The next request is derived from this one, check and all: it gets its own.
    return None if page.next is None else with_check(page.next, None)


def _page_by_page(first: Request, checks: _Checks[R], empty_on_404: bool) -> ListFlow[R]:
    request: Request | None = first
    while request is not None:
        sent = checks.request(request)
        try:
            response = yield sent
        except NotFound:
            if empty_on_404:
                checks.ended_by_404(sent)
                return
            raise
        page: Page[R] = response.extensions[_PAGE_KEY]
        fresh = checks.accept(sent, page)
        if fresh:
            yield Emit(fresh)
        request = _following(page)


@attrs.define
class _Slot:
    """A page request in the read-ahead window and what is known of its answer."""

    request: Request
    own: bool
    """Sent as the page the platform's links lead to (not a guess): its errors are final."""
    answer: Any = None
    """Its :class:`Ticket` while in flight; then its Response or StorebridgeError."""


def _read_ahead(
    first: Request,
    ahead: Callable[[Request, int], Request],
    checks: _Checks[R],
    empty_on_404: bool,
) -> ListFlow[R]:
    """The walk with a sliding window of pages in flight: the next page the platform's
    links lead to first, then guesses after it. As each answer comes in, the window is
    topped up, so the rate limit never waits for a round to finish; while the next page is
    slow (asked again after a 429...), up to twice the width are held so that the width
    stays in flight. Pages are taken in listing order. A guess the links do not confirm
    is forgotten with every guess after it."""
    state = checks.state
    window: deque[_Slot] = deque()
    width = max(1, int((yield CONCURRENCY)))
    taken = 0  # pages taken since the facade was last asked for its width
    rows: list[R] = []
    request: Request | None = first
    while request is not None:
        if taken >= width:
            # Asked once per window's worth of pages, so a flow that widens the window
            # each time it is asked (see 24Nettbutikk) widens it per round of pages.
            width, taken = max(1, int((yield CONCURRENCY))), 0
        new = [] if window else [_Slot(checks.request(request), own=True)]
        window.extend(new)
        waiting = sum(1 for slot in window if not _answered(slot))
        while waiting < width and len(window) < 2 * width:
            guess = _Slot(checks.request(ahead(request, len(window))), own=False)
            window.append(guess)
            new.append(guess)
            waiting += 1
        if new:
            answers = yield Start(tuple(slot.request for slot in new))
            for slot, answer in zip(new, answers, strict=True):
                slot.answer = answer
        if rows:
            # After the window is topped up: the platform works while the caller does.
            yield Emit(rows)
            rows = []
        if not _answered(window[0]) and len(window) < 2 * width:
            # Take whichever answer comes first, so another request can go out for it.
            tickets = tuple(slot.answer for slot in window if isinstance(slot.answer, Ticket))
            got = (yield First(tickets)) if len(tickets) > 1 else tickets[0]
            if isinstance(got, Ticket) and got is not window[0].answer:
                early = next(slot for slot in window if slot.answer is got)
                yield from _collect(early)
                continue
        slot = window.popleft()
        yield from _collect(slot)
        if isinstance(slot.answer, StorebridgeError):
            if slot.own:
                yield from _forget(window)
                if isinstance(slot.answer, NotFound) and empty_on_404:
                    checks.ended_by_404(slot.request)
                    return
                raise slot.answer
            # A guess the links confirmed, but it failed: ask for it on its own.
            yield from _forget(window)
            continue
        page: Page[R] = slot.answer.extensions[_PAGE_KEY]
        if not slot.own:
            # Checked when it came in, maybe before the pages ahead of it: look again now,
            # and ask again if it only repeats them.
            problem = _no_progress(slot.request, page, state, checks.key)
            if problem is not None:
                yield from _forget(window)
                state.asked_again += 1
                if state.asked_again > _MAX_ASKED_AGAIN:
                    raise _stale(slot.request, problem, state, checks.resource, checks.platform)
                continue
            if checks.gap(page) is not None:
                # Asked for before the page ahead of it was answered, it may have been
                # answered first, and records that moved in between would be on neither:
                # asked for again now, it is answered after that page. The pages behind it
                # stay in flight; each is checked against its own page before it.
                again = _Slot(checks.request(_again(slot.request)), own=True)
                (again.answer,) = yield Start((again.request,))
                window.appendleft(again)
                continue
        try:
            rows = checks.accept(slot.request, page)
        except PaginationError:
            yield from _forget(window)
            raise
        taken += 1
        request = _following(page)
        if request is None or (window and str(window[0].request.url) != str(request.url)):
            yield from _forget(window)  # guesses the platform's links did not confirm
    yield from _forget(window)
    if rows:
        yield Emit(rows)


def _again(request: Request) -> Request:
    """A fresh request for the same page (its own answer check and extensions)."""
    return derive_request(request, str(request.url))


def _answered(slot: _Slot) -> bool:
    return slot.answer is not None and not isinstance(slot.answer, Ticket)


def _collect(slot: _Slot) -> Generator[Collect, Any, None]:
    """Wait for the answer to ``slot``'s request, if it is not in yet."""
    while isinstance(slot.answer, Ticket):
        answer = yield Collect(slot.answer)
        if not isinstance(answer, list):  # a list: a combinator answered in its place
            slot.answer = answer


def _forget(window: deque[_Slot]) -> Generator[Forget, Any, None]:
    """Empty the window, telling the facade its answers in flight are not wanted."""
    tickets = tuple(slot.answer for slot in window if isinstance(slot.answer, Ticket))
    window.clear()
    if tickets:
        yield Forget(tickets)


def _no_progress(
    request: Request, page: Page[R], state: _WalkState, key: Callable[[R], object] | None
) -> str | None:
    """Why ``page`` does not move the listing forward, or None when it does."""
    url = str(request.url)
    if page.next is not None:
        following = str(page.next.url)
        if following == url or following in state.urls:
            return "its next link points back to a page already read"
        if key is not None and page.rows and all(key(row) in state.keys for row in page.rows):
            return "it repeats rows already read"
    if url in state.urls:
        return "it was already read"
    return None


def _stale(
    request: Request, problem: str, state: _WalkState, resource: str, platform: str
) -> PaginationError:
    page = _describe_page(request)
    return PaginationError(
        f"{resource}: page {state.pages + 1} ({page}) does not move the listing "
        f"forward: {problem}; asked again and it persisted",
        resource=resource,
        page=page,
        platform=platform,
    )


def _checked(
    request: Request,
    reader: PageReader[R],
    state: _WalkState,
    resource: str,
    platform: str,
    key: Callable[[R], object] | None,
    overlap: int = 0,
) -> Request:
    """``request`` with an answer check that reads the page and refuses one that does not
    move the listing forward, or (``overlap``) links onward with too few rows to show where
    the next page starts (so the facade asks again, then raises)."""

    def check(response: Response) -> None:
        try:
            page = _read(reader, request, response, platform)
            if key is not None:
                for index, row in enumerate(page.rows):
                    _key_of(row, key, index)
        except PayloadError as exc:
            if exc.platform is None:
                raise PayloadError(_bare(exc), path=exc.path, platform=platform) from None
            raise
        problem = _no_progress(request, page, state, key)
        if problem is not None:
            raise _stale(request, problem, state, resource, platform)
        if overlap and page.next is not None and repeated_rows(overlap, len(page.rows)) == 0:
            # The next page would repeat none of its rows: a link that skips rows would
            # pass every check. (An empty page linking onward once skipped a whole page.)
            raise PaginationError(
                f"{resource}: the page {_describe_page(request)} links onward but holds "
                f"{len(page.rows)} row(s), too few to check where the next page starts",
                resource=resource,
                page=_describe_page(request),
                platform=platform,
            )
        response.extensions[_PAGE_KEY] = page

    return with_check(request, check)


_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)
"""What a page reader written for the expected shape raises on another one."""


def _read(reader: PageReader[R], request: Request, response: Response, platform: str) -> Page[R]:
    """``reader``'s page, checked: an answer it could not read is a PayloadError (asked
    again like any unreadable answer; the reader's own exception stays its cause, so a
    traceback still leads to the line), and what is not a Page says what it must be."""
    try:
        page = reader(request, response)
    except StorebridgeError:
        raise  # already says what went wrong (a ValidationError is a ValueError too)
    except _SHAPE_ERRORS as exc:
        raise PayloadError(
            f"the page could not be read ({type(exc).__name__}: {exc} in the page reader)",
            path="$",
            platform=platform,
        ) from exc
    if not isinstance(page, Page):
        raise TypeError(
            f"a page reader must return Page(rows, next), got {type(page).__name__} "
            f"(see storebridge.kit.Page)"
        )
    if page.next is not None and not isinstance(page.next, Request):
        raise TypeError(
            "Page.next must be the next page's Request (storebridge.kit.derive_request) or "
            f"None, got {type(page.next).__name__}"
        )
    return page


def _bare(exc: PayloadError) -> str:
    text = str(exc)
    suffix = f" at {exc.path}"
    return text[: -len(suffix)] if exc.path and text.endswith(suffix) else text


def _key_of(row: Any, key: Callable[[Any], object], index: int) -> object:
    try:
        value = key(row)
        hash(value)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        raise PayloadError(f"row has no usable key ({exc!r})", path=f"$[{index}]") from None
    if value is None:
        raise PayloadError("row has no key", path=f"$[{index}]")
    return value


def _fresh_rows(rows: Sequence[R], state: _WalkState, key: Callable[[R], object] | None) -> list[R]:
    if key is None:
        return list(rows)
    return [row for row in rows if state.keys.add_new(key(row))]


def paginate(
    first: Request,
    strategy: PageStrategy,
    items: Callable[[Response], Sequence[T]] | None = None,
    *,
    resource: str = "records",
    platform: str = "platform",
    key: Callable[[Any], object] | None = None,
    empty_on_404: bool = False,
) -> ListFlow[T]:
    """:func:`walk` with a strategy, converting each page with ``items(response)``.

    Kept for adapters written against the first release; new code uses :func:`walk` with
    :func:`~storebridge.flow.expand_pages`.
    """
    if items is None:
        yield from walk(first, strategy, resource=resource, platform=platform, key=key,
                        empty_on_404=empty_on_404)  # fmt: skip
        return

    def reader(request: Request, response: Response) -> Page[T]:
        return Page(list(items(response)), strategy.next_request(request, response))

    yield from walk(first, reader, resource=resource, platform=platform, key=key,
                    empty_on_404=empty_on_404)  # fmt: skip


__all__ = [
    "BodyNextUrl",
    "LinkHeader",
    "Page",
    "PageReader",
    "PageStrategy",
    "day_windows",
    "paginate",
    "parse_link_header",
    "repeated_rows",
    "rows_at",
    "same_origin",
    "time_windows",
    "walk",
]
