"""A sandbox asked for no records has none, on every platform (``sandbox serve --empty``).

SHOPLINE's once read a size of 0 customers or products as "proportional to the orders" and
seeded five of each, which a migration to it then found there without having written them.
"""

from __future__ import annotations

import pytest

import storebridge
from storebridge.registry import adapter_class
from tests.migrate.support import FAST, HOSTS, UNLIMITED


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
def test_an_empty_sandbox_lists_nothing(platform: str) -> None:
    # No server-side limit, as the client keeps none (FAST): a 24Nettbutikk sandbox refused
    # most of the pages a listing reads ahead at once, and the next waited out Retry-After (1 s).
    kit = adapter_class(platform).sandbox(orders=0, customers=0, products=0, **UNLIMITED[platform])
    with storebridge.connect(platform, transport=kit.emulator.transport(), options=FAST,
                             **kit.settings(HOSTS[platform].format("empty"))) as store:  # fmt: skip
        assert list(store.customers.list()) == []
        assert list(store.products.list()) == []
        assert list(store.orders.list()) == []


def test_shopline_sizes_left_out_still_follow_the_orders() -> None:
    kit = adapter_class("shopline").sandbox(orders=20)
    settings = kit.settings(HOSTS["shopline"].format("sized"))
    with storebridge.connect(
        "shopline", transport=kit.emulator.transport(), options=FAST, **settings
    ) as store:
        assert len(list(store.customers.list())) == 10
        assert len(list(store.products.list())) == 10
        assert len(list(store.orders.list())) == 20
