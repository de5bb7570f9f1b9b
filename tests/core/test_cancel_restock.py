"""``orders.cancel(restock=...)``: whether the order's units go back in stock.

A migrated copy takes no stock when it is created; restocked when it is cancelled, it
raised the target's stock. SHOPLINE lets the caller choose; 29 Next's cancel has no such
choice, so a choice is refused before any request rather than ignored.
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge.errors import ValidationError
from storebridge.model import OrderStatus
from tests.support.counting import Counting
from tests.support.fake_time_store import kit


def _stock(store: Any) -> dict[str | None, int | None]:
    return {v.sku: v.stock for p in store.products.list() for v in p.variants}


@pytest.mark.parametrize(("restock", "raised"), [(False, False), (None, True), (True, True)])
def test_shopline_restocks_only_when_asked_to(restock: bool | None, raised: bool) -> None:
    shop = kit("shopline", orders=6)
    with shop.store() as store:
        order = next(o for o in store.orders.list() if o.status is OrderStatus.OPEN and o.lines)
        before = _stock(store)
        chosen = {} if restock is None else {"restock": restock}
        cancelled = store.orders.cancel(order.ref, reason="test", **chosen)
        after = _stock(store)
    assert cancelled.status is OrderStatus.CANCELLED
    assert (after != before) is raised


@pytest.mark.parametrize("restock", [False, True])
def test_29next_refuses_a_restock_choice_it_cannot_make(restock: bool) -> None:
    shop = kit("29next", orders=4)
    counting = Counting(shop.emulator.transport())
    with shop.store(counting) as store:
        with pytest.raises(ValidationError, match="no restock choice") as caught:
            store.orders.cancel("100001", reason="test", restock=restock)
    assert caught.value.field == "restock"
    assert counting.sent == 0


def test_restock_takes_only_a_bool_or_none() -> None:
    with kit("shopline", orders=2).store() as store:
        with pytest.raises(ValidationError, match="restock must be True, False or None"):
            store.orders.cancel("1", reason="test", restock="no")  # type: ignore[arg-type]
