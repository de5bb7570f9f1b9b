"""SHOPLINE cursor walks convert a page while the request for the next one is on its way.

The walk's own checks and error handling see every answer as if it had sent the request
itself: an answer, or the error that came back in its place, thrown into the walk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

from storebridge import StorebridgeError
from storebridge.errors import ServerError
from storebridge.flow import Emit, Start, build_request, drive
from storebridge.http import Request, Response
from storebridge.testing import FaultTransport
from storebridge_shopline._paging import _converted_ahead
from tests.adapters.shopline.support import world


def _pages(count: int, seen: list[Any]) -> Generator[Any, Any, None]:
    """A walk of ``count`` pages: each request's answer becomes one page of one row."""
    for number in range(count):
        try:
            response = yield build_request("GET", f"https://shop.test/{number}", operation="t")
            seen.append(response.status_code)
        except ServerError as error:
            seen.append(error.status)
        yield Emit([number])


def test_a_page_is_converted_while_the_next_request_is_on_its_way() -> None:
    sent: list[str] = []
    converted_after: list[int] = []

    def respond(request: Request) -> Response:
        sent.append(str(request.url))
        return Response(200, json={}, request=request)

    def convert(rows: Any) -> list[Any]:
        converted_after.append(len(sent))
        return [f"item {row}" for row in rows]

    seen: list[Any] = []
    _, items = drive(_converted_ahead(_pages(3, seen), convert), respond)
    assert items == ["item 0", "item 1", "item 2"]  # in the walk's order
    # Page 1 is converted once request 2 is out, page 2 once request 3 is; the last page
    # has nothing after it.
    assert converted_after == [2, 3, 3] and seen == [200, 200, 200]


def test_the_next_request_goes_out_as_a_started_request() -> None:
    flow = _converted_ahead(_pages(2, []), lambda rows: list(rows))
    first = next(flow)
    assert isinstance(first, Request)
    step = flow.send(Response(200, json={}, request=first))
    assert isinstance(step, Start) and len(step.requests) == 1
    assert str(step.requests[0].url) == "https://shop.test/1"
    flow.close()


def test_an_error_in_place_of_the_next_answer_is_thrown_into_the_walk() -> None:
    def respond(request: Request) -> Response:
        status = 503 if str(request.url).endswith("/1") else 200
        return Response(status, json={}, request=request)

    seen: list[Any] = []
    _, items = drive(_converted_ahead(_pages(3, seen), lambda rows: list(rows)), respond)
    assert items == [0, 1, 2] and seen == [200, 503, 200]


def test_windows_read_ahead_are_exact_or_an_error_under_faults() -> None:
    # Stale pages, resets, truncated and malformed bodies, 5xx, 429, timeouts: each window's
    # next page is already asked for when a fault hits the one before, or the next itself.
    w = world(orders=900, rate_limit=False)
    everything = Counter(list(w.emulator.orders))
    exact = 0
    for seed in (7, 8, 9):
        faulty = FaultTransport(w.emulator.transport(), seed=seed, rate=0.2)
        try:
            with w.connect(transport=faulty, options=w.options(max_concurrency=8)) as store:
                refs = [order.ref for order in store.orders.list(page_size=20)]
        except StorebridgeError:
            continue
        assert sum(faulty.injected.values()) >= 5
        assert Counter(refs) == everything, faulty.injected
        exact += 1
    assert exact >= 1
