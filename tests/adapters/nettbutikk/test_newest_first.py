"""A 24Nettbutikk shop that keeps its lists newest first (the sandbox's ``sort="newest"``).

A record modified while the listing runs jumps to the front, onto a page already read. Alone
that pushes the repeated rows back and the walk raises; with a deletion ahead of the
boundary at the same time the rows stand where they stood and the record was on no page:
the listing came back one order short with no error. The head of the list is now read
again after such a listing (``storebridge_24nettbutikk._newest_first``)."""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import PaginationError, StorebridgeError
from storebridge.kit import Payload
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk._newest_first import ServerClock, rises
from tests.adapters.nettbutikk.test_moving_records_ahead import Shop


class Scripted(Shop):
    """A shop whose ``events[n]`` runs after it served its n-th order page (1-based), and
    which logs the offset of every order page it served."""

    def __init__(self, sort: str = "newest", **options: Any) -> None:
        super().__init__(sort=sort, **options)
        self.events: dict[int, Callable[[], None]] = {}
        self.served: list[int] = []
        self.deleted: set[str] = set()
        self.initial = set(self.in_order())

    def after(self, offset: int) -> None:
        self.served.append(offset)
        event = self.events.get(len(self.served))
        if event is not None:
            event()

    def newest_first(self) -> list[str]:
        return self.in_order()[::-1]

    def jump(self, place: int) -> None:
        """Modify the order at ``place`` of the list (newest first): it moves to the front."""
        self.clock.advance(1)
        key = self.newest_first()[place]
        self.emulator.touch("orders", key)
        self.touched.append(key)

    def delete(self, place: int) -> None:
        key = self.newest_first()[place]
        self.emulator.delete("orders", key)
        self.deleted.add(key)

    def bulk_edit(self, count: int) -> None:
        """Modify the ``count`` oldest orders in one second (they share one ``modified_on``)."""
        self.clock.advance(1)
        for key in self.in_order()[:count]:
            self.emulator.touch("orders", key)

    def listing_through(self, transport: Any, in_flight: int) -> list[str]:
        with storebridge.connect(
            "24nettbutikk", transport=transport, options=self.options(in_flight), **self.settings()
        ) as store:
            return [o.ref for o in store.orders.list()]

    def exact_or(self, error: type[Exception], read: Callable[[], list[str]]) -> str:
        """ "exact" when ``read()`` lists what :meth:`check` asks for, "error" when it
        raises ``error`` (anything else fails the test)."""
        try:
            listed = read()
        except error:
            return "error"
        self.check(listed)
        return "exact"

    def check(self, listed: list[str]) -> None:
        """Every order that existed throughout, once; nothing that never existed."""
        assert Counter(listed).most_common(1)[0][1] == 1, "an order listed twice"
        assert set(listed) <= self.initial
        missing = self.initial - self.deleted - set(listed)
        assert not missing, f"{len(missing)} orders missing: {sorted(missing)}"


def _jump_and_delete(shop: Scripted) -> None:
    # The oldest order (on the last page, not read yet) jumps to the front, and an order
    # on the first page is deleted: the rows at the boundary stay where they were.
    shop.jump(len(shop.newest_first()) - 1)
    shop.delete(5)


@pytest.mark.parametrize("in_flight", [1, 4])
def test_a_change_offset_by_a_deletion_is_read_from_the_head(in_flight: int) -> None:
    shop = Scripted()
    shop.events[1] = lambda: _jump_and_delete(shop)
    listed = shop.listing(in_flight)
    shop.check(listed)  # 59 of 60 before: the order that jumped was on no page
    assert shop.touched[0] in listed
    assert shop.served.count(0) == 2  # the head: read once more, one page


def test_the_async_facade_reads_the_head_again_too() -> None:
    shop = Scripted()
    shop.events[1] = lambda: _jump_and_delete(shop)
    shop.check(shop.listing_async(in_flight=4))
    assert shop.served.count(0) == 2


@pytest.mark.parametrize("sort", ["modified", "key"])
def test_lists_in_other_orders_are_not_read_again(sort: str) -> None:
    shop = Scripted(sort=sort)
    shop.check(shop.listing(in_flight=1))
    assert shop.served == [0, 48]


def test_a_quiet_list_kept_newest_first_costs_one_more_request() -> None:
    shop = Scripted()
    shop.check(shop.listing(in_flight=1))
    assert shop.served == [0, 48, 0]


def test_a_list_of_one_page_is_one_answer_and_not_read_again() -> None:
    shop = Scripted()
    with storebridge.connect(
        "24nettbutikk",
        transport=_http.MockTransport(shop.handle),
        options=shop.options(1),
        **{**shop.settings(), "page_size": 50},
    ) as store:
        refs = [o.ref for o in store.orders.list(updated_since=datetime(2025, 12, 1, tzinfo=UTC))]
    assert shop.served == [0] and 0 < len(refs) < 50


