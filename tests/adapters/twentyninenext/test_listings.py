"""29 Next listings: every record exactly once, or an error; day windows read in parallel.

The sandbox serves 20 rows a page, newest placed first (customers newest id first, which
is no date order). Stores with 4 or more requests in flight cut listings into day windows.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

import storebridge
from storebridge import OrderQuery, PayloadError, StorebridgeError, ValidationError, http
from storebridge.errors import PaginationError, ServerError
from storebridge.flow import drive
from storebridge.kit import Payload
from storebridge.testing import FaultTransport
from storebridge_29next._listings import PROBES, Window, _count, _tops, _unjoined
from storebridge_29next._paging import Days, cut, newest_first
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox


def _orders_page(request: Any) -> bool:
    return bool(request.method == "GET" and request.url.path == "/api/admin/orders/")


def _refs(listing: Any) -> list[str]:
    return [item.ref for item in listing]


# One cursor: the walk's guarantees on this platform's pages -----------------------------
def test_a_stale_page_2_of_3_is_asked_again() -> None:
    sandbox = Sandbox(orders=60)
    pages: dict[str, Any] = {}

    def stale_once(request: Any, body: Any, n: int) -> Any:
        pages.setdefault("first", body)
        return pages["first"] if n == 2 else body  # page 2 answered with page 1, once

    transport = Rewriting(sandbox.emulator.transport(), _orders_page, stale_once)
    with sandbox.connect(transport) as store:
        refs = _refs(store.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(60))
    assert transport.seen == 4  # pages 1, 2 (stale), 2 again, 3


def test_a_next_link_that_loops_raises_instead_of_ending() -> None:
    sandbox = Sandbox(orders=60)
    links: list[str] = []

    def loop(request: Any, body: Any, n: int) -> Any:
        links.append(body["next"])
        if body["next"] is None:  # the last page points back to the second
            body["next"] = links[0]
        return body

    with sandbox.connect(Rewriting(sandbox.emulator.transport(), _orders_page, loop)) as store:
        with pytest.raises(PaginationError) as caught:
            list(store.orders.list())
    assert caught.value.resource == "orders" and "already read" in str(caught.value)


def test_a_page_of_only_seen_rows_is_asked_again_then_raises() -> None:
    sandbox = Sandbox(orders=60)
    first: dict[str, Any] = {}

    def repeat_rows(request: Any, body: Any, n: int) -> Any:
        first.setdefault("rows", body["results"])
        if "cursor" in request.url.params and body["next"] is not None:
            body["results"] = first["rows"]  # page 2 keeps its next link, repeats page 1
        return body

    with sandbox.connect(Rewriting(sandbox.emulator.transport(), _orders_page, repeat_rows)) as s:
        with pytest.raises(PaginationError, match="repeats rows already read"):
            list(s.orders.list())


@pytest.mark.parametrize("kind", ["truncated", "malformed", "html_200", "wrong_shape"])
def test_an_unreadable_page_is_asked_again(kind: str) -> None:
    sandbox = Sandbox(orders=45)
    faulty = FaultTransport(
        sandbox.emulator.transport(), script=lambda n, r: kind if n == 2 else None
    )
    with sandbox.connect(faulty) as store:
        refs = _refs(store.orders.list())
    assert sorted(refs) == [str(100001 + i) for i in range(45)]
    assert faulty.injected[kind] == 1


def test_there_is_no_count_to_check_so_none_is_asked_for() -> None:
    sandbox = Sandbox(orders=45)
    with sandbox.connect() as store:
        assert len(_refs(store.orders.list())) == 45
        assert len(_refs(store.customers.list())) == len(sandbox.emulator.state.users)
    assert {r.path for r in sandbox.emulator.requests} == {
        "/api/admin/orders/",
        "/api/admin/users/",
    }


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("https://evil.example/api/admin/orders/?cursor=x", "leaves the store's origin"),
        ("http://acme.29next.store/api/admin/orders/?cursor=x", "leaves the store's origin"),
        ("https://acme.29next.store/api/other/orders/?cursor=x", "leaves the API root"),
        ("https://acme.29next.store/api/admin/orders/?cursor=x&status=open", "other filters"),
        ("not a url at all \x00", "not a URL"),
    ],
)
def test_next_links_are_followed_only_within_the_listing(link: str, problem: str) -> None:
    sandbox = Sandbox(orders=45)

    def redirect(request: Any, body: Any, n: int) -> Any:
        body["next"] = link
        return body

    transport = Rewriting(sandbox.emulator.transport(), _orders_page, redirect)
    with sandbox.connect(transport) as store, pytest.raises(PayloadError) as caught:
        list(store.orders.list())
    assert problem in str(caught.value) and caught.value.path == "$.next"
    assert all(r.url.host == "acme.29next.store" for r in transport.requests)
    assert not any("cursor=x" in str(r.url) for r in transport.requests)


# Day windows ------------------------------------------------------------------------------
@pytest.mark.parametrize("detail", [False, True])
def test_windows_read_the_same_orders_as_one_cursor(detail: bool) -> None:
    sandbox = Sandbox(orders=130)
    with sandbox.connect(in_flight=1) as one:
        truth = _refs(one.orders.list(detail=detail))
    pages_for_one = len(sandbox.emulator.requests)
    with sandbox.connect(in_flight=8) as wide:
        windowed = _refs(wide.orders.list(detail=detail))
    assert Counter(windowed) == Counter(truth) and len(truth) == 130
    listed = [r for r in sandbox.emulator.requests[pages_for_one:] if r.path.endswith("/orders/")]
    assert any("date_placed_from" in r.query or "date_placed_to" in r.query for r in listed)


class _ProbesWaitForDetails(http.BaseTransport):
    """Holds every planning probe (an orders page with a top day and no cursor, after the
    first page) until a detail request has arrived, or ``patience`` seconds have passed."""

    def __init__(self, inner: Any, patience: float) -> None:
        self.inner = inner
        self.patience = patience
        self.detail_sent = threading.Event()
        self.probes_held_in_vain = 0
        self.lists = 0
        self.lock = threading.Lock()

    def handle_request(self, request: http.Request) -> http.Response:
        if request.url.path.startswith("/api/admin/orders/") and request.url.path != (
            "/api/admin/orders/"
        ):
            self.detail_sent.set()
        elif _orders_page(request) and "cursor" not in request.url.params:
            with self.lock:
                self.lists += 1
                probe = self.lists > 1
            if probe and not self.detail_sent.wait(self.patience):
                with self.lock:
                    self.probes_held_in_vain += 1
        response: http.Response = self.inner.handle_request(request)
        return response


def test_the_first_pages_details_do_not_wait_for_the_windows_to_be_planned() -> None:
    # Planning sends probe pages and waits for their answers; the first page's orders are
    # already known, so their details go out meanwhile instead of after the planning.
    sandbox = Sandbox(orders=130)
    transport = _ProbesWaitForDetails(sandbox.emulator.transport(), patience=5.0)
    with sandbox.connect(transport, in_flight=8) as wide:
        refs = _refs(wide.orders.list(detail=True))
    assert Counter(refs) == Counter(str(100001 + i) for i in range(130))
    assert transport.lists > 2, "the listing was not planned in windows"
    assert transport.probes_held_in_vain == 0


def test_at_the_documented_limit_a_short_store_is_read_by_one_cursor() -> None:
    # 4 requests a second with a bucket of 4 and answers at once: one request in flight
    # already reaches the limit, so planning windows would only spend requests.
    sandbox = Sandbox(orders=40)
    options = sandbox.time.options(rate_limit=storebridge.RateLimit(per_second=4, burst=4))
    with storebridge.connect(
        "29next", transport=sandbox.emulator.transport(), options=options, **sandbox.settings
    ) as store:
        refs = _refs(store.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(40))
    assert len(sandbox.emulator.requests) == 2  # two pages of 20, no probes


def _cursor_page(request: Any) -> bool:
    # A page of the whole listing's own cursor (windows' pages carry a top day).
    params = request.url.params
    return _orders_page(request) and "cursor" in params and "date_placed_to" not in params


@pytest.mark.parametrize("orders", [21, 40])
@pytest.mark.parametrize("detail", [False, True])
def test_a_listing_of_two_pages_ends_on_its_cursor_without_windows(
    orders: int, detail: bool
) -> None:
    # The cursor's second page is read with the first probes; when it has no next link the
    # listing is complete, as a one-cursor read would find it, and no window is read.
    sandbox = Sandbox(orders=orders)
    with sandbox.connect(in_flight=8) as wide:
        refs = _refs(wide.orders.list(detail=detail))
    assert Counter(refs) == Counter(str(100001 + i) for i in range(orders))
    lists = [r for r in sandbox.emulator.requests if r.path.endswith("/orders/")]
    assert len(lists) <= 2 + PROBES  # the two pages and one round of probes
    assert sum("cursor" in r.query for r in lists) == 1


def test_a_longer_listing_still_reads_windows_after_its_cursor_pages() -> None:
    sandbox = Sandbox(orders=130)
    transport = Rewriting(sandbox.emulator.transport(), _cursor_page, lambda r, body, n: body)
    with sandbox.connect(transport, in_flight=8) as wide:
        refs = _refs(wide.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(130))
    assert 1 <= transport.seen <= 2  # pages 2 and 3 at most, while planning
    listed = [r for r in transport.requests if _orders_page(r)]
    assert sum("date_placed_to" in r.url.params for r in listed) > PROBES  # probes + windows


@pytest.mark.parametrize(
    "answer",
    [
        {"next": None, "previous": None, "results": []},  # a cache's empty page
        {"results": "unreadable"},
    ],
    ids=["empty-without-previous", "wrong-shape"],
)
def test_a_second_page_that_is_never_right_is_read_by_the_windows(answer: Any) -> None:
    # The cursor's second page refused every time it is asked: the facade gives up on it
    # alone, and the windows read its records; the listing neither ends early nor fails.
    sandbox = Sandbox(orders=40)
    transport = Rewriting(sandbox.emulator.transport(), _cursor_page, lambda r, b, n: answer)
    with sandbox.connect(transport, in_flight=8) as wide:
        refs = _refs(wide.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(40))
    assert transport.seen > 1  # asked again before giving up


def test_a_stale_second_page_read_with_the_probes_is_asked_again() -> None:
    sandbox = Sandbox(orders=40)
    pages: dict[str, Any] = {}

    def stale_once(request: Any, body: Any, n: int) -> Any:
        if "cursor" not in request.url.params:
            pages.setdefault("first", body)
            return body
        pages["cursor"] = pages.get("cursor", 0) + 1
        return pages["first"] if pages["cursor"] == 1 else body  # page 1 again, once

    transport = Rewriting(sandbox.emulator.transport(), _orders_page, stale_once)
    with sandbox.connect(transport, in_flight=8) as wide:
        refs = _refs(wide.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(40))
    assert sum("cursor" in r.url.params for r in transport.requests) == 2


class _ProbesFail(http.BaseTransport):
    """Answers every planning probe (an orders page with a top day, no cursor) with a 500;
    the rest as the inner transport does."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.refused = 0

    def handle_request(self, request: http.Request) -> http.Response:
        params = request.url.params
        if _orders_page(request) and "date_placed_to" in params and "cursor" not in params:
            self.refused += 1
            return http.Response(500, json={"detail": "down"}, request=request)
        response: http.Response = self.inner.handle_request(request)
        return response


