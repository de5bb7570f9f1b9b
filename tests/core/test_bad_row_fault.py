"""The ``bad_row`` fault: one row of a page made unreadable, its ids kept, on request only."""

from __future__ import annotations

import json

import pytest

from storebridge.http import MockTransport, Request, Response
from storebridge.testing import FaultTransport
from storebridge.testing.faults import DATA_FAULTS, FAULT_KINDS

PAGE = {
    "next": None,
    "orders": [
        {"id": 1, "order_no": "A1", "total": "9.50", "lines": [{"id": 9, "sku": "X"}]},
        {"id": 2, "order_no": "A2", "total": "3.00", "customer_id": 7, "note": "hi"},
        {"id": 3, "order_no": "A3", "total": "1.00"},
    ],
}


def _through(kind: str, body: object) -> object:
    inner = MockTransport(lambda request: Response(200, json=body))
    faulty = FaultTransport(inner, script=lambda _n, _r: kind)
    answer = faulty.handle_request(Request("GET", "https://shop.example/orders"))
    return json.loads(answer.read())


def test_the_middle_row_keeps_its_ids_and_loses_its_values() -> None:
    got = _through("bad_row", PAGE)
    assert isinstance(got, dict)
    rows = got["orders"]
    assert rows[0] == PAGE["orders"][0] and rows[2] == PAGE["orders"][2]  # type: ignore[index]
    bad = rows[1]
    assert (bad["id"], bad["customer_id"], bad["order_no"]) == (2, 7, "A2")
    assert bad["total"] == bad["note"] == {"not": "a value"}


def test_a_body_without_rows_is_left_as_it_was() -> None:
    assert _through("bad_row", {"count": 3}) == {"count": 3}


def test_it_is_never_drawn_at_random_only_named() -> None:
    assert "bad_row" not in FAULT_KINDS and "bad_row" in DATA_FAULTS
    FaultTransport(MockTransport(lambda r: Response(200)), kinds=["bad_row"])  # accepted
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultTransport(MockTransport(lambda r: Response(200)), kinds=["bad_rows"])


def test_foreign_next_points_the_stores_own_links_elsewhere() -> None:
    body = {"orders": [{"id": 1}], "next": "https://shop.example/orders?page=2"}
    inner = MockTransport(
        lambda request: Response(
            200, json=body, headers={"Link": '<https://shop.example/orders?page=2>; rel="next"'}
        )
    )
    faulty = FaultTransport(inner, script=lambda _n, _r: "foreign_next")
    answer = faulty.handle_request(Request("GET", "https://shop.example/orders"))
    assert json.loads(answer.read())["next"] == "https://elsewhere.invalid/orders?page=2"
    assert answer.headers["link"] == '<https://elsewhere.invalid/orders?page=2>; rel="next"'
