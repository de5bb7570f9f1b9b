"""SHOPLINE listings: cursor pages, counts, and ``created_at`` windows read side by side.

A listing walks ``page_info`` cursors from the ``link`` header (follow-ups keep only
``page_info``, ``limit`` and ``fields``: SHOPLINE ignores every other filter there). One
cursor is strictly sequential, so a long listing is split into ``created_at`` windows read
at the same time (:func:`window_plan`), each walked with :func:`storebridge.kit.walk`:

1. the platform's count for the listing's filters (``orders/count.json``...) says how many
   records to expect and so how many windows of a few pages each are worth reading;
2. one batch of counts up to probe times around now (1, 4, 16 ... days either side) tells
   roughly where the records lie, so windows hold similar numbers of records;
3. windows cover the whole range without gaps: each starts where the one before ends
   (both bounds are inclusive, so a record on a boundary is read twice and yielded once),
   the first has no lower and the last no upper bound beyond the listing's own filters.

Every page is checked before it is accepted: SHOPLINE gives each answer its own
``traceId``, so an answer seen before is a stale replay and is asked for again, and a
window's rows must lie in the window. A full listing finally checks the number of distinct
records it yielded against the count (a recount settles records deleted meanwhile).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from storebridge.errors import PaginationError
from storebridge.http import Request, Response
from storebridge.kit import (
    CONCURRENCY,
    Batch,
    Emit,
    Flow,
    LinkHeader,
    ListFlow,
    ListQuery,
    Page,
    Payload,
    build_request,
    check_query_value,
    expand_pages,
    merge_parallel,
    read_json,
    relay,
    walk,
)
from storebridge_shopline._api import Api
from storebridge_shopline._wire import PLATFORM

T = TypeVar("T")

DISPLAY = "SHOPLINE"
PAGE_CAPS: Mapping[str, int] = {"orders": 100, "customers": 250, "products": 250}
"""Largest ``limit`` each list endpoint takes; lists default to it to save requests."""
FOLLOW_UP_PARAMS = ("page_info", "limit", "fields")
"""With ``page_info`` SHOPLINE ignores every other filter, so follow-ups send only these."""

SPLIT_FROM_PAGES = 8
"""Listings of fewer pages than this (or than two per request in flight) are read page by
page: windows cost a count per probe and a partial last page each."""
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
class Resource:
    """Where one SHOPLINE listing lives."""

    name: str
    """``orders``, ``customers``, ``products``: also the rows' key in the body."""
    path: str
    count_path: str


ORDERS = Resource("orders", "orders.json", "orders/count.json")
CUSTOMERS = Resource("customers", "v2/customers.json", "customers/v2/count.json")
PRODUCTS = Resource("products", "products/products.json", "products/count.json")


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
    value = row.data.get("created_at")
    if type(value) is not str:
        return  # nothing to check against; the converter judges the value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return
    if moment.tzinfo is not None and not window.holds(moment):
        row.fail(
            f"created at {value}, outside the window asked for ({window.params()}): the "
            "answer belongs to another request",
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


# Plans -------------------------------------------------------------------------------------
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
    total = read_count((yield listing.count_request(answers)))
    width = int((yield CONCURRENCY))
    limit = int(listing.params["limit"])
    windows = window_count(total, limit, width)
    if width < 2 or windows < 2 or math.ceil(total / limit) < SPLIT_FROM_PAGES:
        counted = iter([total])

        def count() -> Flow[int | None]:
            # The count read above, then a fresh one if the walk comes up short.
            known = next(counted, None)
            if known is not None:
                return known
            return read_count((yield listing.count_request(answers)))

        yield from _walk(listing, answers, None, count)
        return
    plan = yield from _plan(listing, answers, total, windows, width)
    seen: set[str] = set()
    lock = threading.Lock()

    def tally(flow: ListFlow[Any]) -> ListFlow[Any]:
        def on_emit(page: Emit[Any]) -> Generator[Any, Any, Emit[Any]]:
            with lock:
                seen.update(item.ref for item in page.items)
            return page
            yield  # pragma: no cover - makes this a generator

        yield from relay(flow, on_emit)

    flows = [tally(_walk(listing, answers, window, None)) for window in plan]
    yield from merge_parallel(flows, key=_ref_of)
    if len(seen) < total:
        recount = read_count((yield listing.count_request(answers)))
        floor = min(total, recount)
        if len(seen) < floor:
            raise PaginationError(
                f"{listing.resource.name}: {len(seen)} records came back from "
                f"{len(plan)} windows but SHOPLINE counts {floor}; pages were lost on the "
                "way (read the listing again)",
                resource=listing.resource.name,
                platform=DISPLAY,
            )


def _ref_of(item: Any) -> object:
    return item.ref


def _walk(
    listing: Listing,
    answers: Answers,
    window: Window | None,
    count: Callable[[], Flow[int | None]] | None,
) -> ListFlow[Any]:
    rows = walk(
        listing.request(window),
        page_reader(listing.resource, answers, window),
        resource=listing.resource.name,
        platform=DISPLAY,
        key=row_key,
        count=count,
    )

    def convert(page: Sequence[Payload]) -> Flow[Sequence[Any]]:
        return listing.convert(page)
        yield  # pragma: no cover - makes this a generator

    yield from expand_pages(rows, convert)


def _plan(
    listing: Listing, answers: Answers, total: int, windows: int, width: int
) -> Flow[list[Window]]:
    start = _bound(listing.params.get("created_at_min"))
    end = _bound(listing.params.get("created_at_max"))
    now = datetime.fromtimestamp(listing.clock(), UTC)
    probes = yield from _counts_at(listing, answers, probe_times(start, end, now))
    for _ in range(REFINE_ROUNDS):
        more = refine_times(start, end, probes, total, windows, width)
        if not more:
            break
        probes += yield from _counts_at(listing, answers, more)
    return window_plan(start, end, probes, total, windows)


def _counts_at(
    listing: Listing, answers: Answers, times: Sequence[datetime]
) -> Flow[list[tuple[datetime, int]]]:
    """Records created up to each of ``times``, counted side by side."""
    requests = tuple(listing.count_request(answers, created_at_max=iso(t)) for t in times)
    # A probe that fails only costs precision: the windows still cover everything.
    answered = yield Batch(requests, tolerant=True)
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
    "Window",
    "iso",
    "list_records",
    "one_record",
    "page_reader",
    "probe_times",
    "query_params",
    "read_count",
    "read_listing",
    "refine_times",
    "row_key",
    "window_count",
    "window_plan",
]