def test_probes_that_fail_do_not_fail_a_listing_its_cursor_finished() -> None:
    # The cursor's second page ended the listing by the walk's own checks: the probes sent
    # beside it are not needed, so their errors are not the listing's.
    sandbox = Sandbox(orders=40)
    transport = _ProbesFail(sandbox.emulator.transport())
    with sandbox.connect(transport, in_flight=8) as wide:
        refs = _refs(wide.orders.list())
    assert Counter(refs) == Counter(str(100001 + i) for i in range(40))
    assert transport.refused >= PROBES


def test_probes_that_fail_a_longer_listing_raise_and_close_its_cursor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import storebridge_29next._listings as listings

    walks: list[Any] = []
    real = vars(listings)["walk_days"]

    def kept(adapter: Any, listing: Any, days: Any) -> Any:
        flow, reader = real(adapter, listing, days)
        walks.append(flow)
        return flow, reader

    monkeypatch.setattr(listings, "walk_days", kept)
    sandbox = Sandbox(orders=130)
    with sandbox.connect(_ProbesFail(sandbox.emulator.transport()), in_flight=8) as wide:
        with pytest.raises(ServerError) as caught:
            list(wide.orders.list())
        # Closed when planning failed, not left for the garbage collector (the error's
        # traceback still holds the frames here).
        assert walks and walks[0].gi_frame is None
    assert caught.value.status == 500


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        # 6 probes fill 6 requests in flight: the cursor's page waits for the finer probes.
        (6, "F" + "P" * 6 + "P" * 7 + "C"),
        # With 8 in flight it goes with each batch of probes.
        (8, "F" + "P" * 6 + "C" + "P" * 7 + "C"),
    ],
)
def test_the_cursors_page_goes_only_where_it_fits_the_round_trip(width: int, expected: str) -> None:
    sandbox = Sandbox(orders=130)
    transport = sandbox.emulator.transport()
    kinds: list[str] = []

    def respond(request: http.Request) -> http.Response:
        params = request.url.params
        cursor, top = "cursor" in params, "date_placed_to" in params
        kinds.append("W" if cursor and top else "C" if cursor else "P" if top else "F")
        response: http.Response = transport.handle_request(request)
        response.read()
        return response

    with sandbox.connect() as store:
        adapter, auth = store.adapter, store.adapter.auth
        assert auth is not None

        def authed(request: http.Request) -> http.Response:
            return respond(next(auth.sync_auth_flow(request)))

        _, items = drive(adapter.list_orders(OrderQuery()), authed, concurrency=width)
    assert len({order.ref for order in items}) == 130
    # The first page, the probes and the cursor's pages, in the order the flow sent them
    # (``drive`` answers a batch's requests in order); then the windows.
    assert "".join(kinds).startswith(expected + "P")


