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

import math
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
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
from storebridge_shopline._windows import (
    REFINE_ROUNDS,
    Window,
    iso,
    probe_times,
    refine_times,
    window_count,
    window_plan,
)
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
    # The count first, alone: most listings are short, and probes would be wasted on them.
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
    "list_records",
    "one_record",
    "page_reader",
    "query_params",
    "read_count",
    "read_listing",
    "row_key",
]
