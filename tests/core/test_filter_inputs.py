"""Listing inputs that used to list the wrong records, or stop with a bare exception.

- a bound near year 1 or 9999 overflowed where adapters widen it (a bare OverflowError,
  "a bug in storebridge" in the CLI): it is now a ValidationError naming the filter;
- ``transactions.list(order_ref=100035)`` sent the int on (a PayloadError after retries on
  29 Next, a TypeError on SHOPLINE): an int ref now stands for its digits, as in ``get``;
- ``orders.list(detail="no")`` read as True;
- SHOPLINE's products ``status`` took any value and matched nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

import storebridge
from storebridge.errors import ValidationError
from storebridge.testing import FaultTransport
from tests.support.fake_time_store import kit as sandbox_kit


@contextmanager
def _store(platform: str, *, faults: int | None = None) -> Iterator[storebridge.Store]:
    shop = sandbox_kit(platform, orders=8)
    faulty = (
        None if faults is None else FaultTransport(shop.emulator.transport(), seed=faults, rate=0.3)
    )
    with shop.store(faulty) as store:
        yield store


FAR = [
    ("created_since", datetime(1, 1, 1, tzinfo=UTC)),
    ("created_until", datetime(9999, 12, 31, tzinfo=UTC)),
    ("updated_since", datetime(1, 1, 1, tzinfo=UTC)),
    ("updated_until", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
]


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
@pytest.mark.parametrize(("name", "bound"), FAR)
@pytest.mark.parametrize("resource", ["orders", "customers"])
def test_a_bound_at_the_end_of_time_is_a_validation_error(
    platform: str, name: str, bound: datetime, resource: str
) -> None:
    given: dict[str, Any] = {name: bound}
    with _store(platform) as store:
        with pytest.raises(ValidationError, match="leave it out for no bound") as caught:
            list(getattr(store, resource).list(**given))
    assert caught.value.field == name


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
def test_bounds_far_from_today_still_list(platform: str) -> None:
    with _store(platform) as store:
        every = [o.ref for o in store.orders.list()]
        wide = [
            o.ref
            for o in store.orders.list(
                created_since=datetime(1000, 1, 2, tzinfo=UTC),
                created_until=datetime(8999, 12, 31, tzinfo=UTC),
            )
        ]
    assert wide == every and every


@pytest.mark.parametrize("platform", ["29next", "shopline"])
@pytest.mark.parametrize("faults", [None, 1, 2])
def test_transactions_of_an_order_given_as_an_int(platform: str, faults: int | None) -> None:
    with _store(platform) as store:
        order = next(iter(store.orders.list()))
        by_text = [t.ref for t in store.transactions.list(order_ref=order.ref)]
    with _store(platform, faults=faults) as store:
        try:
            as_int: Any = int(order.ref)  # what a caller holding a number passes
            by_int = [t.ref for t in store.transactions.list(order_ref=as_int)]
        except storebridge.StorebridgeError:
            assert faults is not None  # under faults a clear error is the other outcome
            return
    assert by_int == by_text


@pytest.mark.parametrize("detail", ["no", 0, 1, None])
def test_detail_takes_only_a_bool(detail: object) -> None:
    given: dict[str, Any] = {"detail": detail}
    with _store("29next") as store:
        with pytest.raises(ValidationError, match="detail must be True or False"):
            store.orders.list(**given)


@pytest.mark.parametrize(("value", "meant"), [("ACTIVE", "active"), ("activ", "active")])
def test_shopline_product_status_is_checked(value: str, meant: str) -> None:
    with _store("shopline") as store:
        with pytest.raises(ValidationError, match=f"did you mean {meant}"):
            list(store.products.list(status=value))
        assert list(store.products.list(status="active"))
