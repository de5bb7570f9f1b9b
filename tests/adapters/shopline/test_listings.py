"""SHOPLINE listings: exactly the records or an error, page by page and in windows.

Short listings walk ``page_info`` cursors; long ones are read in ``created_at`` windows side
by side. Both are checked against the platform's count, refuse replayed answers and pages
that do not move forward, and the windows cover the whole range with no gap.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storebridge import OrderQuery, StorebridgeError
from storebridge.errors import PaginationError
from storebridge.flow import CONCURRENCY, Batch, drive
from storebridge.http import Headers, MockTransport, Request, Response
from storebridge.testing import FaultTransport
from storebridge_shopline import ShoplineAdapter
from storebridge_shopline._windows import (
    OVERFILL,
    PAGES_PER_WINDOW,
    Stretch,
    Window,
    iso,
    probe_batch,
    probe_times,
    segment_plan,
    window_count,
    window_plan,
)
from tests.adapters.shopline.support import World, answered_by, exact_under_faults, world

Tamper = Callable[[Request, Response], Response]


def tampered(w: World, change: Tamper) -> MockTransport:
    """The emulator's transport with each answer passed through ``change``."""
    inner = w.emulator.transport()

    def handler(request: Request) -> Response:
        response = inner.handle_request(request)
        response.read()
        return change(request, response)

    return MockTransport(handler)


def listing(
    w: World,
    transport: Any = None,
    resource: str = "orders",
    in_flight: int | None = None,
    **query: Any,
) -> list[str]:
    settings: dict[str, Any] = {"transport": transport} if transport else {}
    if in_flight is not None:
        settings["options"] = w.options(max_concurrency=in_flight)
    with w.connect(**settings) as store:
        return [item.ref for item in getattr(store, resource).list(**query)]


def first_pages(w: World) -> list[dict[str, str]]:
    """The first pages of the order listing asked for (the archived orders' listing aside:
    see test_archived_orders.py)."""
    return [r.query for r in w.emulator.requests
            if r.path.endswith("/orders.json") and "page_info" not in r.query
            and "hidden_order" not in r.query]  # fmt: skip


# Page by page (one request in flight, or a listing too short for windows) ----------------
def test_short_listing_walks_pages_in_id_order_and_checks_the_count() -> None:
    w = world(orders=20, rate_limit=False)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    refs = listing(w, page_size=5, updated_since=since)
    assert refs == sorted(w.emulator.orders)  # documented: ascending id, page by page
    paths = [r.path.rsplit("/", 2)[-2:] for r in w.emulator.requests]
    assert paths.count(["orders", "count.json"]) == 1  # no probes for four pages
    assert len(first_pages(w)) == 1  # read once, alongside the count: no windows


def test_a_whole_store_listing_sends_count_first_page_and_probes_in_one_batch() -> None:
    w = world(orders=20, rate_limit=False)
    with w.connect() as store:
        flow = store.adapter.list_orders(OrderQuery(page_size=5))
        assert next(flow) is CONCURRENCY
        batch = flow.send(6)
    assert isinstance(batch, Batch)
    paths = [r.url.path for r in batch.requests]
    assert paths[0].endswith("orders/count.json") and paths[1].endswith("/orders.json")
    probes = [r.url.params["created_at_max"] for r in batch.requests[2:]]
    assert len(probes) == 4 and all(p.endswith("T00:00:00+00:00") for p in probes)
    # A short listing (two pages) then goes on from the first page it already holds.
    w2 = world(orders=10, rate_limit=False)
    assert listing(w2, page_size=5) == sorted(w2.emulator.orders)
    assert len(first_pages(w2)) == 1


@pytest.mark.parametrize("resource", ["customers", "products"])
def test_customers_and_products_are_counted_too(resource: str) -> None:
    w = world(orders=12, rate_limit=False)
    assert sorted(listing(w, resource=resource, page_size=4)) == sorted(
        getattr(w.emulator, resource)
    )
    counted = {"customers": "customers/v2/count.json", "products": "products/count.json"}
    assert any(r.path.endswith(counted[resource]) for r in w.emulator.requests)


def test_a_listing_with_filters_the_count_cannot_express_is_not_counted() -> None:
    w = world(orders=6, rate_limit=False)
    name = next(iter(w.emulator.orders.values()))["name"]
    assert len(listing(w, name=name)) == 1
    assert not any(r.path.endswith("count.json") for r in w.emulator.requests)


