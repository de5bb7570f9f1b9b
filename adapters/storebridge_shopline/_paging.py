"""SHOPLINE listings: cursor pages, counts, and ``created_at`` windows read side by side.

A listing walks ``page_info`` cursors from the ``link`` header (follow-ups keep only
``page_info``, ``limit`` and ``fields``: SHOPLINE ignores every other filter there). One
cursor is strictly sequential, so a long listing is split into ``created_at`` windows read
at the same time (see :mod:`._windows`), each walked with :func:`storebridge.kit.walk`.
Planning costs one round trip before the pages, never one per window:

1. the platform's count for the listing's filters (``orders/count.json``...) and the
   listing's first page go together in one batch; a short listing (see
   :data:`SPLIT_FROM_PAGES`) goes on from that page. A whole store's listing (no time
   filter: an export, the long kind) sends a ladder of counts up to probe times around
   now (1, 4, 16 ... days either side) in the same batch; a filtered long listing sends
   them next, with counts around the first page's records (records usually get ids as
   they are created);
2. the counts place the windows so that each holds a similar number of records, one page
   where enough run at once. A whole store's listing places the edges from
   that first batch too (:func:`._windows.placed_plan`: where the first page's records
   lie, and the rate before the last records counted), so its windows all start a round
   trip after the first batch. Elsewhere, a stretch between two probes where the
   listing's first or last records lie (or where records cluster) is counted again
   inside, as its own part of the listing, while the other windows are read; its windows
   start a round trip later, so they are shorter;
3. windows cover the whole range without gaps: each starts where the one before ends
   (both bounds are inclusive, so a record on a boundary is read twice and yielded once),
   the first has no lower and the last no upper bound beyond the listing's own filters.

Every page is checked before it is accepted: SHOPLINE gives each answer its own
``traceId``, so an answer seen before is a stale replay and is asked for again, and a
window's rows must lie in the window. A full listing finally checks the number of distinct
records it yielded against the count (a recount settles records deleted meanwhile, and
records created meanwhile are set apart: ``_count_check``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Container, Generator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from storebridge.errors import PaginationError, PayloadError
from storebridge.http import Request, Response
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Done,
    Emit,
    Flow,
    FlowStepper,
    LinkHeader,
    ListFlow,
    ListQuery,
    Page,
    Parallel,
    Payload,
    SeenKeys,
    ask,
    build_request,
    check_query_value,
    expand_pages,
    read_json,
    relay,
    request_meta,
    walk,
)
from storebridge_shopline._api import Api
from storebridge_shopline._count_check import MARGIN, Tally, check_count
from storebridge_shopline._windows import (
    STRETCH_ROUNDS,
    FirstPage,
    Segment,
    Stretch,
    Window,
    iso,
    placed_plan,
    probe_batch,
    probe_times,
    segment_plan,
    window_count,
)
from storebridge_shopline._wire import PLATFORM

T = TypeVar("T")

DISPLAY = "SHOPLINE"
PAGE_CAPS: Mapping[str, int] = {"orders": 100, "customers": 250, "products": 250}
"""Largest ``limit`` each list endpoint takes; lists default to it to save requests."""
FOLLOW_UP_PARAMS = ("page_info", "limit", "fields")
"""With ``page_info`` SHOPLINE ignores every other filter, so follow-ups send only these."""

TIME_FILTERS = ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max")
"""A listing with none of these is a whole store's: long, usually."""
SPLIT_FROM_PAGES = 8
"""Listings with time filters of fewer pages than this are read page by page: their windows
wait a round trip for a batch of probes (a count each, some 25 requests) and cost a partial
last page each; at 4 pages that buys no time, at 7 it saves three round trips."""
WHOLE_STORE_SPLIT_FROM_PAGES = 3
"""A whole store's listing sends its probes with its first page and count anyway: its
windows wait no extra round trip and cost a few requests, so they pay off from three
pages."""
WHOLE_STORE_PROBES = 8
"""Probes sent with a whole store's first page at most. At the rate limit each costs a
request's share of the budget before the store's size is known: the full ladder (15) cost
a 5,000-order export at x10 limits about a tenth of its time (1.68 s against 1.53 s, median
of 8 runs at 250 ms), and its windows are as even with these eight and the stretches'
own probes."""


@attrs.frozen
class Resource:
    """Where one SHOPLINE listing lives."""

    name: str
    """``orders``, ``customers``, ``products``: also the rows' key in the body."""
    path: str
    count_path: str


ORDERS = Resource("orders", "orders.json", "orders/count.json")
CUSTOMERS = Resource("customers", "v2/customers.json", "customers/v2/count.json")
PRODUCTS = Resource("products", "products/products.json", "products/count.json")


