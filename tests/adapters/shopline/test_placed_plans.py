"""A whole store's SHOPLINE listing: windows planned in the first round trip.

The count, the first page and a ladder of counts go out together; the first page says where
the records start and the rate before the last counted records says where they end, so no
second round of counts holds the windows back. The plan still covers the whole range, and
the reads stay exact (or an error) under faults.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge import OrderQuery
from storebridge.flow import drive
from storebridge_shopline import ShoplineAdapter
from storebridge_shopline._windows import (
    FirstPage,
    Stretch,
    Window,
    iso,
    placed_plan,
    probe_times,
)
from tests.adapters.shopline.support import World, answered_by, exact_under_faults, world
from tests.adapters.shopline.test_listings import EPOCH, _check_cover, moments

DAY = timedelta(days=1)
OPENING = FirstPage(EPOCH + DAY / 24, EPOCH + 10 * DAY, 100)
"""A first page of records from the first day on, ten a day."""


def _counts(w: World) -> list[dict[str, str]]:
    return [r.query for r in w.emulator.requests if r.path.endswith("orders/count.json")]


def _windows(plan: list[Window | Stretch]) -> list[Window]:
    found = [s for s in plan if isinstance(s, Window)]
    assert len(found) == len(plan), "no stretch left to count again"
    return found


# Plans -------------------------------------------------------------------------------------
def test_the_first_page_places_where_the_records_start() -> None:
    # 1,000 records from day 300 on, in a ladder stretch from day 0 to day 400: nothing but
    # the first page says where inside they start.
    probes = [(EPOCH, 0), (EPOCH + 400 * DAY, 500), (EPOCH + 500 * DAY, 1000)]
    first = FirstPage(EPOCH + 300 * DAY, EPOCH + 306 * DAY, 50)
    windows = _windows(placed_plan(probes, 1000, 8, first))
    assert windows[0].start is None and windows[-1].end is None and len(windows) >= 7
    cuts = [w.start for w in windows[1:]]
    assert all(c is not None and c > first.latest for c in cuts)
    # Without the page the same stretch is counted again before it is cut.
    assert any(isinstance(s, Stretch) for s in placed_plan(probes, 1000, 8, None))


def test_a_first_page_the_counts_contradict_places_nothing() -> None:
    # A probe before the page's earliest record already counts records: ids do not follow
    # creation here, so the page says nothing about where the records start.
    probes = [(EPOCH, 0), (EPOCH + 100 * DAY, 10), (EPOCH + 400 * DAY, 500)]
    first = FirstPage(EPOCH + 300 * DAY, EPOCH + 306 * DAY, 50)
    plan = placed_plan(probes, 1000, 8, first)
    assert plan == placed_plan(probes, 1000, 8, None)


def test_records_past_the_last_probe_are_cut_at_the_rate_before_them() -> None:
    # 10 a day up to day 100; 1,000 more after it: about a hundred days more, no probe there.
    probes = [(EPOCH, 0), (EPOCH + 100 * DAY, 1000)]
    windows = _windows(placed_plan(probes, 2000, 10, OPENING))
    assert windows[-1].end is None and len(windows) >= 9
    later = [w.start for w in windows if w.start is not None and w.start > EPOCH + 100 * DAY]
    assert len(later) >= 4 and max(later) < EPOCH + 200 * DAY  # a wrong guess: open end


def test_the_last_records_in_a_wide_stretch_are_cut_at_the_rate_before_them() -> None:
    # The ladder's last two probes are years apart; the records end a hundred days after
    # the first of them, as the rate before says.
    probes = [(EPOCH, 0), (EPOCH + 100 * DAY, 1000), (EPOCH + 2000 * DAY, 2000)]
    windows = _windows(placed_plan(probes, 2000, 10, OPENING))
    ends = [w.end for w in windows if w.end is not None]
    assert len([e for e in ends if e > EPOCH + 100 * DAY]) >= 4
    assert max(ends) < EPOCH + 250 * DAY and windows[-1].end is None


def test_records_past_the_first_page_at_its_rate_are_no_cluster() -> None:
    # All 1,000 records lie between two ladder probes; the first page holds 100 of them
    # over ten days. The other 900 come at that rate (ninety days more): a longer time
    # than the page's, not a cluster, so they are cut at once rather than counted again.
    probes = [(EPOCH, 0), (EPOCH + 400 * DAY, 1000)]
    first = FirstPage(EPOCH + 100 * DAY, EPOCH + 110 * DAY, 100)
    windows = _windows(placed_plan(probes, 1000, 10, first))
    cuts = [w.start for w in windows if w.start is not None]
    assert len(windows) >= 8 and windows[-1].end is None
    assert all(first.earliest < c < EPOCH + 210 * DAY for c in cuts)


def test_a_cluster_is_still_counted_again() -> None:
    # 900 of 1,000 records in one stretch between sparse ones: neither edge, still a stretch.
    probes = [(EPOCH, 0), (EPOCH + 10 * DAY, 50), (EPOCH + 20 * DAY, 950), (EPOCH + 30 * DAY,
              1000), (EPOCH + 40 * DAY, 1000)]  # fmt: skip
    first = FirstPage(EPOCH + DAY, EPOCH + 2 * DAY, 10)
    stretches = [s for s in placed_plan(probes, 1000, 10, first) if isinstance(s, Stretch)]
    assert [(s.low, s.high) for s in stretches] == [(EPOCH + 10 * DAY, EPOCH + 20 * DAY)]


@settings(max_examples=150, deadline=None)
@given(
    probes=st.lists(st.tuples(moments, st.integers(-5, 10**4)), max_size=20),
    first=st.one_of(
        st.none(),
        st.tuples(moments, st.integers(0, 10**6), st.integers(1, 250)).map(
            lambda f: FirstPage(f[0], f[0] + timedelta(seconds=f[1]), f[2])
        ),
    ),
    total=st.integers(0, 10**4),
    windows=st.integers(1, 64),
    records=st.lists(moments, max_size=30),
)
def test_placed_plans_cover_everything_without_gaps_or_overlaps(
    probes: list[tuple[datetime, int]],
    first: FirstPage | None,
    total: int,
    windows: int,
    records: list[datetime],
) -> None:
    segments: list[Window | Stretch] = []
    for segment in placed_plan(probes, total, windows, first):
        segments += segment.plan([], last=True) if isinstance(segment, Stretch) else [segment]
    _check_cover(_windows(segments), None, None, records)


# Reads -------------------------------------------------------------------------------------
def test_a_store_reaching_past_the_ladder_is_planned_in_one_round_trip() -> None:
    # 6,000 orders, 7 hours apart, from a year before now to years after the ladder's
    # probes near now: the counts of the first batch are all it takes (before, the edges
    # were counted again: 12 more counts).
    w = world(orders=6000, rate_limit=False)
    adapter = ShoplineAdapter.from_settings(**w.settings)
    respond = answered_by(w, adapter)

    _, orders = drive(adapter.list_orders(OrderQuery()), respond, concurrency=16)
    assert len(orders) == len({o.ref for o in orders}) == 6000
    now = datetime.fromtimestamp(w.clock.now(), UTC)
    ladder = {iso(t) for t in probe_times(None, None, now)}
    counts = _counts(w)
    assert [q for q in counts if "created_at_max" not in q] == [{"status": "any"}]
    assert {q["created_at_max"] for q in counts if "created_at_max" in q} <= ladder
    assert len(counts) <= 15
    pages = [r for r in w.emulator.requests if r.path.endswith("/orders.json")]
    assert len(pages) <= 60 + 20  # the pages themselves, and one partial one per window


def test_a_store_planned_in_one_round_trip_is_exact_or_an_error_under_faults() -> None:
    w = world(orders=3000, rate_limit=False)
    assert exact_under_faults(w, seeds=(3, 4, 5), rate=0.15, in_flight=12) >= 1


@pytest.mark.parametrize("orders", [250, 500])
def test_a_store_of_a_few_pages_read_in_windows_is_exact_or_an_error_under_faults(
    orders: int,
) -> None:
    w = world(orders=orders, rate_limit=False)
    assert exact_under_faults(w, seeds=range(1, 9), rate=0.2, in_flight=8) >= 3


@pytest.mark.parametrize("orders", [40, 100, 200])
def test_a_small_store_pays_its_pages_and_the_first_batch_only(orders: int) -> None:
    # One or two pages: the count, the first page and the probes go out together, then
    # the page after the first; no window, no second count.
    w = world(orders=orders, rate_limit=False)
    with w.connect(options=w.options(max_concurrency=16)) as store:
        refs = [order.ref for order in store.orders.list()]
    assert refs == sorted(w.emulator.orders)  # page by page: ascending id
    pages = math.ceil(orders / 100)
    probes = [q for q in _counts(w) if "created_at_max" in q]
    assert 1 <= len(probes) <= 14 and len(_counts(w)) == 1 + len(probes)
    listed = [r for r in w.emulator.requests if r.path.endswith("/orders.json")]
    archived = [r for r in listed if "hidden_order" in r.query]
    assert len(listed) == pages + 1 and len(archived) == 1  # and the archived orders' page


@pytest.mark.parametrize("orders", [250, 700])
def test_a_store_of_three_pages_or_more_is_read_in_windows(orders: int) -> None:
    # From three pages the windows planned from the first batch's probes pay off: the rest
    # is read in one more round trip instead of one per page.
    w = world(orders=orders, rate_limit=False)
    with w.connect(options=w.options(max_concurrency=16)) as store:
        refs = [order.ref for order in store.orders.list()]
    assert Counter(refs) == Counter(list(w.emulator.orders))
    listed = [r.query for r in w.emulator.requests if r.path.endswith("/orders.json")]
    windows = [q for q in listed if "page_info" not in q and "created_at_max" in q]
    assert len(windows) >= 2
    assert len(_counts(w)) == 1 + len([q for q in _counts(w) if "created_at_max" in q])


def test_todays_records_are_cut_where_they_lie_not_across_the_whole_day() -> None:
    # A busy store: 3,000 orders a day, 1,000 of them today by 08:00. The ladder's probes
    # at midnight either side cannot say so; the rate of the days before can.
    midnight = EPOCH + 10 * DAY
    probes = [(midnight - n * DAY, 9000 - 3000 * n) for n in range(4)]
    probes.append((midnight + DAY, 10_000))
    first = FirstPage(midnight - 3 * DAY + timedelta(seconds=5), midnight - 3 * DAY +
                      timedelta(minutes=48), 100)  # fmt: skip
    windows = _windows(placed_plan(probes, 10_000, 40, first))
    today = [w for w in windows if w.start is not None and w.start >= midnight]
    assert len(today) >= 3
    assert all(w.start < midnight + timedelta(hours=9) for w in today if w.start is not None)


def test_records_already_yielded_are_not_converted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first page is read again by the first window, and a record on the boundary of two
    # windows by both: each is converted once, when the listing first meets it.
    w = world(orders=150, rate_limit=False)
    adapter = ShoplineAdapter.from_settings(**w.settings)
    converted: Counter[str] = Counter()
    real = adapter.converter()

    class Counting:
        def structure(self, row: Any, cls: Any) -> Any:
            item = real.structure(row, cls)
            converted[item.ref] += 1
            return item

    monkeypatch.setattr(adapter, "converter", lambda currency=None: Counting())

    respond = answered_by(w, adapter)
    _, orders = drive(adapter.list_orders(OrderQuery(page_size=5)), respond, concurrency=8)
    assert Counter(o.ref for o in orders) == Counter(list(w.emulator.orders))
    windows = [r for r in w.emulator.requests if r.path.endswith("/orders.json")
               and "page_info" not in r.query and "created_at_max" in r.query]  # fmt: skip
    assert len(windows) >= 4  # read in windows, the first page again among them
    assert converted == Counter(list(w.emulator.orders))


@pytest.mark.parametrize("width", [12, 16, 20])
def test_no_more_windows_than_run_at_once(width: int) -> None:
    # A window holds its place in flight until its last page is in: one window more than
    # run at once would wait for another to end before it starts. (Probes as wide as
    # these place every window in the first round trip.)
    w = world(orders=3000, rate_limit=False)
    adapter = ShoplineAdapter.from_settings(**w.settings)
    respond = answered_by(w, adapter)

    _, orders = drive(adapter.list_orders(OrderQuery()), respond, concurrency=width)
    assert len({o.ref for o in orders}) == 3000
    windows = [r for r in w.emulator.requests if r.path.endswith("/orders.json")
               and "page_info" not in r.query and set(r.query) & {"created_at_min",
               "created_at_max"}]  # fmt: skip
    assert 2 <= len(windows) <= width
