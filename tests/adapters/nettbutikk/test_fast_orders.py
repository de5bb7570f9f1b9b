"""The fast way of reading 24Nettbutikk order rows agrees with the careful way.

Every order row of a seeded shop takes the fast way and gives the object the Payload
accessors give (compared as objects and as JSON, so a differently spelled amount would
show); rows with values swapped for hostile ones either take the careful way or give that
same object.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge import _http
from storebridge.errors import PayloadError
from storebridge.kit import Payload, read_payload, read_plain
from storebridge.model import Customer, Order
from storebridge_24nettbutikk._converter import WireReader
from storebridge_24nettbutikk._fast_orders import PlainOrders
from tests.adapters.nettbutikk.shop import SHOP as BASE
from tests.adapters.nettbutikk.shop import adapter, emulator, responder
from tests.support.mutations import json_paths, mutated

SHOP = emulator(orders=120, customers=6, products=6, seed=7)
RESPOND = responder(SHOP, adapter())
ZONE = ZoneInfo("Europe/Oslo")
READER = WireReader(ZONE, "NOK")
PLAIN = PlainOrders(ZONE, "NOK")


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for offset in range(0, 120, 50):
        request = _http.Request("GET", f"{BASE}/api/v1/orders/50/{offset}")
        rows += json.loads(RESPOND(request).content)["data"]
    return rows


ROWS = _rows()
BUYER = read_payload(
    Payload(
        json.loads(RESPOND(_http.Request("GET", f"{BASE}/api/v1/customers/50/0")).content)["data"][
            0
        ],
        "$",
        "24nettbutikk",
    ),
    READER.customer,
)
SKUS = {str(row["order_lines"][0]["product_id"]): {"": "SKU-1"} for row in ROWS[:5]}


def careful(row: Any, customer: Customer | None = None, skus: Any = None) -> Order:
    return read_payload(Payload(row, "$.data[0]", "24nettbutikk"), READER.order_carefully,
                        customer, skus)  # fmt: skip


def same(fast: Order, slow: Order) -> None:
    assert fast == slow, (fast, slow)
    assert fast.to_json() == slow.to_json()  # the same digits and times, not only equal
    assert fast.raw is slow.raw


def test_every_order_of_a_shop_takes_the_fast_way_and_reads_alike() -> None:
    assert len(ROWS) == 120
    for row in ROWS:
        for customer, skus in ((None, None), (BUYER, SKUS)):
            fast = read_plain(PLAIN.order, row, customer, skus)
            assert fast is not None, row["order_no"]
            same(fast, careful(row, customer, skus))
    assert any(line.sku == "SKU-1" for row in ROWS[:5] for line in careful(row, None, SKUS).lines)


def test_the_reader_takes_the_fast_way_and_falls_back_for_unusual_rows() -> None:
    row = ROWS[0]
    assert READER.order(Payload(row, "$", "24nettbutikk")) == careful(row)
    unusual = {**row, "total_amount_gross": 1889.9, "order_no": 10223}  # numbers, not text
    assert read_plain(PLAIN.order, unusual, None, None) is None
    order = read_payload(Payload(unusual, "$", "24nettbutikk"), READER.order)
    assert order.ref == "10223" and str(order.total.amount) == "1889.9"


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**30), st.floats(allow_nan=False),
    st.sampled_from(["1e999999", "9" * 41, "NaN", "", " ", "0x1F", "1_0", "١٢", "0", "1",
                     "0000-00-00", "0000-00-00 00:00:00", "2026-13-45 99:99:99", "12:00",
                     "2025-03-30 02:30:00", "2025-10-26 02:30:00", "2024-12-18T06:13:40+01:00",
                     "ok\ud800", "a\x00", "nok", "ÆØÅ", "-1.50", "0.5"]),
    st.text(max_size=8), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
)  # fmt: skip
PATHS = [path for path in json_paths(ROWS[0]) if path]


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.tuples(st.sampled_from(PATHS), HOSTILE, st.booleans()), min_size=1,
                max_size=3))  # fmt: skip
def test_mutated_rows_read_alike_both_ways_or_fail_with_a_path(
    changes: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    row = mutated(ROWS[0], changes)
    fast = read_plain(PLAIN.order, row, BUYER, SKUS)
    error: PayloadError | None = None
    try:
        slow = careful(row, BUYER, SKUS)
    except PayloadError as exc:
        error = exc
    if error is not None:
        assert fast is None, (fast, error)  # what the careful way refuses, the fast way never takes
        assert error.path.startswith("$.data[0]")
    elif fast is not None:
        same(fast, slow)
