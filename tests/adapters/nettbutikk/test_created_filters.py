"""24Nettbutikk's ``created_*`` filters list every record that may have been created inside.

The shop dates orders (``order_date`` + ``order_time``) and customers
(``registration_date``) in its local wall time, to the second. In the autumn's repeated
hour such a time names two instants an hour apart, and a bound with a fraction of a second
falls inside the second the shop shows. The filter runs here, on each record, and keeps
one when any instant its text can stand for is in the window, as the ``updated_*`` window
does: a record is never left out of a window it may belong to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storebridge.errors import StorebridgeError
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk._local_time import shown_span, span_within
from tests.adapters.nettbutikk.shop import emulator, store_on

OSLO = ZoneInfo("Europe/Oslo")
# 01:30 UTC on 2025-10-26 is 02:30 CET: the second pass through 02:00-03:00 in Oslo. The
# shop shows "02:30:00", which also reads as 00:30 UTC (CEST, the first pass).
REPEATED = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


def _place_order(shop: object, when: datetime) -> str:
    order = shop.orders[0]  # type: ignore[attr-defined]
    order["placed"] = when.timestamp()
    return str(order["order_no"])


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_an_order_of_the_repeated_hour_is_in_a_window_around_its_later_reading(
    seed: int | None,
) -> None:
    shop = emulator(orders=12)
    ref = _place_order(shop, REPEATED)
    since, until = REPEATED - timedelta(minutes=30), REPEATED + timedelta(minutes=30)
    transport = None if seed is None else FaultTransport(shop.transport(), seed=seed, rate=0.2)
    with store_on(shop, transport) as store:
        try:
            listed = [o.ref for o in store.orders.list(created_since=since, created_until=until)]
        except StorebridgeError:
            assert seed is not None  # under faults a clear error is the other outcome
            return
    assert listed == [ref]


def test_an_order_of_the_repeated_hour_is_in_a_window_around_its_earlier_reading() -> None:
    shop = emulator(orders=12)
    ref = _place_order(shop, REPEATED)
    earlier = REPEATED - timedelta(hours=1)
    with store_on(shop) as store:
        listed = [
            o.ref
            for o in store.orders.list(
                created_since=earlier - timedelta(minutes=1),
                created_until=earlier + timedelta(minutes=1),
            )
        ]
    assert listed == [ref]


def test_a_bound_inside_a_second_keeps_the_orders_of_that_second() -> None:
    shop = emulator(orders=12)
    placed = datetime(2025, 6, 1, 10, 0, 0, 700_000, tzinfo=UTC)  # the shop shows 12:00:00
    ref = _place_order(shop, placed)
    with store_on(shop) as store:
        kept = [o.ref for o in store.orders.list(created_since=placed - timedelta(seconds=0.2))]
        after = [o.ref for o in store.orders.list(created_since=placed + timedelta(seconds=0.3))]
    assert ref in kept
    assert ref not in after  # from the next whole second on, it is out


def test_a_customer_registered_in_the_repeated_hour_is_listed() -> None:
    shop = emulator(customers=6)
    customer = shop.customers[0]
    customer["registration"] = REPEATED.timestamp()
    since, until = REPEATED - timedelta(minutes=10), REPEATED + timedelta(minutes=10)
    with store_on(shop) as store:
        listed = [c.ref for c in store.customers.list(created_since=since, created_until=until)]
    assert listed == [str(customer["id"])]


def test_a_date_alone_stands_for_its_whole_day() -> None:
    start, end = shown_span("2025-06-01", OSLO)
    assert (start, end) == (
        datetime(2025, 5, 31, 22, tzinfo=UTC),
        datetime(2025, 6, 1, 22, tzinfo=UTC),
    )
    afternoon = datetime(2025, 6, 1, 13, tzinfo=UTC)
    assert span_within((start, end), afternoon, None)  # registered that day, maybe after
    assert not span_within((start, end), end, None)


def test_a_shown_time_spans_its_second_its_minute_and_both_readings() -> None:
    assert shown_span("2025-06-01 12:00:00", OSLO) == (
        datetime(2025, 6, 1, 10, tzinfo=UTC),
        datetime(2025, 6, 1, 10, 0, 1, tzinfo=UTC),
    )
    assert shown_span("2025-06-01 12:00", OSLO)[1] == datetime(2025, 6, 1, 10, 1, tzinfo=UTC)
    assert shown_span("2025-10-26 02:30:00", OSLO) == (
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        datetime(2025, 10, 26, 1, 30, 1, tzinfo=UTC),
    )
