"""24Nettbutikk listings: path paging on the shop's links, read-ahead, and every way a page
can go wrong ending in exactly the records or an error, never a short listing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import PaginationError, PayloadError, StorebridgeError
from storebridge.flow import validate_answer
from storebridge.kit import Batch, Collect, OrderQuery, Start, Ticket, drive
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport
from storebridge_24nettbutikk import NettbutikkEmulator
from storebridge_24nettbutikk._joins import BATCH_ROUNDS
from storebridge_24nettbutikk._paging import SHOP_PAGE_CAP
from tests.adapters.nettbutikk.shop import (
    SHOP,
    START,
    adapter,
    clock_of,
    emulator,
    list_paths,
    responder,
    store_on,
)

API = SHOP + "/api/v1"


def row(order_no: str, **changes: Any) -> dict[str, Any]:
    # Changed in the order of their numbers: lists kept oldest change first, as the API's
    # clients document (rows that never rise may be kept newest first: the head is then
    # read again, see test_newest_first.py).
    minute = int(order_no) % 60 if order_no.isdigit() else 0
    body: dict[str, Any] = {
        "order_no": order_no, "customer_id": None, "status": "1", "paid": "0",
        "currency": "NOK", "total_amount_gross": "100.00",
        "modified_on": f"2026-01-01 10:{minute:02d}:00", "order_lines": [],
    }  # fmt: skip
    body.update(changes)
    return body


def answer(body: Any, status: int = 200) -> Callable[[_http.Request], _http.Response]:
    def respond(request: _http.Request) -> _http.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return _http.Response(status, content=content, request=request)

    return respond


def offset_of(request: _http.Request) -> int:
    return int(request.url.path.split("/")[5])


def pages(*bodies: dict[str, Any]) -> Callable[[_http.Request], _http.Response]:
    """Page ``n`` of ``bodies`` answers offset ``n`` (a page size of 1); past them, empty."""

    def respond(request: _http.Request) -> _http.Response:
        at = offset_of(request)
        body = bodies[at] if at < len(bodies) else {"data": [], "paging": []}
        return answer(body)(request)

    return respond


def link(limit: int, offset: int, host: str = SHOP) -> str:
    return f"{host}/api/v1/orders/{limit}/{offset}"


PLAIN = {"join_customers": False, "resolve_skus": False, "page_size": 1}


# Links ------------------------------------------------------------------------------------
def test_next_links_are_rebuilt_on_the_configured_host() -> None:
    sent: list[str] = []
    evil = "http://evil.example/api/v1/orders/2/2/5?access_token=x&callback=f"
    respond = pages(
        {"data": [row("1"), row("2")], "paging": {"next": evil}},
        # Asked for from offset 1: pages repeat a row of the one before (OVERLAP).
        {"data": [row("2"), row("3")], "paging": {"prev": "http://evil.example/x"}},
    )

    def recording(request: _http.Request) -> _http.Response:
        sent.append(str(request.url))
        return respond(request)

    _, orders = drive(adapter(**{**PLAIN, "page_size": 2}).list_orders(OrderQuery()), recording,
                      concurrency=1)  # fmt: skip
    assert [o.ref for o in orders] == ["1", "2", "3"]
    # The link's numbers, on our host, without its token or callback, in our window.
    assert sent == [API + "/orders/2/0", API + "/orders/2/1"]
    assert all(url.startswith(API + "/orders/") for url in sent)
    assert not any("evil" in url or "access_token" in url or "callback" in url for url in sent)


@pytest.mark.parametrize("paging", [[], {}, {"prev": "x"}, None, "missing"])
def test_the_walk_ends_without_a_next_link(paging: Any) -> None:
    body: dict[str, Any] = {"data": [row("1")]}
    if paging != "missing":
        body["paging"] = paging
    _, orders = drive(adapter(**PLAIN).list_orders(OrderQuery()), pages(body))
    assert [o.ref for o in orders] == ["1"]


@pytest.mark.parametrize(
    ("next_link", "problem"),
    [
        (link(1, 0), "does not move forward"),  # a link that loops on itself
        (link(1, 5), "past the page"),  # another page's answer (a later one)
        (SHOP + "/api/v1/orders/abc", "limit/offset"),  # not a paging link at all
    ],
)
def test_a_first_page_whose_link_cannot_be_followed_is_refused(
    next_link: str, problem: str
) -> None:
    body = {"data": [row("1")], "paging": {"next": next_link}}
    with pytest.raises(PayloadError, match=problem):
        drive(adapter(**PLAIN).list_orders(OrderQuery()), pages(body))


def test_a_page_of_a_capped_shop_is_followed_from_the_rows_it_served() -> None:
    # Four rows asked for, three served, and a link that would skip the fourth row.
    first = {"data": [row("1"), row("2"), row("3")], "paging": {"next": link(4, 4)}}
    sent: list[int] = []

    def respond(request: _http.Request) -> _http.Response:
        at = offset_of(request)
        sent.append(at)
        if at == 0:
            return answer(first)(request)
        rows = [row(str(n)) for n in range(at + 1, at + 4)]
        return answer({"data": rows, "paging": []})(request)

    settings = {**PLAIN, "page_size": 4}
    _, orders = drive(adapter(**settings).list_orders(OrderQuery()), respond, concurrency=1)
    assert [o.ref for o in orders] == ["1", "2", "3", "4"]
    assert sent == [0, 1]  # from the 3 rows served, less the 2 repeated


@pytest.mark.parametrize("served", [0, 1])
def test_a_page_too_short_to_check_the_next_one_is_refused(served: int) -> None:
    """A page that links onward but holds fewer than 2 rows repeats none of them on the
    next page, so nothing would show rows skipped by its link (an empty first page once
    let the link skip a whole page): an error, never a short listing."""
    first = {"data": [row(str(n + 1)) for n in range(served)], "paging": {"next": link(10, 10)}}
    respond = pages(first)
    with pytest.raises(PaginationError, match="too few to check where the next page starts"):
        drive(adapter(**{**PLAIN, "page_size": 10}).list_orders(OrderQuery()), respond,
              concurrency=1)  # fmt: skip


# Faults through the facade ----------------------------------------------------------------
def script_on(offset: int, kind: str, times: int = 1) -> Callable[[int, _http.Request], str | None]:
    """A fault script: ``kind`` for the first ``times`` requests of the page at ``offset``."""
    left = [times]

    def script(_n: int, request: _http.Request) -> str | None:
        path = request.url.path
        listing = "/orders/" in path and path.count("/") >= 5
        if listing and offset_of(request) == offset and left[0] > 0:
            left[0] -= 1
            return kind
        return None

    return script


@pytest.mark.parametrize("kind", ["stale_page", "truncated", "malformed", "wrong_shape",
                                  "html_200", "reset_after", "server_error"])  # fmt: skip
def test_a_bad_answer_to_page_2_of_3_is_asked_again(kind: str) -> None:
    shop = emulator(orders=9)
    faulty = FaultTransport(shop.transport(), script=script_on(3, kind))
    # One page at a time, so page 1 has certainly been read when page 2 is asked for.
    with store_on(shop, faulty, in_flight=1, page_size=3) as store:
        refs = [o.ref for o in store.orders.list()]
    assert faulty.injected == Counter({kind: 1})
    assert Counter(refs) == Counter(str(o["order_no"]) for o in shop.orders)


@pytest.mark.parametrize(("kind", "error"), [("stale_page", PaginationError),
                                             ("truncated", PayloadError)])  # fmt: skip
def test_a_page_that_stays_bad_ends_in_an_error_not_a_short_listing(
    kind: str, error: type[Exception]
) -> None:
    shop = emulator(orders=9)
    faulty = FaultTransport(shop.transport(), script=script_on(3, kind, times=100))
    with store_on(shop, faulty, in_flight=1, page_size=3) as store, pytest.raises(error):
        list(store.orders.list())
    assert 2 <= faulty.injected[kind] <= 8  # asked again a few times, then gave up


def test_a_page_of_only_rows_already_read_is_asked_again_then_refused() -> None:
    first = {"data": [row("1"), row("2")], "paging": {"next": link(2, 2)}}
    again = {"data": [row("1"), row("2")], "paging": {"prev": link(2, 0), "next": link(2, 3)}}
    calls: Counter[int] = Counter()

    def respond(request: _http.Request) -> _http.Response:
        calls[offset_of(request)] += 1
        return answer(first if offset_of(request) == 0 else again)(request)

    shop_transport = _http.MockTransport(respond)
    with store_on(emulator(), shop_transport, **PLAIN) as store, pytest.raises(PaginationError):
        list(store.orders.list())
    assert calls[1] >= 2


def test_a_record_that_moved_between_pages_is_listed_once() -> None:
    # Order 1 was modified while the listing ran: it moved to the end, and the next page
    # (asked for from 2 rows early, offset 1) shows it again after order 2.
    respond = pages(
        {"data": [row("1"), row("9"), row("5")], "paging": {"next": link(3, 3)}},
        {"data": [row("5"), row("2"), row("1")], "paging": []},
    )
    _, orders = drive(adapter(**{**PLAIN, "page_size": 3}).list_orders(OrderQuery()), respond,
                      concurrency=1)  # fmt: skip
    assert [o.ref for o in orders] == ["1", "9", "5", "2"]


def test_a_page_of_two_rows_that_lost_its_repeated_row_is_refused() -> None:
    # Two rows a page repeat one: order 1 moving to the end shifts order 9 out of the next
    # page, which then cannot prove that nothing slid past: an error, not a short list.
    respond = pages(
        {"data": [row("1"), row("9")], "paging": {"next": link(2, 2)}},
        {"data": [row("2"), row("1")], "paging": []},
    )
    with pytest.raises(PaginationError, match="does not continue the page before it"):
        drive(adapter(**{**PLAIN, "page_size": 2}).list_orders(OrderQuery()), respond,
              concurrency=1)  # fmt: skip


def test_404_means_an_empty_list() -> None:
    shop = emulator(orders=4, empty_list="404")
    with store_on(shop) as store:
        later = store.orders.list(updated_since=shop.clock.utcnow())
        assert list(later) == []
        assert len(list(store.orders.list())) == 4


def test_customers_fall_back_to_the_bare_list_when_paging_is_refused() -> None:
    shop = emulator(customers=7, customer_paging=False)
    with store_on(shop) as store:
        refs = [c.ref for c in store.customers.list()]
    assert sorted(refs) == sorted(str(c["id"]) for c in shop.customers)
    assert [r.path for r in shop.requests if r.method == "GET"][-1] == "/api/v1/customers"


# Read-ahead ---------------------------------------------------------------------------------
def test_read_ahead_follows_the_shops_silent_page_cap() -> None:
    shop = emulator(orders=230, customers=3, products=3)
    assert shop.options.page_cap == SHOP_PAGE_CAP == 50
    a = adapter(join_customers=False, resolve_skus=False, page_size=100)
    _, orders = drive(a.list_orders(OrderQuery()), responder(shop, a), concurrency=4)
    assert len({o.ref for o in orders}) == len(orders) == 230
    # Asked for 100 a page; every guess is at the shop's step of 50 less the 2 rows each page
    # repeats (OVERLAP), four at a time.
    assert list_paths(shop) == ["100/0", *(f"50/{n}" for n in range(48, 384, 48))]


def test_a_windowed_listing_starts_narrow_and_widens() -> None:
    shop = emulator(orders=230, customers=3, products=3)
    a = adapter(join_customers=False, resolve_skus=False, head_check=False)
    since = datetime(2000, 1, 1, tzinfo=UTC)  # every order is inside
    _, orders = drive(a.list_orders(OrderQuery(updated_since=since)), responder(shop, a),
                      concurrency=8)  # fmt: skip
    assert len(orders) == 230
    offsets = [int(p.split("/")[1]) for p in list_paths(shop)]
    # 2 pages in flight, then 4 once 2 are read: 5 pages read, 8 asked for (the 3 guesses
    # in flight past the end are wasted; 8 from the start would waste 7 on a one-page read).
    assert offsets == list(range(0, 384, 48))  # steps of 50 rows less the 2 repeated


def _recorded(flow: Any, log: list[tuple[str, Any]]) -> Any:
    """``flow`` passed through, with each step it sends logged as (kind, what)."""
    value: Any = None
    while True:
        try:
            step = flow.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Collect):
            log.append(("collect", step.ticket))
        elif isinstance(step, Batch) and step.requests:
            log.append(("send", [r.url.path.split("/")[3] for r in step.requests]))
        elif isinstance(step, _http.Request):
            log.append(("send", [step.url.path.split("/")[3]]))
        value = yield step
        if isinstance(step, Start) and isinstance(value, list):
            kinds = {r.url.path.split("/")[3] for r in step.requests}
            log.append(("tickets" if "orders" not in kinds else "pages", value))


def test_lookups_are_in_flight_while_the_next_pages_are_asked_for() -> None:
    # A page's customers and products are started, not waited for: the next page goes out
    # before their answers are collected, so the shop always has requests to answer.
    shop = emulator(orders=40, customers=20, products=6)
    a = adapter(page_size=5)
    log: list[tuple[str, Any]] = []
    _, orders = drive(_recorded(a.list_orders(OrderQuery()), log), responder(shop, a),
                      concurrency=3)  # fmt: skip
    assert len(orders) == len({o.ref for o in orders}) == 40
    # In the listing's own order, as read without any lookups.
    plain = adapter(page_size=5, join_customers=False, resolve_skus=False)
    other = emulator(orders=40, customers=20, products=6)
    _, unjoined = drive(plain.list_orders(OrderQuery()), responder(other, plain))
    assert [o.ref for o in orders] == [o.ref for o in unjoined]
    overlapped = 0
    for i, (kind, what) in enumerate(log):
        if kind != "tickets" or not what:
            continue
        assert all(isinstance(t, Ticket) for t in what)
        collected_at = min(j for j, (k, w) in enumerate(log) if k == "collect" and w in what)
        between = [w for k, w in log[i:collected_at] if k == "send"]
        overlapped += any("orders" in sent for sent in between)
    assert overlapped >= 2, log


def test_a_batch_stays_small_however_wide_the_facade_reads() -> None:
    # Every order a new customer: each page needs ~50 lookups. Read 16 pages at once, a
    # batch would hold 16 pages and ~800 lookups until its last answer came back.
    shop = emulator(orders=600, customers=600, products=600)
    a = adapter(page_size=50)
    respond = responder(shop, a)
    width = 16
    sizes: list[int] = []
    orders: list[Any] = []
    flow = a.list_orders(OrderQuery())
    step = next(flow)
    while True:
        try:
            if isinstance(step, Batch):
                sizes.append(len(step.requests))
                answers = []
                for request in step.requests:
                    response = respond(request)
                    validate_answer(request, response)
                    answers.append(response)
                step = flow.send(answers)
            elif isinstance(step, _http.Request):
                response = respond(step)
                validate_answer(step, response)
                step = flow.send(response)
            elif hasattr(step, "items"):
                orders.extend(step.items)
                step = flow.send(None)
            else:
                step = flow.send(width)
        except StopIteration:
            break
    assert len(orders) == len({o.ref for o in orders}) == 600
    one_page = max(
        len({o.customer.ref for o in chunk if o.customer is not None})
        + len({line.product_ref for o in chunk for line in o.lines if line.product_ref})
        for chunk in (orders[i : i + 50] for i in range(0, 600, 50))
    )
    # What the facade keeps in flight, a few times over, plus one page's own lookups.
    assert max(sizes) <= BATCH_ROUNDS * width + one_page + 1, sizes


def test_query_token_style_reads_ahead_like_basic() -> None:
    # The token in the query string does not stop the guesses: the same pages are asked
    # for, in the same order, as with the token in a header (drive() answers at once, so
    # the order does not depend on threads).
    paths = {}
    for style in ("basic", "query"):
        shop = emulator(orders=30)
        a = adapter(auth_style=style, page_size=5, join_customers=False, resolve_skus=False)
        _, orders = drive(a.list_orders(OrderQuery()), responder(shop, a), concurrency=4)
        assert len({o.ref for o in orders}) == len(orders) == 30
        paths[style] = list_paths(shop)
        tokens = {"access_token" in r.query for r in shop.requests}
        assert tokens == {style == "query"}
    assert paths["query"] == paths["basic"]
    assert len(paths["basic"]) > 6  # read ahead: guesses past the sixth and last page


def test_a_window_reads_the_widened_range_and_keeps_the_exact_one() -> None:
    shop = emulator(orders=20)
    since = shop.clock.utcnow()
    clock_of(shop).advance(60)
    shop.touch("orders", 10_004)
    with store_on(shop, sync_overlap=10**9) as store:  # the shop sends back everything
        changed = [o.ref for o in store.customers.list(updated_since=since)] + [
            o.ref for o in store.orders.list(updated_since=since)
        ]
    assert changed == ["10004"]
    assert all(p.count("/") == 2 for p in list_paths(shop))  # limit/offset/since


def test_customers_and_products_list_completely() -> None:
    shop = emulator(orders=5, customers=13, products=11)
    with store_on(shop, page_size=4) as store:
        customers = [c.ref for c in store.customers.list()]
        products = list(store.products.list())
    assert sorted(customers) == sorted(str(c["id"]) for c in shop.customers)
    assert sorted(p.ref for p in products) == sorted(str(p["id"]) for p in shop.products)
    for product in products:
        record = next(p for p in shop.products if str(p["id"]) == product.ref)
        assert len(product.variants) == max(1, len(record["variants"]))


# Exports under faults and the shop's rate limit, on fake time ------------------------------
def test_a_200_order_export_at_10_percent_faults_is_exact_or_an_error() -> None:
    outcomes: Counter[str] = Counter()
    for seed in range(1, 7):
        shop = emulator(orders=200, customers=100, products=60, seed=4)
        faulty = FaultTransport(shop.transport(), seed=seed, rate=0.1)
        with store_on(shop, faulty) as store:
            try:
                refs = [o.ref for o in store.orders.list()]
            except StorebridgeError:
                outcomes["error"] += 1
                continue
        assert Counter(refs) == Counter(str(o["order_no"]) for o in shop.orders), seed
        assert faulty.injected
        outcomes["exact"] += 1
    assert outcomes["exact"] >= 5, outcomes


def test_the_shops_rate_limit_plays_out_in_fake_time() -> None:
    from storebridge_24nettbutikk import NettbutikkAdapter

    clock = FakeClock(START)
    sandbox = NettbutikkAdapter.sandbox(seed=3, orders=120, clock=clock)
    shop = sandbox.emulator
    assert isinstance(shop, NettbutikkEmulator)
    time = FakeTime(emulator_clock=clock)
    # The sandbox's own settings stay under its limit: no 429 even with every lookup. One
    # request at a time: in fake time a thread's sleep moves the clock for every thread, so
    # requests sent side by side could reach the shop bunched up as they never would.
    options = time.options(max_concurrency=1)
    with storebridge.connect(
        "24nettbutikk", transport=shop.transport(), options=options, **sandbox.settings(SHOP)
    ) as store:
        assert len(list(store.orders.list())) == 120
    assert shop.guard.throttled == 0 and time.now > 1000.0  # the client waited, in fake time
    # A client that ignores the limit meets 429s, retries after them and still gets it all.
    fast = {**sandbox.settings(SHOP), "requests_per_second": 500.0, "burst": 500}
    with storebridge.connect(
        "24nettbutikk",
        transport=shop.transport(),
        options=FakeTime(emulator_clock=clock).options(),
        **fast,
    ) as store:
        assert len(list(store.orders.list())) == 120
    assert shop.guard.throttled > 0


# Lookups (customers, products) under faults -------------------------------------------------
def lookup_script(kind: str, times: int) -> Callable[[int, _http.Request], str | None]:
    """``kind`` for the first ``times`` requests for one customer (the first one asked for)."""
    chosen: list[str] = []
    left = [times]

    def script(_n: int, request: _http.Request) -> str | None:
        path = request.url.path
        if "/customers/" not in path:
            return None
        if not chosen:
            chosen.append(path)
        if path == chosen[0] and left[0] > 0:
            left[0] -= 1
            return kind
        return None

    return script


def joined_orders(store: storebridge.Store) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [
        (o.ref, o.customer.email if o.customer else None, tuple(li.sku or "" for li in o.lines))
        for o in store.orders.list()
    ]


@pytest.mark.parametrize("kind", ["server_error", "truncated", "malformed", "reset_after",
                                  "rate_limited", "timeout_after"])  # fmt: skip
def test_a_bad_answer_to_a_lookup_is_asked_again(kind: str) -> None:
    with store_on(emulator(orders=30, customers=8), in_flight=3, page_size=5) as store:
        clean = joined_orders(store)
    shop = emulator(orders=30, customers=8)
    faulty = FaultTransport(shop.transport(), script=lookup_script(kind, 1))
    with store_on(shop, faulty, in_flight=3, page_size=5) as store:
        assert joined_orders(store) == clean
    assert faulty.injected == Counter({kind: 1})
    assert all(email for _, email, _ in clean)  # every order had its customer filled in


def test_a_lookup_that_stays_bad_ends_the_listing_in_an_error() -> None:
    shop = emulator(orders=30, customers=8)
    faulty = FaultTransport(shop.transport(), script=lookup_script("server_error", 1000))
    seen: list[str] = []
    with store_on(shop, faulty, in_flight=3, page_size=5) as store:
        with pytest.raises(storebridge.errors.ServerError):
            seen.extend(order.ref for order in store.orders.list())
    # Orders before the failing group may have come out; none after it, none twice.
    assert len(seen) == len(set(seen)) < 30


def test_a_deleted_customer_reads_as_no_customer() -> None:
    shop = emulator(orders=30, customers=8)
    inner = shop.transport()
    gone: list[str] = []

    def respond(request: _http.Request) -> _http.Response:
        path = request.url.path
        if "/customers/" in path and (not gone or gone[0] == path):
            gone[:1] = [path]
            return _http.Response(404, content=b'{"message": "Not found"}', request=request)
        return inner.handle_request(request)

    with store_on(shop, _http.MockTransport(respond), in_flight=3, page_size=5) as store:
        orders = list(store.orders.list())
    assert len(orders) == len({o.ref for o in orders}) == 30
    missing = gone[0].rsplit("/", 1)[1]
    owned = [o for o in orders if o.raw and str(o.raw.get("customer_id")) == missing]
    assert owned and all(o.customer is None for o in owned)
    assert any(o.customer is not None for o in orders)


def test_a_lookup_in_flight_for_an_earlier_page_is_not_sent_again() -> None:
    # Two customers for 40 orders: later pages need the lookups the first page started.
    shop = emulator(orders=40, customers=2, products=2)
    a = adapter(page_size=5)
    _, orders = drive(a.list_orders(OrderQuery()), responder(shop, a), concurrency=3)
    assert len(orders) == len({o.ref for o in orders}) == 40
    asked = Counter(r.path for r in shop.requests if "/customers/" in r.path)
    assert asked and set(asked.values()) == {1}, asked
    with_customer = [o for o in orders if o.raw and o.raw.get("customer_id")]
    assert with_customer and all(o.customer is not None for o in with_customer)


def test_a_shop_that_serves_one_row_a_page_is_an_error_not_an_unchecked_listing() -> None:
    """Lists ask for 2 rows a page at least, but a shop capping its pages at 1 row turned
    the page check off: a record modified mid-listing then slid past unseen."""
    shop = emulator(orders=12, page_cap=1)
    with (
        store_on(shop, in_flight=1, page_size=10) as store,
        pytest.raises(PaginationError, match="too few to check where the next page starts"),
    ):
        list(store.orders.list())
