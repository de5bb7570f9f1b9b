"""29 Next's platform filters take the values the listing can use, or are refused.

Each case below used to list the wrong orders with no error: the platform reads a list
given to a one-value filter as its last value, ``payment_status`` beside
``financial_status`` replaced it, and a reversed date window is empty.
"""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge.errors import ValidationError
from tests.support.counting import Counting
from tests.support.fake_time_store import kit as sandbox_kit


def _refused(resource: str, given: dict[str, Any], match: str) -> ValidationError:
    shop = sandbox_kit("29next", orders=6, customers=3, products=3)
    counting = Counting(shop.emulator.transport())
    with shop.store(counting) as store:
        with pytest.raises(ValidationError, match=match) as caught:
            list(getattr(store, resource).list(**given))
    assert counting.sent == 0
    return caught.value


@pytest.mark.parametrize(
    ("resource", "given"),
    [
        ("orders", {"order_number": ["100035", "100034"]}),
        ("orders", {"currency": ("USD", "EUR")}),
        ("customers", {"email": ["a@example.com", "b@example.com"]}),
        ("products", {"title": ["Mug", "Cap"]}),
    ],
)
def test_a_list_for_a_one_value_filter_is_refused(resource: str, given: dict[str, Any]) -> None:
    error = _refused(resource, given, "takes one value, got 2")
    assert error.field == next(iter(given))


def test_payment_status_beside_financial_status_is_refused() -> None:
    error = _refused(
        "orders", {"financial_status": "paid", "payment_status": "authorized"}, "not both"
    )
    assert error.field == "payment_status"


@pytest.mark.parametrize(
    ("resource", "given"),
    [
        ("orders", {"date_placed_from": "2025-01-15", "date_placed_to": "2025-01-10"}),
        ("customers", {"date_joined_from": "2025-02-01", "date_joined_to": "2025-01-31"}),
    ],
)
def test_a_reversed_date_window_is_refused(resource: str, given: dict[str, Any]) -> None:
    error = _refused(resource, given, "is after")
    assert error.field == next(iter(given))


def test_a_value_of_an_enum_filter_is_checked_inside_a_list() -> None:
    error = _refused("orders", {"sources": ["checkout", "chekout"]}, "did you mean checkout")
    assert error.field == "sources"


def test_filters_that_take_several_values_still_do() -> None:
    with sandbox_kit("29next", orders=30, customers=5, products=5).store() as store:
        every = list(store.orders.list(detail=True))
        skus = {every[0].lines[0].sku, every[3].lines[0].sku}
        listed = list(store.orders.list(sku=sorted(s for s in skus if s), detail=True))
        same_day = list(
            store.orders.list(date_placed_from="2020-01-01", date_placed_to="2100-01-01")
        )
    assert {every[0].number, every[3].number} <= {o.number for o in listed}
    assert all({ln.sku for ln in o.lines} & skus for o in listed)
    assert len(same_day) == len(every)


def _sandbox_store() -> Any:
    return sandbox_kit("29next").store()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ({"currency": "EUR"}, False),  # every seeded order is in USD
        ({"currency": "USD"}, True),
        ({"is_test": True}, True),  # every sandbox order is a test order
        ({"is_test": False}, False),
        ({"sources": ["checkout"]}, True),
        ({"sources": "admin_api"}, False),
    ],
)
def test_the_sandbox_applies_the_filters_it_takes(given: dict[str, Any], kept: bool) -> None:
    with _sandbox_store() as store:
        every = [o.ref for o in store.orders.list()]
        listed = [o.ref for o in store.orders.list(**given)]
    assert listed == (every if kept else [])
    assert every


@pytest.mark.parametrize(
    ("resource", "given"),
    [
        ("orders", {"countries": ["NO"]}),
        ("orders", {"payment_method": "card"}),
        ("customers", {"accepts_marketing": True}),
        ("products", {"is_public": False}),
    ],
)
def test_the_sandbox_refuses_a_filter_it_cannot_apply(resource: str, given: dict[str, Any]) -> None:
    # Ignored, it would answer every record as matching, and a test would pass.
    with _sandbox_store() as store:
        with pytest.raises(storebridge.APIError, match="sandbox does not apply") as caught:
            list(getattr(store, resource).list(**given))
    assert caught.value.status == 400
    assert next(iter(given)) in str(caught.value)