@pytest.mark.parametrize("detail", [False, True])
def test_short_listings_under_mixed_faults_are_exact_or_an_error(detail: bool) -> None:
    outcomes: Counter[str] = Counter()
    for orders in (21, 40, 60):
        truth = [str(100001 + i) for i in range(orders)]
        for seed in range(1, 9):
            sandbox = Sandbox(orders=orders)
            faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=0.2)
            with sandbox.connect(faulty, in_flight=8) as store:
                try:
                    refs = _refs(store.orders.list(detail=detail))
                except StorebridgeError:
                    outcomes["error"] += 1
                    continue
            assert Counter(refs) == Counter(truth), (orders, seed, faulty.injected)
            outcomes["exact"] += 1
    assert outcomes["exact"] >= 12, outcomes


def test_transactions_read_in_windows_and_customers_in_no_date_order_by_one_cursor() -> None:
    sandbox = Sandbox(orders=130, customers=90)
    with sandbox.connect(in_flight=1) as one:
        customers, transactions = _refs(one.customers.list()), _refs(one.transactions.list())
    before = len(sandbox.emulator.requests)
    with sandbox.connect(in_flight=8) as wide:
        assert Counter(_refs(wide.customers.list())) == Counter(customers)
        assert Counter(_refs(wide.transactions.list())) == Counter(transactions)
    sent = sandbox.emulator.requests[before:]
    # The sandbox lists users newest id first, which is no date order: one cursor.
    assert not any("date_joined_to" in r.query for r in sent)
    assert any("date_created_to" in r.query for r in sent)