def _with_count(extra: int) -> Tamper:
    def change(request: Request, response: Response) -> Response:
        if not request.url.path.endswith("count.json"):
            return response
        body = json.loads(response.content)
        return Response(200, json={"count": body["count"] + extra}, headers=response.headers)

    return change


def _with_older(extra: int) -> Tamper:
    """Counts of the records created before a time (every count but the one of records
    created since the listing began) show ``extra`` more: pages lost on the way."""
    whole = _with_count(extra)

    def change(request: Request, response: Response) -> Response:
        if "created_at_min" in request.url.params:
            return response
        return whole(request, response)

    return change


@pytest.mark.parametrize("orders", [10, 90])  # page by page, and in windows
def test_fewer_records_than_the_count_is_an_error_not_a_short_listing(orders: int) -> None:
    w = world(orders=orders, rate_limit=False)
    with pytest.raises(PaginationError) as err:
        listing(w, tampered(w, _with_older(3)), page_size=3)
    assert "counts" in str(err.value)
    # Asked how many were created since the listing began (none), to tell them apart.
    assert any("created_at_min" in r.query for r in w.emulator.requests
               if r.path.endswith("count.json"))  # fmt: skip


def test_a_record_deleted_and_one_created_during_a_listing_do_not_make_it_short() -> None:
    """The record on page 2 is deleted before page 2 is read, and one is created after the
    cursor passed (its answers say so): the recount equals the first count, and the exact
    listing once raised ("pages were lost"). Records created since the listing began are
    counted apart, and every record created before it that is still there came back."""
    w = world(orders=10, rate_limit=False)
    hidden: list[str] = []

    def change(request: Request, response: Response) -> Response:
        path = request.url.path
        if path.endswith("count.json") and "created_at_min" in request.url.params:
            return Response(200, json={"count": 1}, headers=response.headers)  # one created
        if path.endswith("/orders.json") and "page_info" in request.url.params and not hidden:
            body = json.loads(response.content)
            hidden.append(str(body["orders"].pop(0)["id"]))  # deleted before it was read
            w.emulator.orders.pop(hidden[0])  # so the recount no longer holds it ...
            return Response(200, json=body, headers=response.headers)
        if path.endswith("count.json") and hidden:
            body = json.loads(response.content)  # ... but holds the one created
            return Response(200, json={"count": body["count"] + 1}, headers=response.headers)
        return response

    got = listing(w, tampered(w, change), page_size=3)
    assert hidden and sorted(got) == sorted(w.emulator.orders)


def _script(plan: dict[int, str]) -> Callable[[int, Request], str | None]:
    """Faults on the n-th request to ``orders.json`` (1-based)."""
    seen = Counter[str]()

    def pick(_n: int, request: Request) -> str | None:
        if not request.url.path.endswith("/orders.json"):
            return None
        seen["pages"] += 1
        return plan.get(seen["pages"])

    return pick


@pytest.mark.parametrize(
    "plan",
    [
        {3: "stale_page"},  # page 3 of 4 answered with page 2: asked again
        {2: "truncated"},
        {2: "malformed", 3: "html_200"},
        {4: "wrong_shape"},
        {1: "wrong_shape"},  # the first page, read alongside the count
        {1: "html_200"},
    ],
)
def test_one_bad_page_is_asked_again(plan: dict[int, str]) -> None:
    w = world(orders=12, rate_limit=False)
    faulty = FaultTransport(w.emulator.transport(), script=_script(plan))
    assert listing(w, faulty, page_size=3, in_flight=1) == sorted(w.emulator.orders)
    assert sum(faulty.injected.values()) == len(plan)


def test_a_page_that_stays_stale_is_an_error() -> None:
    w = world(orders=12, rate_limit=False)
    faulty = FaultTransport(
        w.emulator.transport(), script=_script(dict.fromkeys(range(3, 20), "stale_page"))
    )
    with pytest.raises(PaginationError):
        listing(w, faulty, page_size=3, in_flight=1)


def _looping() -> Tamper:
    """Every follow-up page's next link points back at the listing's second page."""
    second: list[str] = []

    def change(request: Request, response: Response) -> Response:
        link = response.headers.get("link", "")
        if 'rel="next"' not in link:
            return response
        if not second:
            second.append(link.split(">")[0].lstrip("<"))
        elif "page_info" in str(request.url):
            headers = Headers(response.headers)
            headers["link"] = f'<{second[0]}>; rel="next"'
            return Response(200, content=response.content, headers=headers, request=request)
        return response

    return change


