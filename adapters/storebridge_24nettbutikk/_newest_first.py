"""Lists a shop keeps newest first: the head read again after the listing.

The walk's overlap proofs (:mod:`storebridge._overlap`) hold for a list kept oldest change
first or by key. A shop that keeps its list newest first puts every change at the front,
on a page already read. Alone, such a jump pushes the repeated rows one place back and
the walk raises; with a deletion ahead of the boundary at the same time, the repeated rows
stand where they stood, the walk goes on, and the record that jumped is on no page read.

What rescues it: every record modified since the first page was answered stands in front
of every record older than that page's newest change. So when a listing of more than one
page came back newest first, its head is read again, from offset 0 to the first row older
than that, and whatever was not handed on yet is handed on:

* when that row is on the first page, the one answer is one snapshot of the head, and
  nothing can be missing from it;
* otherwise (many changes, or many records changed in one second) the head is read once
  more **backwards**, from the page where that row stood down to offset 0. Read in that
  direction a record that jumps lands ahead of the reading (it is read at the end) and a
  deletion only moves rows towards the pages still to read; a page proves it reaches the
  page after it by holding one of that page's first rows unchanged. A page that does not
  is asked for again, then the listing raises PaginationError.

"Older" keeps a margin of a second (:data:`MARGIN`: ``modified_on`` has whole seconds).
In the hour a DST change repeats the shop sorts wall times by their first pass, so a
change made in the second pass reads (and sorts) up to an hour early. While the listing
runs within two hours of a change of the zone's offset (by the ``Date`` of the shop's
answers; without one, by the newest change seen), the margin is an hour more
(:data:`DST_MARGIN`), and a backward pass that meets wall times of a repeated hour raises
PaginationError instead of trusting its proof. Like the overlap proofs, this assumes the
shop's clock does not step back.

Whether a list may be kept newest first is read from the listing's answers: each is one
snapshot of the list, and in none did ``modified_on`` go up (answers whose rows never went
down either cannot tell, and count). Across pages it proves nothing: a record changed
meanwhile can show up on a later page, newer than the rows before it. A list kept by key
or oldest change first costs nothing once an answer rises; a listing of one page is one
answer and needs no second look. A page answered 404 while the head is read forwards (the
list shrank) raises PaginationError.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from storebridge.errors import PaginationError
from storebridge.http import Request, Response
from storebridge.kit import (
    Emit,
    ListFlow,
    Page,
    Payload,
    SeenKeys,
    derive_request,
    relay,
    repeated_rows,
    walk,
)
from storebridge_24nettbutikk._bodies import PLATFORM
from storebridge_24nettbutikk._changes import http_date
from storebridge_24nettbutikk._local_time import readings

__all__ = [
    "DST_MARGIN",
    "MARGIN",
    "ListOrder",
    "ServerClock",
    "check_stood_back",
    "read_head_again",
]

MARGIN = timedelta(seconds=1)
"""How much older than the first page's newest change a row must read to end the head:
``modified_on`` has whole seconds, and a change in the same second may sort behind."""
DST_MARGIN = timedelta(hours=1, seconds=1)
"""The margin while the listing runs within two hours of a change of the zone's offset: in
the hour a DST change repeats, a later change can read (and sort) an hour earlier."""

Reader = Callable[[Request, Response], Page[Payload]]


def _instants(row: Payload, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    text = row.data.get("modified_on")
    if type(text) is not str:
        return None
    try:
        return readings(text, zone)
    except (ValueError, OverflowError):
        return None


def _repeated_hour(row: Payload, zone: ZoneInfo) -> bool:
    instants = _instants(row, zone)
    return instants is not None and instants[0] != instants[1]


@attrs.define
class ServerClock:
    """The shop's own clock while the listing ran, from its answers' ``Date`` headers."""

    first: datetime | None = None
    last: datetime | None = None
    unknown: bool = False
    """An answer without a readable ``Date``: the clock cannot say when it was."""

    def saw(self, response: Response) -> None:
        when = http_date(response.headers.get("date"))
        if when is None:
            self.unknown = True
            return
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def near_dst(self, zone: ZoneInfo, newest: datetime) -> bool:
        """Whether a change made while the listing ran may read as a wall time of an hour
        a DST change repeats: the zone's offset changes within two hours of the span the
        answers' clock showed. Without that clock, within two hours of ``newest`` (the
        latest change the listing saw is the best guess at when it ran)."""
        slack = timedelta(hours=2)
        early, late = (newest, newest) if self.unknown or self.first is None else (
            self.first, self.last or self.first)  # fmt: skip
        try:
            before = (early - slack).astimezone(zone).utcoffset()
            return before != (late + slack).astimezone(zone).utcoffset()
        except OverflowError:
            return True


def rises(rows: Sequence[Payload], zone: ZoneInfo) -> bool:
    """Whether ``modified_on`` certainly goes up somewhere along one answer's rows (one
    snapshot of the list: kept newest first, it never does). In a repeated DST hour a wall
    time that reads later can be the earlier instant, so such a step is not counted; nor is
    a row without a readable time."""
    last: str | None = None
    for row in rows:
        text = row.data.get("modified_on")
        if type(text) is not str:
            continue
        if last is not None and text > last:
            try:
                if readings(text, zone)[0] > readings(last, zone)[1]:
                    return True
            except (ValueError, OverflowError):
                return True  # not a wall time: whatever order this is, not newest first
        last = text
    return False


@attrs.define
class ListOrder:
    """What a listing's answers showed of the shop's order: its first page's newest change,
    whether that page linked onward, and whether any answer's rows went up in time."""

    zone: ZoneInfo
    newest: datetime | None = None
    """The earliest instant the first page's newest ``modified_on`` can mean."""
    more_pages: bool = False
    rose: bool = False
    """An answer's rows went up in time: the list is not kept newest first. Each answer is
    judged on its own: across pages, a record changed meanwhile can show up newer."""
    clock: ServerClock = attrs.field(factory=ServerClock)
    stood_back: bool = False
    """The walk accepted a page whose repeated rows stood further back (see
    :meth:`stand_back`)."""

    def reading(self, read: Reader) -> Reader:
        """``read`` noting every answer's order and the first page (offset 0): the last
        answer read for it is the one the walk accepted, since a page answered again is
        read again."""

        def noted(request: Request, response: Response) -> Page[Payload]:
            page = read(request, response)
            self.saw(response, page)
            if page.offset == 0:
                found = [i[0] for row in page.rows if (i := _instants(row, self.zone))]
                self.newest = max(found, default=None)
                self.more_pages = page.next is not None
            return page

        return noted

    def saw(self, response: Response, page: Page[Payload]) -> None:
        """Note an answer: the shop's clock, and whether its rows go up in time."""
        self.clock.saw(response)
        if not self.rose and rises(page.rows, self.zone):
            self.rose = True

    def stand_back(self) -> bool:
        """``walk(stand_back=...)``: records joined the list ahead of the page's repeated
        rows. In a list kept newest first those are changes, read with the head after the
        walk, so the page is accepted while the rows so far may be newest first; the
        listing raises at its end if they turn out not to be (see :func:`check_stood_back`).
        """
        if self.rose or self.newest is None:
            return False
        self.stood_back = True
        return True

    def near_dst(self) -> bool:
        return self.newest is not None and self.clock.near_dst(self.zone, self.newest)

    @property
    def newest_first(self) -> bool:
        """Whether the listing may be kept newest first: more than one page, and no answer's
        ``modified_on`` went up. Answers whose rows never went down either (one second's
        bulk edit) cannot tell, so they count."""
        return self.more_pages and not self.rose and self.newest is not None


