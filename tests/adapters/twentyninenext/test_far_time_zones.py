"""Date filters given in a zone more than a day from the store's still find every order.

29 Next filters on whole days of the store's zone, which is not known: the range is widened
by a day and filtered exactly on the client. The widening once used the caller's own date,
and a caller at +14:00 is two dates ahead of a store at -11:00, so orders that matched the
filter were silently left out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest

import storebridge
from storebridge import Money, OrderDraft, OrderLineDraft
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime
from storebridge_29next import TwentyNineNextAdapter
from storebridge_29next.emulator import TwentyNineNextEmulator

EAST = timezone(timedelta(hours=14))
WEST = timezone(timedelta(hours=-12))
# 10:30 UTC on 10 January, as a store at -11:00 writes it (still the 9th there) and as one
# at +14:00 does (already the 11th).
PLACED_WEST = datetime(2025, 1, 9, 23, 30, tzinfo=timezone(timedelta(hours=-11)))
PLACED_EAST = datetime(2025, 1, 11, 0, 30, tzinfo=EAST)
SINCE = datetime(2025, 1, 11, 0, 0, tzinfo=EAST)  # 10:00 UTC on the 10th
UNTIL = datetime(2025, 1, 9, 23, 0, tzinfo=WEST)  # 11:00 UTC on the 10th


@pytest.mark.parametrize(
    ("placed", "filters"),
    [
        (PLACED_WEST, {"created_since": SINCE}),
        (PLACED_EAST, {"created_until": UNTIL}),
        (PLACED_WEST, {"created_since": SINCE, "created_until": UNTIL}),
        (PLACED_EAST, {"created_since": SINCE, "created_until": UNTIL}),
    ],
    ids=["since at +14", "until at -12", "both, west store", "both, east store"],
)
def test_an_order_inside_the_range_is_listed_whatever_zone_the_bounds_are_in(
    placed: datetime, filters: dict[str, datetime]
) -> None:
    clock = FakeClock()
    kit = TwentyNineNextAdapter.sandbox(seed=1, orders=5, clock=clock)
    emulator = cast(TwentyNineNextEmulator, kit.emulator)
    sku = next(v["sku"] for p in emulator.state.products.values() for v in p["variants"])
    options = FakeTime(emulator_clock=clock).options()
    settings = kit.settings("https://acme.29next.store")
    with storebridge.connect("29next", transport=kit.emulator.transport(), options=options,
                             **settings) as store:  # fmt: skip
        price = Money("10.00", "USD")
        line = OrderLineDraft(title="A", quantity=1, unit_price=price, sku=sku)
        draft = OrderDraft(currency="USD", total=price, created_at=placed,
                           email="buyer@example.com", lines=(line,))  # fmt: skip
        order = store.orders.create(draft)
        for bound in filters.values():  # each bound really does let the order in
            assert bound.astimezone(UTC).date() == placed.astimezone(UTC).date()
        since, until = filters.get("created_since"), filters.get("created_until")
        listed = [o.ref for o in store.orders.list(created_since=since, created_until=until)]
        in_utc = [
            o.ref
            for o in store.orders.list(
                created_since=since.astimezone(UTC) if since else None,
                created_until=until.astimezone(UTC) if until else None,
            )
        ]
    assert order.ref in listed
    assert listed == in_utc