def test_window_pages_of_another_window_are_refused() -> None:
    sandbox = Sandbox(orders=130)
    first: dict[str, Any] = {}
    swapped: set[str] = set()

    def swap(request: Any, body: Any, n: int) -> Any:
        # A window's first page answered, once, with the first page of another window (what a
        # cache keyed on the path alone would do); asked again, the right page comes.
        params = request.url.params
        if "cursor" in params or "date_placed_to" not in params or not body["results"]:
            return body
        earlier = first.setdefault("body", body)
        url = str(request.url)
        if earlier is not body and url not in swapped:
            swapped.add(url)
            return earlier
        return body

    with sandbox.connect(Rewriting(sandbox.emulator.transport(), _orders_page, swap),
                         in_flight=8) as store:  # fmt: skip
        refs = _refs(store.orders.list())
    assert swapped
    assert Counter(refs) == Counter(str(100001 + i) for i in range(130))


@pytest.mark.parametrize("resource", ["orders", "orders with details", "customers", "transactions"])
def test_windows_under_mixed_faults_are_exact_or_an_error(resource: str) -> None:
    # With details, the first page's details are fetched while the windows are planned.
    name, _, detail = resource.partition(" with ")

    def listing(store: storebridge.Store) -> Any:
        found = getattr(store, name)
        return found.list(detail=True) if detail else found.list()

    outcomes: Counter[str] = Counter()
    truth: list[str] | None = None
    for rate in (0.1, 0.3):
        for seed in range(1, 7):
            sandbox = Sandbox(orders=90, customers=70)
            if truth is None:
                with sandbox.connect(in_flight=1) as one:
                    truth = _refs(listing(one))
            faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
            with sandbox.connect(faulty, in_flight=8) as store:
                try:
                    refs = _refs(listing(store))
                except StorebridgeError:
                    outcomes[f"error@{rate}"] += 1
                    continue
            assert Counter(refs) == Counter(truth), (resource, rate, seed, faulty.injected)
            outcomes[f"exact@{rate}"] += 1
    assert outcomes["exact@0.1"] >= 4, outcomes


