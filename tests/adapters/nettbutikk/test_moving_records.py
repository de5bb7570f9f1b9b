"""Records modified while a 24Nettbutikk listing reads them.

The shop keeps its lists in order of change and pages them by offset. A record ahead of
the page being read that is modified moves to the end, and every record behind it moves
one place forward: the record at the next page's boundary slid onto a page already read
and was never listed, while the listing (and a change feed's pass, whose watermark then
passed it for good) ended normally. Each page now repeats the last two rows of the one
before it: one such move between two pages is read through, more raise PaginationError.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import PaginationError
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

KEYS = {"orders": "order_no", "products": "id", "customers": "id"}


class EditingShop:
    """A sandbox shop that modifies its ``edits`` oldest records of ``resource`` right
    after it served the ``after``-th page of a listing of them."""

    def __init__(self, resource: str, *, edits: int = 1, after: int = 1) -> None:
        self.resource, self.edits, self.after = resource, edits, after
        self.clock = FakeClock()
        sizes = {"orders": 3, "customers": 3, "products": 3, resource: 200}
        self.kit = adapter_class("24nettbutikk").sandbox(seed=3, clock=self.clock, **sizes)
        self.emulator: Any = self.kit.emulator
        self._inner = self.emulator.transport()
        self.pages = 0
        self.edited: list[str] = []

    def records(self) -> set[str]:
        return {
            str(r[KEYS[self.resource]]) for r in self.emulator.state.table(self.resource).records
        }

    def handle(self, request: _http.Request) -> _http.Response:
        response = self._inner.handle_request(request)
        if request.method == "GET" and f"/{self.resource}/" in request.url.path:
            self.pages += 1
            if self.pages == self.after and not self.edited:
                self._edit()
        return response

    def _edit(self) -> None:
        key = KEYS[self.resource]
        table = self.emulator.state.table(self.resource).records
        oldest = sorted(table, key=lambda r: (r["modified"], int(r[key])))[: self.edits]
        self.clock.advance(1)
        for record in oldest:
            self.emulator.touch(self.resource, record[key])
            self.edited.append(str(record[key]))

    def connect(self, page_size: int | None = None, **options: Any) -> storebridge.Store:
        settings = self.kit.settings("https://shop.example")
        if page_size is not None:
            settings["page_size"] = page_size
        fake = FakeTime(emulator_clock=self.clock)
        return storebridge.connect("24nettbutikk", transport=_http.MockTransport(self.handle),
                                   options=fake.options(**options), **settings)  # fmt: skip


@pytest.mark.parametrize("resource", ["orders", "products", "customers"])
@pytest.mark.parametrize("in_flight", [1, 4])
@pytest.mark.parametrize("after", [1, 2])
def test_a_record_modified_ahead_of_the_read_shifts_nothing_past_it(
    resource: str, in_flight: int, after: int
) -> None:
    shop = EditingShop(resource, after=after)
    with shop.connect(max_concurrency=in_flight) as store:
        listed = [r.ref for r in getattr(store, resource).list()]
    assert shop.edited, "the shop was to modify a record during the listing"
    assert sorted(listed) == sorted(shop.records())  # every record, once


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("after", [1, 2, 3])
def test_small_pages_list_exactly_or_raise(page_size: int, after: int) -> None:
    """Pages of few rows repeat fewer of them (all but one): one move may then be an
    error, never a short listing. A page size of 1 is asked for as 2 (nothing to repeat)."""
    shop = EditingShop("orders", after=after)
    listed: list[str] = []
    error: PaginationError | None = None
    with shop.connect(page_size=page_size, max_concurrency=1) as store:
        try:
            listed = [o.ref for o in store.orders.list()]
        except PaginationError as exc:
            error = exc
    assert shop.edited
    if error is not None:
        assert "does not continue the page before it" in str(error)
    else:
        assert sorted(listed) == sorted(shop.records())


@pytest.mark.parametrize("resource", ["orders", "products"])
def test_more_moves_than_the_pages_repeat_is_an_error_not_a_short_listing(resource: str) -> None:
    shop = EditingShop(resource, edits=3)
    with shop.connect(max_concurrency=1) as store:
        with pytest.raises(PaginationError, match="does not continue the page before it"):
            list(getattr(store, resource).list())
    assert len(shop.edited) == 3


def test_a_change_feed_pass_delivers_the_record_at_the_boundary() -> None:
    shop = EditingShop("products")
    delivered: set[str] = set()
    with shop.connect() as store:
        since = shop.clock.utcnow() - timedelta(days=3000)
        feed = store.changes("products", since=since, now=shop.clock.utcnow)
        delivered |= {change.ref for change in feed}
        checkpoint = feed.checkpoint
        for _ in range(2):
            shop.clock.advance(3600)
            later = store.changes("products", since=checkpoint, now=shop.clock.utcnow)
            delivered |= {change.ref for change in later}
            checkpoint = later.checkpoint
    assert delivered == shop.records()
