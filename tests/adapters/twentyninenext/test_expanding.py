"""29 Next full orders by one cursor, read through one window of requests: the next page is
asked for while a page's details are on the wire, never more in flight than the facade's
number, and every order exactly once in the cursor's order, or an error.

Day windows are off here (the store setting's default), so every listing is one cursor.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

import storebridge
from storebridge import StorebridgeError, http
from storebridge.testing import FaultTransport
from storebridge_29next._expanding import PAGES_AHEAD
from tests.adapters.twentyninenext.support.sandbox import Sandbox

ORDERS = 130  # 7 pages of 20
TRUTH = [str(100001 + i) for i in range(ORDERS)]


class Slow(http.BaseTransport):
    """``inner`` with every answer taking ``seconds``, recording each request's path in the
    order sent and the most requests ever in flight at once."""

    def __init__(self, inner: Any, seconds: float = 0.004) -> None:
        self.inner, self.seconds = inner, seconds
        self.sent: list[str] = []
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def handle_request(self, request: http.Request) -> http.Response:
        with self._lock:
            self.sent.append(str(request.url.path) + ("?" if request.url.query else ""))
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.seconds)
            response: http.Response = self.inner.handle_request(request)
            return response
        finally:
            with self._lock:
                self.now -= 1


def _connect(sandbox: Sandbox, transport: Any, in_flight: int) -> storebridge.Store:
    return sandbox.connect(transport, in_flight=in_flight, day_windows=False)


def test_full_orders_come_once_each_in_the_cursors_order() -> None:
    sandbox = Sandbox(orders=ORDERS)
    with _connect(sandbox, sandbox.emulator.transport(), 1) as store:
        one_at_a_time = [o.ref for o in store.orders.list(detail=True)]
    with _connect(sandbox, Slow(sandbox.emulator.transport()), 8) as store:
        windowed = [o.ref for o in store.orders.list(detail=True)]
    assert sorted(one_at_a_time) == sorted(TRUTH)
    assert windowed == one_at_a_time


def test_the_next_page_is_asked_for_while_the_details_before_it_are_out() -> None:
    sandbox = Sandbox(orders=ORDERS)
    slow = Slow(sandbox.emulator.transport())
    with _connect(sandbox, slow, 8) as store:
        orders = list(store.orders.list(detail=True))
    assert len(orders) == ORDERS
    pages = [i for i, path in enumerate(slow.sent) if path == "/api/admin/orders/?"]
    page_one = {f"/api/admin/orders/{order.ref}/" for order in orders[:20]}
    first_page_details = [i for i, path in enumerate(slow.sent) if path in page_one]
    assert len(pages) == ORDERS // 20  # pages 2 to 7, each asked for once
    assert len(first_page_details) == 20
    # Page 2 goes out before the last of page 1's details (read in turn: after all of them).
    assert pages[0] < max(first_page_details)
    assert slow.peak <= 8


@pytest.mark.parametrize("in_flight", [2, 5])
def test_never_more_in_flight_than_the_facades_number(in_flight: int) -> None:
    sandbox = Sandbox(orders=ORDERS)
    slow = Slow(sandbox.emulator.transport())
    with _connect(sandbox, slow, in_flight) as store:
        assert sorted(o.ref for o in store.orders.list(detail=True)) == TRUTH
    assert 1 < slow.peak <= in_flight


def test_leaving_early_stops_reading_ahead() -> None:
    sandbox = Sandbox(orders=ORDERS)
    with _connect(sandbox, sandbox.emulator.transport(), 1) as store:
        first_five = [o.ref for o in store.orders.list(detail=True)][:5]
    slow = Slow(sandbox.emulator.transport())
    with _connect(sandbox, slow, 8) as store:
        listing = iter(store.orders.list(detail=True))
        taken = [next(listing).ref for _ in range(5)]
        listing.close()  # type: ignore[attr-defined]
        sent = len(slow.sent)
        assert taken == first_five
        time.sleep(0.05)
        assert len(slow.sent) == sent  # nothing more goes out once it is closed
    # At most the pages expanding at once and their details, never the whole store.
    assert sent <= 1 + (PAGES_AHEAD + 1) * 21


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_full_orders_under_mixed_faults_are_exact_or_an_error(rate: float) -> None:
    outcomes: Counter[str] = Counter()
    for seed in range(1, 7):
        sandbox = Sandbox(orders=ORDERS)
        faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
        with _connect(sandbox, faulty, 8) as store:
            try:
                refs = [o.ref for o in store.orders.list(detail=True)]
            except StorebridgeError:
                outcomes["error"] += 1
                continue
        assert Counter(refs) == Counter(TRUTH), (rate, seed, faulty.injected)
        outcomes["exact"] += 1
    assert outcomes["exact"] >= (4 if rate == 0.1 else 1), outcomes


@pytest.mark.anyio
async def test_the_async_facade_reads_full_orders_the_same_way() -> None:
    sandbox = Sandbox(orders=ORDERS)
    faulty = FaultTransport(sandbox.emulator.transport(), seed=3, rate=0.1)
    async with storebridge.connect_async(
        "29next",
        transport=faulty,
        options=sandbox.time.options(max_concurrency=8),
        **{**sandbox.settings, "day_windows": False},
    ) as store:
        refs = [o.ref async for o in store.orders.list(detail=True)]
    assert Counter(refs) == Counter(TRUTH)


class FailingPages(http.BaseTransport):
    """``inner``, with every page after the first answered 500 (after the retries too)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: http.Request) -> http.Response:
        if "cursor" in request.url.params:
            return http.Response(500, json={"detail": "injected"}, request=request)
        response: http.Response = self.inner.handle_request(request)
        return response


@pytest.mark.parametrize("in_flight", [1, 8])
def test_a_page_that_fails_comes_after_the_pages_before_it(in_flight: int) -> None:
    # As read in turn: the first page's orders are handed on, then page 2's error.
    sandbox = Sandbox(orders=ORDERS)
    handed: list[str] = []
    with _connect(sandbox, FailingPages(sandbox.emulator.transport()), in_flight) as store:
        with pytest.raises(StorebridgeError) as raised:
            handed.extend(order.ref for order in store.orders.list(detail=True))
    assert len(handed) == 20
    assert type(raised.value).__name__ == "ServerError"