def test_a_head_longer_than_a_page_is_read_again_backwards() -> None:
    """55 orders edited in one second before the listing: the head (rows less than an hour
    older than the first page's newest) spans two pages, so it is read backwards, where a
    jump lands ahead of the reading."""
    shop = Scripted()
    shop.bulk_edit(55)
    shop.events[1] = lambda: _jump_and_delete(shop)
    listed = shop.listing(in_flight=1)
    shop.check(listed)
    assert shop.served == [0, 48, 0, 48, 48, 0]  # walk, head forwards, head backwards


def test_a_change_offset_by_a_deletion_while_the_head_is_read_backwards() -> None:
    shop = Scripted()
    shop.bulk_edit(55)
    shop.events[1] = lambda: _jump_and_delete(shop)
    # After the backward pass's first page (offset 48): another jump from the last page
    # and a deletion ahead; it lands at the front, which is read last.
    shop.events[5] = lambda: _jump_and_delete(shop)
    listed = shop.listing(in_flight=1)
    shop.check(listed)
    assert len(shop.touched) == 2 and set(shop.touched) <= set(listed)


def _random_schedule(shop: Scripted, rng: random.Random, pages: int) -> None:
    """Jumps and deletions (alone or offsetting each other) after random page answers."""
    for n in rng.sample(range(1, pages + 1), k=rng.randint(1, 3)):
        shop.events[n] = _changes(shop, random.Random(rng.random()))


def _changes(shop: Scripted, rng: random.Random) -> Callable[[], None]:
    def event() -> None:
        size = len(shop.newest_first())
        for _ in range(rng.randint(1, 2)):
            shop.jump(rng.randrange(size))
            if rng.random() < 0.8:
                shop.delete(rng.randrange(min(size - 1, 60)))

    return event


def test_random_changes_and_deletions_give_every_order_or_an_error() -> None:
    """Before the head was read again, 6 of these 120 schedules came back short in silence
    (none does now), and the rest as now: exact, or the walk saw the jump and raised."""
    outcomes: Counter[str] = Counter()
    for seed in range(120):
        rng = random.Random(seed)
        shop = Scripted()
        if seed % 3 == 0:
            shop.bulk_edit(rng.randint(40, 59))
        _random_schedule(shop, rng, pages=6)
        in_flight = rng.choice((1, 2, 4))
        read = functools.partial(shop.listing, in_flight)
        outcomes[shop.exact_or(PaginationError, read)] += 1
    assert outcomes["exact"] >= 40, outcomes


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_under_faults_it_is_every_order_or_an_error(rate: float) -> None:
    outcomes: Counter[str] = Counter()
    for seed in range(12):
        shop = Scripted()
        if seed % 2:
            shop.bulk_edit(55)
        shop.events[1 + seed % 3] = lambda shop=shop: _jump_and_delete(shop)  # type: ignore[misc]
        faulty = FaultTransport(_http.MockTransport(shop.handle), seed=seed, rate=rate)
        in_flight = 1 + seed % 4
        read = functools.partial(shop.listing_through, faulty, in_flight)
        outcomes[shop.exact_or(StorebridgeError, read)] += 1
    assert outcomes["exact"] >= 4, outcomes


def _rows(*stamps: str) -> list[Payload]:
    return [Payload({"order_no": str(i), "modified_on": s}) for i, s in enumerate(stamps)]


OSLO = ZoneInfo("Europe/Oslo")


def test_an_answer_newest_first_across_the_repeated_dst_hour_does_not_rise() -> None:
    """02:10 after the clocks went back (01:10 UTC) is newer than 02:50 before (00:50 UTC):
    listed newest first the wall time rises, and that is not proof of another order."""
    assert not rises(_rows("2026-10-25 03:30:00", "2026-10-25 02:10:00", "2026-10-25 02:50:00",
                           "2026-10-25 01:59:00"), OSLO)  # fmt: skip


def test_a_rise_outside_the_repeated_hour_is_one() -> None:
    assert rises(_rows("2026-05-02 10:00:00", "2026-05-01 10:00:00", "2026-05-03 10:00:00"), OSLO)
    assert not rises(_rows("2026-05-02 10:00:00", "2026-05-02 10:00:00", ""), OSLO)
    # Not a wall time at all: whatever this order is, it is not provably newest first.
    assert rises(_rows("2026-05-02 10:00:00", "yesterday"), OSLO)


