"""Records moving while a 24Nettbutikk listing reads, in the cases a repeated key alone
did not catch: the repeated row itself moved to the end (a last page then shows it there),
and pages read ahead answered before the page in front of them (a record moved in between
was on neither). Each is a listing of every record once, or a PaginationError."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import PaginationError
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

ORDERS = 60  # two pages of 50: offsets 0 and 48


class Shop:
    """A sandbox shop of :data:`ORDERS` orders whose ``before(offset)`` and
    ``after(offset)`` hooks run around serving each order page."""

    def __init__(self, **options: Any) -> None:
        self.clock = FakeClock()
        self.kit = adapter_class("24nettbutikk").sandbox(
            seed=3, clock=self.clock, orders=ORDERS, customers=3, products=3, **options
        )
        self.emulator: Any = self.kit.emulator
        self._inner = self.emulator.transport()
        self.touched: list[str] = []

    def in_order(self) -> list[str]:
        records = self.emulator.state.table("orders").records
        ordered = sorted(records, key=lambda r: (r["modified"], int(r["order_no"])))
        return [str(r["order_no"]) for r in ordered]

    def touch(self, *places: int) -> None:
        """Modify the orders at these places of the list (they move to its end)."""
        order = self.in_order()
        self.clock.advance(1)
        for place in places:
            self.emulator.touch("orders", order[place])
            self.touched.append(order[place])

    def before(self, offset: int) -> None:
        pass

    def after(self, offset: int) -> None:
        pass

    @staticmethod
    def offset(request: _http.Request) -> int | None:
        parts = request.url.path.split("/")  # /api/v1/orders/{limit}/{offset}
        return int(parts[5]) if len(parts) > 5 and parts[3] == "orders" else None

    def handle(self, request: _http.Request) -> _http.Response:
        offset = self.offset(request)
        if offset is not None:
            self.before(offset)
        response = self._inner.handle_request(request)
        if offset is not None:
            self.after(offset)
        return response

    def settings(self) -> dict[str, Any]:
        settings = self.kit.settings("https://shop.example")
        settings.update(join_customers=False, resolve_skus=False)
        return settings

    def options(self, in_flight: int) -> storebridge.StoreOptions:
        return FakeTime(emulator_clock=self.clock).options(max_concurrency=in_flight)

    def listing(self, in_flight: int) -> list[str]:
        transport = _http.MockTransport(self.handle)
        options = self.options(in_flight)
        with storebridge.connect(
            "24nettbutikk", transport=transport, options=options, **self.settings()
        ) as store:
            return [o.ref for o in store.orders.list()]

    async def handle_async(self, request: _http.Request) -> _http.Response:
        return self.handle(request)

    def listing_async(self, in_flight: int) -> list[str]:
        async def run() -> list[str]:
            async with storebridge.connect_async(
                "24nettbutikk",
                transport=_http.MockTransport(self.handle_async),
                options=self.options(in_flight),
                **self.settings(),
            ) as store:
                return [o.ref async for o in store.orders.list()]

        return asyncio.run(run())


class MovesAfterTheFirstPage(Shop):
    def __init__(self, places: tuple[int, ...]) -> None:
        super().__init__()
        self.places = places

    def after(self, offset: int) -> None:
        if offset == 0 and not self.touched:
            self.touch(*self.places)


@pytest.mark.parametrize(
    "places",
    [(10,), (48,), (49,), (10, 48), (10, 20, 48), (10, 20, 49), (48, 49), (10, 48, 49)],
)
def test_moves_that_take_a_repeated_row_along_list_exactly_or_raise(
    places: tuple[int, ...],
) -> None:
    """(10, 20, 48): three moves, the third of the first page's repeated rows. It is then
    on the last page, at its end, while the record that slid past the boundary is on no
    page: the listing ended one order short before."""
    shop = MovesAfterTheFirstPage(places)
    truth = set(shop.in_order())
    if len(places) == 1:  # one move between two pages is read through
        assert sorted(shop.listing(in_flight=1)) == sorted(truth)
        return
    try:
        listed = shop.listing(in_flight=1)
    except PaginationError as exc:
        error = str(exc)
    else:
        assert sorted(listed) == sorted(truth)
        return
    assert "does not continue the page before it" in error


class AnsweredOutOfTurn(Shop):
    """The first page is answered only once the second was, and an order on the first
    page is modified in between: it moves to the end, which was already read."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.second_answered = threading.Event()
        self.first_held = False

    def before(self, offset: int) -> None:
        if offset == 0 and not self.first_held:
            self.first_held = True
            assert self.second_answered.wait(10), "the second page was never asked for"
            self.touch(10)

    def after(self, offset: int) -> None:
        if offset == 48:
            self.second_answered.set()

    async def handle_async(self, request: _http.Request) -> _http.Response:
        # The event loop's own thread serves every request: wait without blocking it.
        if self.offset(request) == 0 and not self.first_held:
            self.first_held = True
            for _ in range(1000):
                if self.second_answered.is_set():
                    break
                await asyncio.sleep(0.01)
            assert self.second_answered.is_set(), "the second page was never asked for"
            self.touch(10)
        return self.handle(request)


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_page_read_ahead_and_answered_first_is_asked_again(api: str) -> None:
    shop = AnsweredOutOfTurn()
    truth = set(shop.in_order())
    listed = shop.listing(in_flight=4) if api == "sync" else shop.listing_async(in_flight=4)
    assert shop.touched, "the shop was to modify an order between the two answers"
    assert sorted(listed) == sorted(truth)  # the moved order 10 too, once


class NewestFirst(Shop):
    def __init__(self) -> None:
        super().__init__(sort="newest")

    def after(self, offset: int) -> None:
        if offset == 0 and not self.touched:
            oldest = self.in_order()[0]  # newest first: the last row of the last page
            self.clock.advance(1)
            self.emulator.touch("orders", oldest)
            self.touched.append(oldest)


def test_a_list_kept_newest_first_that_changes_is_listed_exactly() -> None:
    """A modified record jumps to the front, onto a page already read: the repeated rows
    then stand further back on the next page. That raised; the walk now accepts it for a
    list whose rows came newest first, and the modified record is read with the head of the
    list afterwards (test_newest_first.py)."""
    shop = NewestFirst()
    truth = set(shop.in_order())
    listed = shop.listing(in_flight=1)
    assert shop.touched[0] in listed
    assert sorted(listed) == sorted(truth)