def test_a_next_link_that_loops_is_an_error() -> None:
    w = world(orders=12, rate_limit=False)
    with pytest.raises(PaginationError) as err:
        listing(w, tampered(w, _looping()), page_size=3, in_flight=1)
    assert "already" in str(err.value)


def test_a_replayed_answer_is_refused_by_its_trace_id() -> None:
    w = world(orders=9, rate_limit=False)
    pages: list[Response] = []

    def replay_once(request: Request, response: Response) -> Response:
        if not request.url.path.endswith("/orders.json"):
            return response
        pages.append(response)
        if len(pages) == 2:
            # Page 2's rows and link under page 1's headers: only the traceId, which
            # SHOPLINE never gives two answers, says it is not a fresh answer.
            headers = Headers(response.headers)
            headers["traceId"] = pages[0].headers["traceId"]
            return Response(200, content=response.content, headers=headers, request=request)
        return response

    assert listing(w, tampered(w, replay_once), page_size=3, in_flight=1) == sorted(
        w.emulator.orders
    )
    asked = [r.query.get("page_info") for r in w.emulator.requests
             if r.path.endswith("s.json") and "hidden_order" not in r.query]  # fmt: skip
    assert len(asked) == 4 and asked[1] == asked[2]  # page 2 was asked for twice


# Windows -----------------------------------------------------------------------------------
def test_long_listing_is_read_in_contiguous_created_at_windows() -> None:
    w = world(orders=120, rate_limit=False)
    refs = listing(w, page_size=3)
    assert Counter(refs) == Counter(list(w.emulator.orders))
    pages = first_pages(w)
    bounded = [q for q in pages if {"created_at_min", "created_at_max"} & set(q)]
    assert len(pages) - len(bounded) == 1  # the first page, read with the count
    windows = sorted((q.get("created_at_min") or "", q.get("created_at_max") or "~") for q in
                     bounded)  # fmt: skip
    assert len(windows) >= 8
    assert windows[0][0] == "" and [b for _, b in windows].count("~") == 1
    ends = {b for _, b in windows if b != "~"}
    assert {a for a, _ in windows if a} == ends  # each window starts where another ends
    follow_ups = [r.query for r in w.emulator.requests if "page_info" in r.query]
    assert follow_ups and all(set(q) == {"limit", "page_info"} for q in follow_ups)


def test_records_inside_one_ladder_stretch_are_placed_without_counting_again() -> None:
    # The sandbox's orders span a few weeks a year before now: one stretch of the ladder
    # holds them all. The first page says where they start and how fast they come, which
    # places the windows inside that stretch; no second round of counts holds them back.
    w = world(orders=120, rate_limit=False)
    assert len(listing(w, page_size=3)) == 120
    probes = [r.query["created_at_max"] for r in w.emulator.requests
              if r.path.endswith("count.json") and "created_at_max" in r.query]  # fmt: skip
    now = datetime.fromtimestamp(w.clock.now(), UTC)
    ladder = {iso(t) for t in probe_times(None, None, now)}
    assert probes and set(probes) <= ladder
    rows = sorted(o["created_at"] for o in w.emulator.orders.values())
    cuts = {q["created_at_max"] for q in first_pages(w) if "created_at_max" in q}
    assert sum(rows[0] < cut < rows[-1] for cut in cuts) >= 4


def test_windows_keep_the_listing_filters() -> None:
    w = world(orders=150, rate_limit=False)
    rows = sorted(w.emulator.orders.values(), key=lambda o: o["created_at"])
    since = datetime.fromisoformat(rows[30]["created_at"])
    refs = listing(w, page_size=2, created_since=since, financial_status="paid")
    wanted = {o["id"] for o in rows[30:] if o["financial_status"] == "paid"}
    assert Counter(refs) == Counter(wanted)
    assert len(first_pages(w)) > 2
    assert all(q["financial_status"] == "paid" for q in first_pages(w))
    assert all(datetime.fromisoformat(q["created_at_min"]) >= since for q in first_pages(w))


@pytest.mark.parametrize("seed", range(1, 5))
def test_windows_under_faults_are_exact_or_an_error(seed: int) -> None:
    w = world(orders=90, rate_limit=False)
    faulty = FaultTransport(w.emulator.transport(), seed=seed, rate=0.2)
    try:
        refs = listing(w, faulty, page_size=3)
    except StorebridgeError:
        return
    assert Counter(refs) == Counter(list(w.emulator.orders)), faulty.injected