def test_a_jumped_order_on_a_later_page_is_not_taken_for_another_order() -> None:
    """Pages of 5: after the first, the four orders ahead of the boundary are deleted and
    four old orders jump to the front. The repeated row stands where it stood, and the first
    jumped order shows up on the next page, newer than the rows handed on before it. Judged
    across pages that rise read as "not kept newest first", the head was not read again, and
    three orders were missing; each answer on its own still runs newest first."""
    shop = Scripted()
    shop.settings = lambda: {**Scripted.settings(shop), "page_size": 5}  # type: ignore[method-assign]

    def delete_then_jump() -> None:
        for _ in range(4):
            shop.delete(0)
        for _ in range(4):
            shop.jump(len(shop.newest_first()) - 1)

    shop.events[1] = delete_then_jump
    listed = shop.listing(in_flight=1)
    shop.check(listed)
    assert set(shop.touched) <= set(listed)


@pytest.mark.parametrize("edited", [59, 60])
def test_rows_that_never_fall_are_read_from_the_head_too(edited: int) -> None:
    """After a bulk edit of (nearly) every order in one second the rows handed on never go
    down: with 59 the one older order is the one that jumps, so it is never handed on.
    Both listings came back one order short before."""
    shop = Scripted()
    shop.bulk_edit(edited)
    shop.events[1] = lambda: _jump_and_delete(shop)
    shop.check(shop.listing(in_flight=1))


class Fold(Scripted):
    """Europe/Oslo's clocks go back at 2026-10-25 01:00 UTC. The head is 20 orders edited
    at 02:30 CEST; a change at 02:10 CET (after the fold) reads as the first pass and sorts
    behind them, so it can move onto a page the backward pass has read."""

    def __init__(self) -> None:
        super().__init__()
        self.clock.set(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        for key in self.in_order()[-20:]:
            self.emulator.touch("orders", key)
        self.initial = set(self.in_order())
        self.first_pages = 0
        self.phase = "walk"
        self.six: list[str] = []

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "page_size": 5}

    def before(self, offset: int) -> None:
        if offset == 0:
            self.first_pages += 1
            if self.first_pages == 2:  # the head's forward pass begins: 6 changes ahead
                self.phase = "forward"
                self.clock.set(datetime(2026, 10, 25, 0, 58, tzinfo=UTC))
                self.six = [k for k in self.newest_first() if k not in self.touched][:6]
                for key in self.six:
                    self.emulator.touch("orders", key)

    def after(self, offset: int) -> None:
        previous = self.served[-1] if self.served else None
        self.served.append(offset)
        if len(self.served) == 1:  # the walk misses the oldest order (jump and deletion)
            self.clock.set(datetime(2026, 10, 25, 0, 55, tzinfo=UTC))
            self.touched.append(self.newest_first()[-1])
            self.emulator.touch("orders", self.touched[0])
            self.delete(1)
        elif self.phase == "forward" and offset == 0:
            for key in self.six[:4]:  # it slides behind the forward reading
                self.emulator.delete("orders", key)
                self.deleted.add(key)
        elif self.phase == "forward" and previous is not None and offset <= previous:
            self.phase = "backward"  # and in the second pass of the hour it changes again
            self.clock.set(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))
            self.emulator.touch("orders", self.touched[0])


def test_a_backward_read_in_the_repeated_dst_hour_raises() -> None:
    """Before, the order changed in the second pass was on no page: one short, no error."""
    shop = Fold()
    with pytest.raises(PaginationError, match="hour a DST change repeats"):
        shop.listing(in_flight=1)
    assert shop.phase == "backward"


class QuietSinceTheFold(Scripted):
    """20 orders edited at 02:30 CEST on 2026-10-25 (the first pass of the repeated hour),
    nothing changed since, and the listing runs two days later."""

    def __init__(self) -> None:
        super().__init__()
        self.clock.set(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        for key in self.in_order()[-20:]:
            self.emulator.touch("orders", key)
        self.clock.set(datetime(2026, 10, 27, 9, 0, tzinfo=UTC))

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "page_size": 5}


def test_wall_times_of_the_repeated_hour_do_not_refuse_a_listing_run_days_later() -> None:
    """The shop's Date header shows the listing runs far from the change of offset, so a
    change made meanwhile cannot read as that hour: the head is the 20 orders of one second,
    read backwards without refusing them (it raised until an order changed again)."""
    shop = QuietSinceTheFold()
    shop.events[2] = lambda: _jump_and_delete(shop)
    shop.check(shop.listing(in_flight=1))
    head = shop.served[shop.served.index(0, 1) :]
    assert head == [0, 3, 6, 9, 12, 15, 18, 18, 15, 12, 9, 6, 3, 0]


def _answer(date: str | None) -> _http.Response:
    return _http.Response(200, headers={"Date": date} if date else {})


