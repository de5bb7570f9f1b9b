"""A change feed's pass uses no answer made before it.

A listing answered from an earlier pass (a cache, a replica far behind) showed the store as
it was: the pass delivered nothing of what changed since, moved its watermark past the
change, and no later pass could see it (lost in silence). Answers are dated (HTTP's
``Date``); one made before the pass (less the overlap) is asked for again, and if it stays
stale the pass raises, with the checkpoint where it was.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

import storebridge
from storebridge import Address
from storebridge._fresh import ASKS, answered_at, fresh_answers
from storebridge.errors import PaginationError
from storebridge.flow import Emit, drive
from storebridge.http import Request, Response
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport

PASS = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _dated(when: datetime) -> dict[str, str]:
    return {"Date": format_datetime(when, usegmt=True), "Content-Type": "application/json"}


def _one_page() -> Generator[Any, Any, None]:
    response = yield Request("GET", "https://shop.example/orders")
    yield Emit([response.json()["n"]])


def _answers(dates: list[datetime]) -> tuple[Any, list[str | None]]:
    asked: list[str | None] = []  # each request's Cache-Control

    def respond(request: Request) -> Response:
        asked.append(request.headers.get("cache-control"))
        when = dates[min(len(asked) - 1, len(dates) - 1)]
        return Response(200, json={"n": len(asked)}, headers=_dated(when), request=request)

    return respond, asked


def test_a_stale_answer_is_asked_for_again() -> None:
    respond, asked = _answers([PASS - timedelta(hours=1), PASS + timedelta(seconds=2)])
    _, items = drive(fresh_answers(_one_page(), PASS, what="orders"), respond)
    assert items == [2]  # the second, fresh answer is the one used
    assert asked == [None, "no-cache"]  # asked again past caches


def test_answers_that_stay_stale_raise() -> None:
    respond, asked = _answers([PASS - timedelta(hours=1)])
    with pytest.raises(PaginationError, match="raise overlap") as caught:
        drive(fresh_answers(_one_page(), PASS, what="orders"), respond)
    assert caught.value.resource == "orders"
    assert len(asked) == ASKS


@pytest.mark.parametrize(
    "date",
    [
        "", "yesterday", "Tue, 99 Foo 2026 00:00:00 GMT",
        "Mon, 01 Jan 99999999999 00:00:00 GMT",  # OverflowError inside the parser
    ],
)  # fmt: skip
def test_an_answer_without_a_readable_date_is_taken_as_it_is(date: str) -> None:
    def respond(request: Request) -> Response:
        return Response(200, json={"n": 1}, headers={"Date": date}, request=request)

    _, items = drive(fresh_answers(_one_page(), PASS, what="orders"), respond)
    assert items == [1]


def test_sandbox_answers_are_dated_by_the_sandbox_clock() -> None:
    clock = FakeClock(PASS)
    kit = adapter_class("shopline").sandbox(seed=3, clock=clock, orders=2)
    response = kit.emulator.transport().handle_request(
        Request("GET", "https://shop.example/admin/openapi/v20260301/orders.json")
    )
    assert answered_at(response) == PASS


@pytest.mark.parametrize("platform", ["24nettbutikk", "shopline"])
def test_a_stale_first_page_in_the_next_pass_loses_nothing(platform: str) -> None:
    clock = FakeClock()
    kit = adapter_class(platform).sandbox(seed=3, clock=clock, orders=6, customers=2,
                                          products=2)  # fmt: skip
    stale = {"on": False}

    def script(_n: int, request: Any) -> str | None:
        path = request.url.path
        if stale["on"] and request.method == "GET" and "/orders" in path and "count" not in path:
            stale["on"] = False
            return "stale_page"
        return None

    faulty = FaultTransport(kit.emulator.transport(), script=script)
    options = FakeTime(emulator_clock=clock).options()
    settings = kit.settings("https://shop.example")

    def connect(transport: Any) -> storebridge.Store:
        return storebridge.connect(platform, transport=transport, options=options, **settings)

    with connect(faulty) as store:
        feed = store.changes("orders", since=clock.utcnow() - timedelta(days=3000),
                             now=clock.utcnow)  # fmt: skip
        assert len(list(feed)) == 6
        checkpoint = feed.checkpoint
        order = next(iter(store.orders.list()))
    clock.advance(3600)
    with connect(kit.emulator.transport()) as clean:
        if platform == "24nettbutikk":
            kit.emulator.touch("orders", order.ref)  # type: ignore[attr-defined]
        else:
            address = Address(line1="Storgata 1", city="Oslo", postal_code="0155", country="NO")
            clean.orders.update_shipping_address(order.ref, address)
    clock.advance(3600)  # the next hourly pass, its first page answered from the last one
    stale["on"] = True
    with connect(faulty) as store:
        delivered = [c.ref for c in store.changes("orders", since=checkpoint, now=clock.utcnow)]
    assert faulty.injected["stale_page"] == 1
    assert delivered == [order.ref]


def test_a_platform_clock_far_behind_is_an_error_not_a_silent_pass() -> None:
    store_clock = FakeClock()
    kit = adapter_class("shopline").sandbox(seed=3, clock=store_clock, orders=3)
    ahead = lambda: store_clock.utcnow() + timedelta(hours=2)  # noqa: E731 - our clock
    with storebridge.connect(
        "shopline", transport=kit.emulator.transport(),
        options=FakeTime(emulator_clock=store_clock).options(),
        **kit.settings("https://shop.example"),
    ) as store:  # fmt: skip
        with pytest.raises(PaginationError, match="clock behind ours by more than the overlap"):
            list(store.changes("orders", since=store_clock.utcnow() - timedelta(days=9),
                               now=ahead))  # fmt: skip