@pytest.mark.parametrize("fault", ["wrong_shape", "truncated", "server_error"])
def test_a_long_listing_whose_first_page_is_bad_reads_it_in_the_windows(fault: str) -> None:
    w = world(orders=120, rate_limit=False)
    faulty = FaultTransport(w.emulator.transport(), script=_script({1: fault}))
    refs = listing(w, faulty, page_size=3)
    assert Counter(refs) == Counter(list(w.emulator.orders)) and faulty.injected[fault] == 1


def test_a_filtered_long_listing_probes_around_its_first_page() -> None:
    w = world(orders=120, rate_limit=False)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    refs = listing(w, page_size=3, updated_since=since)
    assert Counter(refs) == Counter(list(w.emulator.orders))
    earliest = min(datetime.fromisoformat(o["created_at"]) for o in w.emulator.orders.values())
    probes = {datetime.fromisoformat(r.query["created_at_max"]) for r in w.emulator.requests
              if r.path.endswith("count.json") and "created_at_max" in r.query}  # fmt: skip
    assert earliest - timedelta(seconds=1) in probes  # nothing before the first page's rows
    assert len(first_pages(w)) > 4


@pytest.mark.parametrize("seed", range(1, 4))
def test_filtered_windows_under_faults_are_exact_or_an_error(seed: int) -> None:
    w = world(orders=90, rate_limit=False)
    faulty = FaultTransport(w.emulator.transport(), seed=seed, rate=0.2)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    try:
        refs = listing(w, faulty, page_size=3, updated_since=since)
    except StorebridgeError:
        return
    assert Counter(refs) == Counter(list(w.emulator.orders)), faulty.injected


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_windows_read_alike_with_the_async_store() -> None:
    w = world(orders=90, rate_limit=False)
    async with w.connect_async() as store:
        refs = [o.ref async for o in store.orders.list(page_size=3)]
    assert Counter(refs) == Counter(list(w.emulator.orders)) and len(first_pages(w)) > 2


def test_one_request_in_flight_reads_page_by_page() -> None:
    w = world(orders=90, rate_limit=False)
    with w.connect(options=w.options(max_concurrency=1)) as store:
        refs = [o.ref for o in store.orders.list(page_size=3)]
    assert refs == sorted(w.emulator.orders) and len(first_pages(w)) == 1


# Plans -------------------------------------------------------------------------------------
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
moments = st.integers(0, 10**8).map(lambda s: EPOCH + timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(
    bounds=st.tuples(st.one_of(st.none(), moments), st.one_of(st.none(), moments)),
    probes=st.lists(st.tuples(moments, st.integers(-5, 10**4)), max_size=20),
    total=st.integers(0, 10**4),
    windows=st.integers(1, 64),
    records=st.lists(moments, max_size=30),
)
def test_windows_cover_the_range_without_gaps_or_overlaps(
    bounds: tuple[datetime | None, datetime | None],
    probes: list[tuple[datetime, int]],
    total: int,
    windows: int,
    records: list[datetime],
) -> None:
    start, end = sorted(bounds, key=lambda b: b or EPOCH) if all(bounds) else bounds
    plan = window_plan(start, end, probes, total, windows)
    _check_cover(plan, start, end, records)


@settings(max_examples=150, deadline=None)
@given(
    bounds=st.tuples(st.one_of(st.none(), moments), st.one_of(st.none(), moments)),
    probes=st.lists(st.tuples(moments, st.integers(-5, 10**4)), max_size=20),
    inside=st.lists(st.tuples(moments, st.integers(-5, 10**4)), max_size=12),
    total=st.integers(0, 10**4),
    windows=st.integers(1, 64),
    records=st.lists(moments, max_size=30),
)
@example(  # two probes of one instant once made an empty window
    bounds=(None, None),
    probes=[(EPOCH, 1), (EPOCH, 144)],
    inside=[],
    total=153,
    windows=3,
    records=[],
)
def test_segments_and_their_stretches_cover_the_range_without_gaps_or_overlaps(
    bounds: tuple[datetime | None, datetime | None],
    probes: list[tuple[datetime, int]],
    inside: list[tuple[datetime, int]],
    total: int,
    windows: int,
    records: list[datetime],
) -> None:
    start, end = sorted(bounds, key=lambda b: b or EPOCH) if all(bounds) else bounds
    # Stretches are planned from counts of their own (any answers at all), once more
    # where those still cannot place the records, then cut into windows.
    segments: list[Window | Stretch] = []
    for segment in segment_plan(start, end, probes, total, windows):
        if not isinstance(segment, Stretch):
            segments.append(segment)
            continue
        for part in segment.plan(inside, last=False):
            segments += part.plan(inside, last=True) if isinstance(part, Stretch) else [part]
    plan = [w for w in segments if isinstance(w, Window)]
    assert len(plan) == len(segments)  # the last round cuts stretches into windows only
    _check_cover(plan, start, end, records)


def _check_cover(
    plan: list[Window], start: datetime | None, end: datetime | None, records: list[datetime]
) -> None:
    assert plan[0].start == start and plan[-1].end == end
    for left, right in itertools.pairwise(plan):
        assert left.end is not None and left.end == right.start
        assert left.start is None or left.start < left.end
    for moment in records:
        if (start is not None and moment < start) or (end is not None and moment > end):
            continue
        holding = [w for w in plan if _inside(w, moment)]
        # In exactly one window; on a shared boundary in both (read twice, yielded once).
        on_edge = any(moment in (w.start, w.end) for w in holding)
        assert len(holding) == 1 or (on_edge and len(holding) == 2)


def _inside(window: Window, moment: datetime) -> bool:
    return (window.start is None or window.start <= moment) and (
        window.end is None or moment <= window.end
    )


def test_probes_are_a_ladder_around_now_in_whole_days() -> None:
    now = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)
    times = probe_times(None, None, now)
    anchor = datetime(2026, 3, 6, tzinfo=UTC)
    assert anchor in times and times == sorted(times)
    assert times[0] == anchor - timedelta(days=4096) and times[-1] == anchor + timedelta(days=4096)
    assert probe_times(None, None, now + timedelta(hours=3)) == times  # same day, same URLs
    bounded = probe_times(EPOCH, EPOCH + timedelta(days=16), now)
    assert len(bounded) == 15 and all(EPOCH < t < EPOCH + timedelta(days=16) for t in bounded)


