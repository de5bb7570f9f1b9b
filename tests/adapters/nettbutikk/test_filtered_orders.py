"""Filtered order listings: the filters the shop cannot apply run on each order, once.

24Nettbutikk filters orders by nothing but modification time, so ``status=``,
``created_since=``... are checked on each converted order. An order kept by the filter and
joined with nothing is read once (not once for the filter and again for the listing); one
joined with its customer or SKUs is read again with them. Either way the listing holds
exactly the orders an unfiltered listing holds that pass the filter.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from storebridge.errors import StorebridgeError
from storebridge.kit import Payload
from storebridge.model import Customer, Order
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk._converter import WireReader
from tests.adapters.nettbutikk.shop import emulator, store_on


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each order row (by number) was converted."""
    counted: Counter[str] = Counter()
    original = WireReader.order

    def order(self: WireReader, p: Payload, customer: Customer | None = None,
              skus: Any = None) -> Order:  # fmt: skip
        counted[str(p.data.get("order_no"))] += 1
        return original(self, p, customer, skus)

    monkeypatch.setattr(WireReader, "order", order)
    return counted


def _status_of_some(orders: list[Order]) -> str:
    """A status some orders have and others do not (the seeded shop has several)."""
    statuses = Counter(order.status_raw for order in orders)
    wanted = next(s for s, n in statuses.items() if s is not None and n < len(orders))
    return wanted


def test_an_order_kept_by_a_filter_and_joined_with_nothing_is_read_once(
    reads: Counter[str],
) -> None:
    shop = emulator(orders=40)
    with store_on(shop, join_customers=False, resolve_skus=False) as store:
        everything = list(store.orders.list())
        status = _status_of_some(everything)
        reads.clear()
        kept = list(store.orders.list(status=status))
    assert kept == [order for order in everything if order.status_raw == status]
    assert 0 < len(kept) < len(everything)
    assert {order.ref: reads[order.ref] for order in kept} == {order.ref: 1 for order in kept}
    assert sum(reads.values()) == len(everything)  # the others: read once, then left out


def test_an_order_joined_with_its_customer_is_read_again_with_it(reads: Counter[str]) -> None:
    shop = emulator(orders=40)
    with store_on(shop, resolve_skus=False) as store:
        everything = list(store.orders.list())
        status = _status_of_some(everything)
        reads.clear()
        kept = list(store.orders.list(status=status))
    assert kept == [order for order in everything if order.status_raw == status]
    assert [order.customer for order in kept] == [
        order.customer for order in everything if order.status_raw == status
    ]
    with_customer = [order for order in kept if order.customer is not None]
    assert with_customer, "the seeded shop has orders with customers"
    for order in kept:
        assert reads[order.ref] == (2 if order.customer is not None else 1), order.ref


@pytest.mark.parametrize("joins", [False, True], ids=["joined with nothing", "with customers"])
def test_a_filtered_listing_under_faults_is_exact_or_an_error(joins: bool) -> None:
    shop = emulator(orders=80, customers=30, seed=5)
    settings: dict[str, Any] = {"join_customers": joins, "resolve_skus": False, "page_size": 10}
    with store_on(shop, **settings) as store:
        expected = list(store.orders.list())
    status = _status_of_some(expected)
    wanted = [order for order in expected if order.status_raw == status]
    outcomes: Counter[str] = Counter()
    injected = 0
    for seed in range(1, 5):
        faulty = FaultTransport(shop.transport(), seed=seed, rate=0.15)
        with store_on(shop, faulty, **settings) as store:
            try:
                kept = list(store.orders.list(status=status))
            except StorebridgeError:
                outcomes["error"] += 1
                continue
            finally:
                # Which request meets which fault depends on the order threads send them
                # in, so one run may meet none; the four together meet several.
                injected += sum(faulty.injected.values())
        assert kept == wanted, seed
        assert [order.customer for order in kept] == [order.customer for order in wanted]
        outcomes["exact"] += 1
    assert injected >= 3, injected
    assert outcomes["exact"] >= 3, outcomes