def check_stood_back(order: ListOrder, resource: str) -> None:
    """After the walk: a page accepted standing further back is proof only for a list kept
    newest first (whose head is then read again); for any other order, an error."""
    if order.stood_back and not order.newest_first:
        raise PaginationError(
            f"{resource}: a page did not continue the page before it (its repeated records "
            "stood further back: records joined the list ahead of them), and the list "
            "turned out not to be kept newest first, where the head read again would have "
            "found them; records changed places while the listing was read and one may "
            "have slid past unseen; read the listing again",
            resource=resource,
            platform=PLATFORM,
        )


@attrs.define
class _Head:
    """Where the head of the list ended when read forwards, and the page size it showed."""

    offset: int | None = None
    served: int | None = None
    last: int | None = None
    """The offset of the last page read forwards."""


def read_head_again(
    order: ListOrder,
    first: Request,
    read: Reader,
    key: Callable[[Payload], object],
    at: Callable[[int, int], str],
    seen: SeenKeys,
    resource: str,
    overlap: int,
) -> ListFlow[Payload]:
    """The rows of the list's head not handed on yet (see the module docstring).

    ``first`` is the listing's first request (offset 0), ``read`` its page reader,
    ``at(limit, offset)`` the URL of another page of it, ``seen`` the keys the listing
    handed on (new ones are added)."""
    newest = order.newest
    if newest is None:
        return
    zone = order.zone
    head = _Head()

    def older(row: Payload) -> bool:
        instants = _instants(row, zone)
        if instants is None:
            return False
        gap = DST_MARGIN if order.near_dst() else MARGIN
        try:
            return instants[1] < newest - gap
        except OverflowError:  # a newest change at the very start of time: none is older
            return False

    def forwards(request: Request, response: Response) -> Page[Payload]:
        page = read(request, response)
        order.saw(response, page)
        head.last = page.offset
        if page.offset == 0:
            head.served = len(page.rows)
        if order.rose:  # not kept newest first after all: no head to read
            return Page(page.rows, None, page.offset)
        if page.next is not None and not any(older(row) for row in page.rows):
            return page
        head.offset = page.offset
        return Page(page.rows, None, page.offset)

    def unseen(page: Emit[Payload]) -> Generator[Any, Any, Emit[Payload] | None]:
        fresh = [row for row in page.items if seen.add_new(key(row))]
        return Emit(fresh) if fresh else None
        yield  # pragma: no cover - makes this a generator

    # No overlap proofs forwards: a head of one page is one answer, and a longer one is
    # read again backwards, which is where the proof is.
    walked = walk(first, forwards, resource=resource, platform=PLATFORM, key=key,
                  empty_on_404=True)  # fmt: skip
    yield from relay(walked, unseen)
    if order.rose:
        check_stood_back(order, resource)
        return
    if head.offset is None and head.last is not None:
        # A 404 after the first page: the list shrank while its head was read, with no
        # page of it holding the end of the head.
        raise PaginationError(
            f"{resource}: reading the head of the list again (it is kept newest first), a "
            "page was answered 404 before the head ended: records were deleted meanwhile; "
            "read the listing again",
            resource=resource,
            platform=PLATFORM,
        )
    if not head.offset:  # None (a 404 at once: the list is empty now) or 0: one snapshot
        return
    size = head.served or 1
    repeated = repeated_rows(overlap, size)

    def timed(request: Request, response: Response) -> Page[Payload]:
        page = read(request, response)
        order.saw(response, page)
        return page

    def trusted(page: Emit[Payload]) -> Generator[Any, Any, Emit[Payload] | None]:
        # The shop sorts the repeated hour's wall times as their first pass: while the
        # listing runs near that hour, a change made in its second pass can sort behind
        # rows already read instead of ahead of the reading. Raised here, not in the answer
        # check, because asking for the page again cannot change it.
        if order.near_dst() and any(_repeated_hour(row, zone) for row in page.items):
            raise PaginationError(
                f"{resource}: reading the head of the list again backwards (it is kept newest "
                "first), a page holds wall times of the hour a DST change repeats while the "
                "listing ran near it: the shop's order proves nothing there; read the "
                "listing again after that hour",
                resource=resource,
                platform=PLATFORM,
            )
        return (yield from unseen(page))

    backwards = _Backwards(timed, key, at, size, repeated, older, resource, lambda: order.rose)
    start = derive_request(first, at(size, head.offset))
    yield from relay(
        walk(start, backwards.read_page, resource=resource, platform=PLATFORM), trusted
    )
    check_stood_back(order, resource)