# Reading answers ---------------------------------------------------------------------------
class Answers:
    """``traceId`` s of the answers one listing read. SHOPLINE gives every answer its own,
    so an answer carrying one seen before is a replay (a stale cache, a replica answering
    for another request) and is refused, to be asked for again."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def fresh(self, response: Response) -> None:
        trace = response.headers.get("traceid")
        if not trace:
            return
        with self._lock:
            if trace in self._seen:
                raise PaginationError(
                    f"{self.resource}: the answer repeats an earlier one (traceId "
                    f"{trace[:40]}): a stale cache or replica answered",
                    resource=self.resource,
                    page=f"{response.request.method} {response.request.url}",
                    platform=DISPLAY,
                )
            self._seen.add(trace)


def page_reader(
    resource: Resource, answers: Answers, window: Window | None = None
) -> Callable[[Request, Response], Page[Payload]]:
    """Rows (as Payloads at ``$.<resource>[i]``) and the ``link`` header's next request."""
    link = LinkHeader(keep_params=FOLLOW_UP_PARAMS)

    def read(request: Request, response: Response) -> Page[Payload]:
        answers.fresh(response)
        rows = Payload(read_json(response), "$", PLATFORM).objects(resource.name)
        if window is not None:
            for row in rows:
                _check_in_window(row, window)
        return Page(rows, link.next_request(request, response))

    return read


def _check_in_window(row: Payload, window: Window) -> None:
    moment = _created(row)  # None: nothing to check against; the converter judges it
    if moment is not None and not window.holds(moment):
        row.fail(
            f"created at {row.data['created_at']}, outside the window asked for "
            f"({window.params()}): the answer belongs to another request",
            "created_at",
        )


def row_key(row: Payload) -> str:
    value = row.data.get("id")
    if type(value) is str and value.isdigit():  # SHOPLINE ids: digits, the common case
        return value
    return row.ref("id")


def read_count(response: Response) -> int:
    """``{"count": n}``; PayloadError (the answer is then asked for again) otherwise."""
    body = Payload(read_json(response), "$", PLATFORM)
    number = body.integer("count")
    if number < 0:
        body.fail(f"a count cannot be negative ({number})", "count")
    return number


def one_record(key: str, ref: str) -> Callable[[Response], None]:
    """An answer check: the answer's ``key`` object is record ``ref`` (a stale cache can
    answer with another record, which is then asked for again)."""

    def check(response: Response) -> None:
        found = Payload(read_json(response), "$", PLATFORM).obj(key)
        if found.ref("id") != ref:
            found.fail(f"asked for {key} {ref}, the answer holds another one", "id")

    return check


def holds_rows(key: str) -> Callable[[Response], None]:
    """An answer check for a lookup in a list: the body holds ``key`` as a list of objects.
    A wrong-shaped answer (``{"ok": true}``, ``{key: null}``) is then asked again like any
    unreadable one, instead of reading as "nothing found" (no such record, no currency)."""

    def check(response: Response) -> None:
        Payload(read_json(response), "$", PLATFORM).objects(key)

    return check


def query_params(resource: str, query: ListQuery) -> dict[str, Any]:
    """``limit`` (capped per endpoint), the time bounds and the caller's own filters."""
    cap = PAGE_CAPS[resource]
    params: dict[str, Any] = {"limit": min(query.page_size or cap, cap)}
    for attr, name in (
        ("updated_since", "updated_at_min"),
        ("updated_until", "updated_at_max"),
        ("created_since", "created_at_min"),
        ("created_until", "created_at_max"),
    ):
        value = getattr(query, attr)
        if value is not None:
            params[name] = iso(value)
    params.update({str(k): check_query_value(v, str(k)) for k, v in query.extra.items()})
    return params


# Flows -------------------------------------------------------------------------------------
@attrs.frozen
class Listing:
    """One listing to read: where, with which filters, and how to convert its rows."""

    resource: Resource
    url: Callable[[str], str]
    params: Mapping[str, Any]
    convert: Callable[[Sequence[Payload]], list[Any]]
    countable: bool
    """The count endpoint takes every filter of the listing (no ``extra`` filters)."""
    clock: Callable[[], float]

    @property
    def operation(self) -> str:
        return f"{self.resource.name}.list"

    def request(self, window: Window | None = None) -> Request:
        params = dict(self.params)
        if window is not None:
            params.update(window.params())
        return build_request("GET", self.url(self.resource.path), operation=self.operation,
                             params=params)  # fmt: skip

    def count_request(self, answers: Answers, **override: str) -> Request:
        params = {k: v for k, v in self.params.items() if k not in FOLLOW_UP_PARAMS}
        params.update(override)

        def check(response: Response) -> None:
            answers.fresh(response)
            read_count(response)

        return build_request(
            "GET",
            self.url(self.resource.count_path),
            operation=f"{self.resource.name}.count",
            params=params,
            check=check,
        )