def test_near_dst_reads_the_shop_clock_and_else_the_newest_change() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    at_the_fold = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    days_later = datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
    clock = ServerClock()
    clock.saw(_answer("Tue, 27 Oct 2026 09:00:00 GMT"))
    assert not clock.near_dst(oslo, at_the_fold)  # the clock, not the newest change
    clock.saw(_answer("Sun, 25 Oct 2026 01:30:00 GMT"))
    assert clock.near_dst(oslo, days_later)  # the span reaches the repeated hour
    blind = ServerClock()
    blind.saw(_answer(None))
    assert blind.near_dst(oslo, at_the_fold) and not blind.near_dst(oslo, days_later)


def _shrink_after(shop: Scripted, served: int, count: int) -> None:
    def delete() -> None:
        for key in shop.newest_first()[:count]:
            shop.emulator.delete("orders", key)
            shop.deleted.add(key)

    shop.events[served] = delete


@pytest.mark.parametrize("sort", ["modified", "key", "newest"])
def test_a_404_where_a_page_had_to_repeat_rows_is_an_error(sort: str) -> None:
    """Pages of 5 from a shop that answers an empty page 404. After the 19th page (offset
    54) 7 orders are deleted: the next page (57) is past the end, and the last order slid
    onto a page already read. That 404 ended the listing one order short before."""
    shop = Scripted(sort=sort, empty_list="404")
    shop.settings = lambda: {**Scripted.settings(shop), "page_size": 5}  # type: ignore[method-assign]
    order = shop.in_order() if sort == "modified" else sorted(shop.in_order(), key=int)
    first = order if sort != "newest" else order[::-1]

    def delete() -> None:
        for key in first[:7]:
            shop.emulator.delete("orders", key)
            shop.deleted.add(key)

    shop.events[19] = delete
    with pytest.raises(PaginationError, match="answered 404 where it had to repeat"):
        shop.listing(in_flight=1)


def test_a_404_while_the_head_is_read_forwards_is_an_error() -> None:
    shop = Scripted(empty_list="404")
    shop.settings = lambda: {**Scripted.settings(shop), "page_size": 5}  # type: ignore[method-assign]
    shop.bulk_edit(59)  # the head is the whole list
    walk_pages = 20  # offsets 0, 3, ... 57
    _shrink_after(shop, walk_pages + 2, 56)  # after the second page forwards: 4 left
    with pytest.raises(PaginationError, match="answered 404 before the head ended"):
        shop.listing(in_flight=1)
    assert shop.served[walk_pages:] == [0, 3, 6]


ROW = {"currency": "NOK", "status": "1", "paid": "0", "total_amount_gross": "100.00"}


def _crafted(*pages: dict[int, list[tuple[str, str]]]) -> Callable[[_http.Request], _http.Response]:
    """A shop answering pages of 4 by offset with rows (order_no, modified_on)."""
    answers = {offset: rows for page in pages for offset, rows in page.items()}

    def respond(request: _http.Request) -> _http.Response:
        offset = int(request.url.path.split("/")[5])
        data = [{**ROW, "order_no": n, "modified_on": m} for n, m in answers.get(offset, [])]
        onward = f"https://shop.example/api/v1/orders/4/{offset + 4}"
        paging: Any = {"next": onward} if offset < 4 else []
        return _http.Response(200, json={"data": data, "paging": paging}, request=request)

    return respond


def test_a_page_standing_back_in_a_list_that_then_rises_is_an_error() -> None:
    """The first two answers run newest first, so the second is accepted with its repeated
    rows one place back (a record joined ahead of them); the third rises: the list is not
    kept newest first, what joined ahead is in no head, and the listing raises at its end."""
    first = [("4", "2026-01-01 10:05:00"), ("3", "2026-01-01 10:04:00"),
             ("2", "2026-01-01 10:03:00"), ("1", "2026-01-01 10:02:00")]  # fmt: skip
    second = [("9", "2026-01-01 10:10:00"), ("2", "2026-01-01 10:03:00"),
              ("1", "2026-01-01 10:02:00"), ("5", "2026-01-01 10:01:00")]  # fmt: skip
    third = [("1", "2026-01-01 10:02:00"), ("5", "2026-01-01 10:01:00"),
             ("6", "2026-01-01 10:20:00"), ("7", "2026-01-01 10:30:00")]  # fmt: skip
    shop = Scripted()
    with (
        storebridge.connect(
            "24nettbutikk",
            transport=_http.MockTransport(_crafted({0: first}, {2: second}, {4: third})),
            options=shop.options(1),
            **{**shop.settings(), "page_size": 4},
        ) as store,
        pytest.raises(PaginationError, match="turned out not to be kept newest first"),
    ):
        list(store.orders.list())