def test_slices_override_the_plan_and_one_slice_reads_one_cursor() -> None:
    sandbox = Sandbox(orders=60)
    with sandbox.connect(in_flight=8) as store:
        everything = list(store.orders.list(slices=1))
        assert all("date_placed" not in r.query for r in sandbox.emulator.requests)
        stamps = sorted(o.created_at for o in everything if o.created_at)
        start, end = stamps[0], stamps[-1]
        before = len(sandbox.emulator.requests)
        sliced = _refs(store.orders.list(created_since=start, created_until=end, slices=4))
        firsts = [r for r in sandbox.emulator.requests[before:] if "cursor" not in r.query]
        with pytest.raises(ValidationError, match="created_since and created_until") as caught:
            list(store.orders.list(slices=4))
        assert caught.value.field == "slices"
        with pytest.raises(ValidationError):
            list(store.orders.list(slices=0))
    assert Counter(sliced) == Counter(o.ref for o in everything)
    assert len(firsts) == 5  # the first page of the whole range, then four windows


def test_own_date_filters_read_one_cursor() -> None:
    sandbox = Sandbox(orders=60)
    with sandbox.connect(in_flight=8) as store:
        refs = _refs(store.orders.list(date_placed_from="2025-01-01"))
    assert len(refs) == 60
    assert all(r.query.get("date_placed_from") == "2025-01-01" for r in sandbox.emulator.requests)
    assert not any("date_placed_to" in r.query for r in sandbox.emulator.requests)


def test_created_ranges_still_filter_exactly_with_windows() -> None:
    sandbox = Sandbox(orders=130)
    with sandbox.connect(in_flight=1) as one:
        everything = list(one.orders.list())
    stamps = sorted(o.created_at for o in everything if o.created_at)
    since, until = stamps[20], stamps[100]
    with sandbox.connect(in_flight=8) as wide:
        window = _refs(wide.orders.list(created_since=since, created_until=until))
    expected = [o.ref for o in everything if o.created_at and since <= o.created_at <= until]
    assert Counter(window) == Counter(expected)


@pytest.mark.anyio
@pytest.mark.parametrize("orders", [40, 130])
async def test_windows_in_the_async_facade(orders: int) -> None:
    # 40 orders end on the cursor's second page, read with the probes; 130 read windows.
    sandbox = Sandbox(orders=orders)
    async with storebridge.connect_async(
        "29next",
        transport=sandbox.emulator.transport(),
        options=sandbox.time.options(max_concurrency=8),
        **sandbox.settings,
    ) as store:
        refs = [o.ref async for o in store.orders.list(detail=True)]
    assert Counter(refs) == Counter(str(100001 + i) for i in range(orders))
    lists = [r for r in sandbox.emulator.requests if r.path.endswith("/orders/")]
    assert (len(lists) <= 2 + PROBES) == (orders == 40)


