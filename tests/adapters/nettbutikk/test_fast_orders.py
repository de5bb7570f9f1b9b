"""The fast way of reading 24Nettbutikk order and customer rows agrees with the careful way.

Every order and customer row of a seeded shop takes the fast way and gives the object the
Payload accessors give (compared as objects and as JSON, so a differently spelled amount
would show); rows with values swapped for hostile ones either take the careful way or give
that same object.
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

SHOP = emulator(orders=120, customers=40, products=6, seed=7)
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
CUSTOMER_ROWS: list[dict[str, Any]] = json.loads(
    RESPOND(_http.Request("GET", f"{BASE}/api/v1/customers/50/0")).content
)["data"]
# A customer with a delivery address of its own: billing and delivery both in the model.
BUYER_ROW = next(row for row in CUSTOMER_ROWS if row["use_delivery_address"] == "1")
BUYER = read_payload(Payload(BUYER_ROW, "$", "24nettbutikk"), READER.customer_carefully)
SKUS = {str(row["order_lines"][0]["product_id"]): {"": "SKU-1"} for row in ROWS[:5]}


def careful(row: Any, customer: Customer | None = None, skus: Any = None) -> Order:
    return read_payload(Payload(row, "$.data[0]", "24nettbutikk"), READER.order_carefully,
                        customer, skus)  # fmt: skip


def careful_customer(row: Any) -> Customer:
    return read_payload(Payload(row, "$.data[0]", "24nettbutikk"), READER.customer_carefully)


def same(fast: Order | Customer, slow: Order | Customer) -> None:
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


def test_every_customer_of_a_shop_takes_the_fast_way_and_reads_alike() -> None:
    assert len(CUSTOMER_ROWS) == 40 and len(BUYER.addresses) == 2
    for row in CUSTOMER_ROWS:
        fast = read_plain(PLAIN.customer, row)
        assert fast is not None, row["id"]
        same(fast, careful_customer(row))
        assert READER.customer(Payload(row, "$", "24nettbutikk")) == fast
    assert read_plain(PLAIN.customer, {**BUYER_ROW, "postcode": 2609}) is None  # a number
    home = {f"delivery_{key}": BUYER_ROW[key] for key in ("address_1", "address_2", "city",
                                                          "postcode")}  # fmt: skip
    at_home = {**BUYER_ROW, **home, "delivery_name": None}  # delivery = billing: one address
    fast = read_plain(PLAIN.customer, at_home)
    assert fast is not None and len(fast.addresses) == 1
    same(fast, careful_customer(at_home))


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**30), st.floats(allow_nan=False),
    st.sampled_from(["1e999999", "9" * 41, "NaN", "", " ", "0x1F", "1_0", "١٢", "0", "1",
                     "0000-00-00", "0000-00-00 00:00:00", "2026-13-45 99:99:99", "12:00",
                     "2025-03-30 02:30:00", "2025-10-26 02:30:00", "2024-12-18T06:13:40+01:00",
                     "ok\ud800", "a\x00", "nok", "ÆØÅ", "-1.50", "0.5", "Sverige", " norge ",
                     "  ", "Kari Nordmann", "true"]),
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


CUSTOMER_PATHS = [path for path in json_paths(BUYER_ROW) if path]


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.tuples(st.sampled_from(CUSTOMER_PATHS), HOSTILE, st.booleans()), min_size=1,
                max_size=3))  # fmt: skip
def test_mutated_customers_read_alike_both_ways_or_fail_with_a_path(
    changes: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    row = mutated(BUYER_ROW, changes)
    fast = read_plain(PLAIN.customer, row)
    error: PayloadError | None = None
    try:
        slow = careful_customer(row)
    except PayloadError as exc:
        error = exc
    if error is not None:
        assert fast is None, (fast, error)
        assert error.path.startswith("$.data[0]")
    elif fast is not None:
        same(fast, slow)