def list_records(
    adapter: Api,
    resource: Resource,
    params: Mapping[str, Any],
    query: ListQuery,
    cls: type[T],
    currency: str | None = None,
) -> ListFlow[T]:
    """Every ``cls`` of ``resource`` matching ``params``, counted unless the caller added
    filters of their own (``query.extra``) that the count endpoint may not take."""
    converter = adapter.converter(currency)
    yield from read_listing(
        Listing(
            resource=resource,
            url=adapter.url,
            params=params,
            convert=lambda rows: [converter.structure(row, cls) for row in rows],
            countable=not query.extra,
            clock=adapter.clock,
        )
    )


def read_listing(listing: Listing) -> ListFlow[Any]:
    """Every record of ``listing`` once (see the module docstring), converted."""
    answers = Answers(listing.resource.name)
    if not listing.countable:
        yield from _walk(listing, answers, None, None)
        return
    tally = Tally(datetime.fromtimestamp(listing.clock(), UTC) - MARGIN)
    total = yield from relay(_read_counted(listing, answers), tally.note)
    lower = _bound(listing.params.get("created_at_min"))
    yield from check_count(listing, answers, tally, total, read_count=read_count,
                           lower=lower, display=DISPLAY)  # fmt: skip


def _read_counted(listing: Listing, answers: Answers) -> Generator[Any, Any, int]:
    """The records of a counted listing; returns the count it began with."""
    # The count and the first page side by side: a short listing (most are) goes on from
    # that page, a long one keeps its rows and plans windows from the count. A whole
    # store's listing (the long kind: an export) sends its probes along too.
    first = listing.request()
    width = int((yield CONCURRENCY))
    ladder = _whole_store_probes(listing, min(width - 2, WHOLE_STORE_PROBES))
    counted, page, *probed = yield Batch(
        (listing.count_request(answers), first, *_probes(listing, answers, ladder)),
        tolerant=True,
    )
    if not isinstance(counted, Response):
        raise counted
    total = read_count(counted)
    limit = int(listing.params["limit"])
    # Asked again now that answers came back: the facade knows the latency, so how many
    # windows can run at once (each holds its place until its last page is in).
    width = int((yield CONCURRENCY))
    windows = window_count(total, limit, width)
    split_from = WHOLE_STORE_SPLIT_FROM_PAGES if ladder else SPLIT_FROM_PAGES
    if width < 2 or windows < 2 or math.ceil(total / limit) < split_from:
        yield from _answered(_walk(listing, answers, None, None), first, page)
        return total
    seen = SeenKeys()
    lock = threading.Lock()
    head, opening = _first_page(listing, answers, first, page)
    hints = [] if opening is None else [opening.before, opening.latest]
    if head:
        for item in head:
            seen.add_new(item.ref)
        yield Emit(head)
    if ladder:
        probes = _counted(ladder, probed)
        plan = placed_plan(probes, total, windows, opening)
        # Each window holds its place in flight until its last page is in, so a window
        # more than run at once waits for a whole window; cutting at the knots can make
        # one more than asked for.
        while len(plan) > width and windows > 1:
            windows = max(1, windows - (len(plan) - width))
            plan = placed_plan(probes, total, windows, opening)
    else:
        plan = yield from _plan(listing, answers, total, windows, width, hints)

    def fresh(flow: ListFlow[Any]) -> ListFlow[Any]:
        def on_emit(page: Emit[Any]) -> Generator[Any, Any, Emit[Any]]:
            with lock:
                items = [item for item in page.items if seen.add_new(item.ref)]
            return Emit(items)
            yield  # pragma: no cover - makes this a generator

        yield from relay(flow, on_emit)

    segments = (_segment(listing, answers, s, hints, STRETCH_ROUNDS, seen) for s in plan)
    yield Parallel(tuple(fresh(segment) for segment in segments))
    return total


def _whole_store_probes(listing: Listing, room: int) -> list[datetime]:
    if room < 1 or any(name in listing.params for name in TIME_FILTERS):
        return []
    now = datetime.fromtimestamp(listing.clock(), UTC)
    return probe_batch(probe_times(None, None, now), [], room)


def _answered(flow: ListFlow[Any], first: Request, answer: Any) -> ListFlow[Any]:
    """``flow`` with its request for ``first`` answered by ``answer`` (read alongside the
    count) when that answer passes the request's own checks; asked for again otherwise."""
    pending: Response | None = answer if isinstance(answer, Response) else None
    stepper: FlowStepper[None] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if pending is not None and isinstance(step, Request) and step.url == first.url:
                ready, pending = pending, None
                check = request_meta(step).check
                try:
                    if check is not None:
                        check(ready)
                except PayloadError:
                    pass  # a bad or stale page: the facade asks for it again
                else:
                    step = stepper.advance(ready)
                    continue
            step = stepper.advance(*(yield from ask(step)))
    finally:
        stepper.close()