def test_a_cluster_in_a_long_stretch_is_probed_again() -> None:
    # 300 records in one 768-day stretch with few on either side: probed inside.
    day = timedelta(days=1)
    left, right = EPOCH, EPOCH + 768 * day
    probes = [(left - 10 * day, 10), (left, 20), (right, 320), (right + day, 330)]
    plan = segment_plan(None, None, probes, 340, 24)
    stretches = [s for s in plan if isinstance(s, Stretch)]
    assert len(stretches) == 1 and (stretches[0].low, stretches[0].high) == (left, right)
    assert (stretches[0].before, stretches[0].records) == (20, 300)
    inside = stretches[0].probe_times()
    assert len(inside) >= 4 and all(left < t < right for t in inside)
    # Spread over neighbouring stretches, the same records are cut without more probes.
    even = [(left - 768 * day, 100), (left, 200), (right, 300), (right + 768 * day, 400)]
    assert not any(isinstance(s, Stretch) for s in segment_plan(None, None, even, 400, 4))


def test_where_the_first_records_lie_inside_a_stretch_is_probed_again() -> None:
    left, right = EPOCH, EPOCH + timedelta(days=768)
    probes = [(left - timedelta(days=10), 0), (left, 0), (right, 300), (right + timedelta(1), 300)]
    plan = segment_plan(None, None, probes, 300, 24)
    assert len(plan) == 1 and isinstance(plan[0], Stretch)
    # Its empty neighbours widen it rather than cost a window each.
    assert (plan[0].low, plan[0].high, plan[0].start, plan[0].end) == (left, right, None, None)


def test_a_stretch_is_cut_where_its_probes_say_the_records_are() -> None:
    left, right = EPOCH, EPOCH + timedelta(days=100)
    stretch = Stretch(left, right, before=50, records=400, windows=4, start=None, end=None)
    # All 400 records lie in days 90 to 100: the windows are cut there, none before.
    late = left + timedelta(days=90)
    probes = [(t, 50 if t <= late else 450) for t in stretch.probe_times()]
    probes.append((late, 50))
    windows = stretch.plan(probes, last=True)
    assert all(isinstance(w, Window) for w in windows)
    assert windows[0].start is None and windows[-1].end is None and len(windows) == 4
    assert all(w.start is not None and w.start >= late for w in windows[1:])