@attrs.define
class _Backwards:
    """The reader of the backward pass: each page must hold one of the first rows of the
    page after it, unchanged; the first must hold a row older than the head (or end the
    list). Its ``next`` is the page before it, down to offset 0."""

    read: Reader
    key: Callable[[Payload], object]
    at: Callable[[int, int], str]
    size: int
    repeated: int
    older: Callable[[Payload], bool]
    resource: str
    rose: Callable[[], bool]
    """Whether an answer showed the list is not kept newest first: the pass then ends."""
    anchors: dict[int, dict[object, object]] = attrs.field(factory=dict)
    """By offset: the first rows of the page after it, which that page must hold."""

    def read_page(self, request: Request, response: Response) -> Page[Payload]:
        page = self.read(request, response)
        offset = page.offset or 0
        if self.rose():
            return Page(page.rows, None, offset)
        anchor = self.anchors.get(offset)
        if anchor is None:
            if page.next is not None and not any(self.older(row) for row in page.rows):
                raise self._refused(request, "does not hold the end of the head (it grew past it)")
        elif not any(anchor.get(self.key(row), _NONE) == row.data for row in page.rows):
            raise self._refused(
                request,
                "holds none of the first rows of the page after it unchanged (records changed "
                "faster than they could be read)",
            )
        if offset == 0:
            return Page(page.rows, None, 0)
        below = max(0, offset - (self.size - self.repeated))
        self.anchors[below] = {self.key(row): row.data for row in page.rows[: self.repeated]}
        return Page(page.rows, derive_request(request, self.at(self.size, below)), offset)

    def _refused(self, request: Request, problem: str) -> PaginationError:
        return PaginationError(
            f"{self.resource}: reading the head of the list again backwards (it is kept "
            f"newest first), the page {request.method} {request.url} {problem}; read the "
            "listing again",
            resource=self.resource,
            page=f"{request.method} {request.url}",
            platform=PLATFORM,
        )


_NONE = object()