def _first_page(
    listing: Listing, answers: Answers, first: Request, answer: Any
) -> tuple[list[Any], FirstPage | None]:
    """The converted rows of the listing's first page and when they were created, or
    nothing when the page could not be used (the windows read its records anyway).

    Records usually get ids in the order they are created, so the first page (lowest ids)
    tends to hold the listing's first records: counts just before its earliest and at its
    latest ``created_at`` then say where the listing starts. When ids are not in that
    order the two counts only cost their requests.
    """
    if not isinstance(answer, Response):
        return [], None
    try:
        rows = page_reader(listing.resource, answers)(first, answer).rows
        keys = {row_key(row) for row in rows}
        items = listing.convert(rows)
    except PayloadError:
        return [], None
    if len(keys) != len(items):
        return [], None
    moments = [m for m in map(_created, rows) if m is not None]
    if not moments:
        return items, None
    earliest, latest = (m.replace(microsecond=0) for m in (min(moments), max(moments)))
    return items, FirstPage(earliest, latest, len(items))


def _created(row: Payload) -> datetime | None:
    value = row.data.get("created_at")
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _walk(
    listing: Listing,
    answers: Answers,
    window: Window | None,
    count: Callable[[], Flow[int | None]] | None,
    known: Container[str] = frozenset(),
) -> ListFlow[Any]:
    """``window`` 's records, converted but for those whose keys are ``known`` (yielded by
    the listing already: the first page, a record on two windows' boundary), which the
    listing would drop anyway."""
    rows = walk(
        listing.request(window),
        page_reader(listing.resource, answers, window),
        resource=listing.resource.name,
        platform=DISPLAY,
        key=row_key,
        count=count,
    )

    def convert(page: Sequence[Payload]) -> Flow[Sequence[Any]]:
        return listing.convert([row for row in page if row_key(row) not in known])
        yield  # pragma: no cover - makes this a generator

    yield from expand_pages(rows, convert)


def _plan(
    listing: Listing,
    answers: Answers,
    total: int,
    windows: int,
    width: int,
    hints: Sequence[datetime],
) -> Flow[list[Segment]]:
    start = _bound(listing.params.get("created_at_min"))
    end = _bound(listing.params.get("created_at_max"))
    now = datetime.fromtimestamp(listing.clock(), UTC)
    times = probe_batch(probe_times(start, end, now), hints, width)
    probes = yield from _counts_at(listing, answers, times)
    return segment_plan(start, end, probes, total, windows)


def _stretch(
    listing: Listing,
    answers: Answers,
    stretch: Stretch,
    hints: Sequence[datetime],
    rounds: int,
    known: Container[str],
) -> ListFlow[Any]:
    """The segments of ``stretch``, planned from counts inside it (and at ``hints`` there,
    counted once: parts of it probed again have them already)."""
    probes = yield from _counts_at(listing, answers, stretch.probe_times(hints))
    plan = stretch.plan(probes, last=rounds <= 1)
    yield Parallel(tuple(_segment(listing, answers, s, (), rounds - 1, known) for s in plan))


def _segment(
    listing: Listing,
    answers: Answers,
    segment: Segment,
    hints: Sequence[datetime],
    rounds: int,
    known: Container[str],
) -> ListFlow[Any]:
    if isinstance(segment, Stretch):
        return _stretch(listing, answers, segment, hints, rounds, known)
    return _walk(listing, answers, segment, None, known)


def _counts_at(
    listing: Listing, answers: Answers, times: Sequence[datetime]
) -> Flow[list[tuple[datetime, int]]]:
    """Records created up to each of ``times``, counted side by side."""
    return _counted(times, (yield Batch(_probes(listing, answers, times), tolerant=True)))


def _probes(listing: Listing, answers: Answers, times: Sequence[datetime]) -> tuple[Request, ...]:
    return tuple(listing.count_request(answers, created_at_max=iso(t)) for t in times)


def _counted(times: Sequence[datetime], answered: Sequence[Any]) -> list[tuple[datetime, int]]:
    # A probe that failed only costs precision: the windows still cover everything.
    return [(t, read_count(a)) for t, a in zip(times, answered, strict=True)
            if isinstance(a, Response)]  # fmt: skip


def _bound(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


__all__ = [
    "CUSTOMERS",
    "FOLLOW_UP_PARAMS",
    "ORDERS",
    "PAGE_CAPS",
    "PRODUCTS",
    "Answers",
    "Listing",
    "Resource",
    "holds_rows",
    "list_records",
    "one_record",
    "page_reader",
    "query_params",
    "read_count",
    "read_listing",
    "row_key",
]