def test_a_stretch_still_too_coarse_is_probed_once_more() -> None:
    left, right = EPOCH, EPOCH + timedelta(days=600)
    stretch = Stretch(left, right, before=0, records=400, windows=4, start=None, end=None)
    # Its probes find every record between two of them: that part is probed again.
    times = stretch.probe_times()
    probes = [(t, 0 if i < 2 else 400) for i, t in enumerate(times)]
    again = [s for s in stretch.plan(probes, last=False) if isinstance(s, Stretch)]
    assert [(s.low, s.high, s.before, s.records) for s in again] == [(times[1], times[2], 0, 400)]
    assert not any(isinstance(s, Stretch) for s in stretch.plan(probes, last=True))


def test_records_after_the_last_probe_are_probed_again_not_read_as_one_window() -> None:
    # Records keep coming after the last probe (an open end): the tail is a stretch probed
    # as far as the records before it suggest, not one window read page after page.
    day = timedelta(days=1)
    probes = [(EPOCH + 10 * day, 100), (EPOCH + 20 * day, 200)]
    plan = segment_plan(None, None, probes, 1000, 10)
    tail = plan[-1]
    assert isinstance(tail, Stretch) and tail.end is None and tail.records == 800
    assert tail.low == EPOCH + 20 * day and tail.high > EPOCH + 100 * day  # 10 a day
    assert len(tail.probe_times()) >= 3
    # A guess past the calendar's end is no error: the open last window covers the rest.
    last = datetime(9999, 12, 30, tzinfo=UTC)
    far = segment_plan(None, None, [(EPOCH, 1), (last, 2)], 1000, 10)
    assert isinstance(far[-1], Stretch) and far[-1].end is None and far[-1].high > last


@pytest.fixture(scope="module")
def far_reaching() -> World:
    """6,000 orders, 7 hours apart: they reach years past the ladder's probes that fit in a
    narrow batch. Built once for the tests below (seeding it is a good part of their CPU);
    they only read it, and each looks at its own requests."""
    return world(orders=6000, rate_limit=False)


def test_a_store_whose_records_reach_past_the_probes_is_read_in_short_windows(
    far_reaching: World,
) -> None:
    # Read six requests at a time: no window may be a long cursor walk.
    w = far_reaching
    with w.emulator.lock:
        w.emulator.requests.clear()
    adapter = ShoplineAdapter.from_settings(**w.settings)
    respond = answered_by(w, adapter)

    _, orders = drive(adapter.list_orders(OrderQuery()), respond, concurrency=6)
    assert len(orders) == len({o.ref for o in orders}) == 6000
    walks = Counter(json.dumps(_cursor(r.query["page_info"])["filters"], sort_keys=True)
                    for r in w.emulator.requests if "page_info" in r.query)  # fmt: skip
    assert max(walks.values()) < 15, walks.most_common(3)  # 34 pages in one window before


def test_a_store_reaching_past_the_probes_reads_exactly_or_errs_under_faults(
    far_reaching: World,
) -> None:
    # The stretch past the last probe is counted again and cut into windows while 10% of
    # requests meet a fault: every order exactly once, or a storebridge error.
    assert exact_under_faults(far_reaching, seeds=(1, 2), rate=0.1, in_flight=6) >= 1


def _cursor(page_info: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4))
    found: dict[str, Any] = json.loads(raw)
    return found


def test_one_batch_of_probes_fits_in_one_round_trip() -> None:
    now = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)
    ladder = probe_times(None, None, now)
    assert probe_batch(ladder, [], 100) == ladder
    thinned = probe_batch(ladder, [], 6)
    assert len(thinned) == 6 and set(thinned) <= set(ladder) and thinned == sorted(thinned)
    # Around the first page's records, the ladder below them is not asked for.
    hints = [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 9, tzinfo=UTC)]
    batch = probe_batch(ladder, hints, 100)
    assert set(hints) <= set(batch) and min(batch) == hints[0]


def test_window_count_follows_what_runs_at_once() -> None:
    assert window_count(2000, 100, 8) == 8  # all run together, 2.5 pages each
    assert window_count(1000, 100, 16) == 12  # one page each even when filled: one round
    assert window_count(5000, 100, 16) == 16  # all windows run together
    assert window_count(100_000, 100, 16) == 16  # long listings: longer windows, not more
    assert window_count(5000, 100, 80) == 60  # many in flight: windows of one page
    assert window_count(100, 100, 8) == 2  # one page filled to OVERFILL shares: two
    for total in range(1, 20_000, 97):
        windows = window_count(total, 100, 64)
        # Filled to OVERFILL shares, a window still holds PAGES_PER_WINDOW pages at most,
        # unless that takes more windows than run at once.
        pages = math.ceil(total / 100) * OVERFILL / windows
        assert pages <= PAGES_PER_WINDOW or windows == 64