# The planner --------------------------------------------------------------------------------
def test_cut_covers_every_day_once() -> None:
    first, last = date(2025, 1, 1), date(2025, 3, 1)
    windows = cut(first, last, 7)
    assert windows[0].last == last and windows[-1].first == first
    for newer, older in itertools.pairwise(windows):
        assert newer.first is not None and older.last == newer.first - timedelta(days=1)
    assert cut(first, first + timedelta(days=1), 10) == [
        Days(first + timedelta(days=1), first + timedelta(days=1)),
        Days(first, first),
    ]
    shared = cut(first, last, 3, shared=True)
    assert [w.last for w in shared[1:]] == [w.first for w in shared[:-1]]


def test_windows_must_join_up_into_one_chain() -> None:
    day = date(2025, 1, 31)
    windows = [Window(day, day), Window(day, day), Window(day, None)]
    windows[0].first, windows[0].below = "a", "c"
    windows[1].first, windows[1].below = "c", "f"
    windows[2].first, windows[2].below = "f", None
    assert _unjoined(windows, "a") == []
    windows[1].first = None  # answered empty, though the window above saw "c" under it
    assert _unjoined(windows, "a") == [windows[0], windows[1]]
    windows[1].below = None  # ...and so the one below, empty too, is in doubt as well
    windows[2].first = None
    assert _unjoined(windows, "a") == [windows[0], windows[1], windows[2]]
    windows[1].below, windows[2].first = "f", "f"
    windows[1].first = "c"
    windows[2].below = "z"  # the last window must read to the end
    assert _unjoined(windows, "a") == [windows[2]]
    assert _unjoined(windows, "b") == [windows[0], windows[2]]


def test_windows_share_the_pages_evenly_in_whole_waves() -> None:
    top = date(2025, 6, 30)
    stretches: list[tuple[date, date | None, float]] = [
        (top, top - timedelta(days=9), 10.0),  # a page a day
        (top - timedelta(days=10), top - timedelta(days=99), 9.0),  # a page in ten days
        (top - timedelta(days=100), None, 1.0),  # the rest, read to the end
    ]
    assert _count(20.0, 4) == 4 and _count(200.0, 4) == 16 and _count(2.0, 16) == 3
    tops = _tops(stretches, 4)
    assert tops == [top, top - timedelta(days=5), top - timedelta(days=10),
                    top - timedelta(days=60)]  # fmt: skip


def test_only_pages_newest_first_are_cut_into_windows() -> None:
    def page(*days: int) -> list[Payload]:
        return [
            Payload({"id": i, "date_placed": f"2025-01-{d:02d}T10:00:00+00:00"})
            for i, d in enumerate(days)
        ]

    assert newest_first(page(9, 7, 7, 3, 3), "date_placed", "id") == (date(2025, 1, 3), "3")
    assert newest_first(page(3, 7, 9), "date_placed", "id") is None
    assert newest_first(page(9, 3, 7), "date_placed", "id") is None
    assert newest_first(page(9), "date_placed", "id") is None


def test_a_platform_that_excludes_a_bound_fails_the_listing_instead_of_missing_days() -> None:
    sandbox = Sandbox(orders=130)

    def exclusive(request: Any, body: Any, n: int) -> Any:
        until = request.url.params.get("date_placed_to")
        if until is not None:
            body["results"] = [r for r in body["results"] if r["date_placed"][:10] != until]
        return body

    transport = Rewriting(sandbox.emulator.transport(), _orders_page, exclusive)
    with sandbox.connect(transport, in_flight=8) as store:
        with pytest.raises(PaginationError, match="did not join up"):
            list(store.orders.list())


def test_an_empty_answer_for_a_window_is_read_again() -> None:
    sandbox = Sandbox(orders=130)
    emptied: set[str] = set()

    def empty_once(request: Any, body: Any, n: int) -> Any:
        url = str(request.url)
        if "date_placed_to" in request.url.params and body["results"] and url not in emptied:
            emptied.add(url)
            return {"next": None, "previous": None, "results": []}
        return body

    transport = Rewriting(sandbox.emulator.transport(), _orders_page, empty_once)
    with sandbox.connect(transport, in_flight=8) as store:
        refs = _refs(store.orders.list())
    assert len(emptied) > 2
    assert Counter(refs) == Counter(str(100001 + i) for i in range(130))
