"""Lookups inside a 29 Next write read their list's ``results``: a wrong-shaped answer
(``{"ok": true}``, ``null``, a bare list) is asked again like any unreadable one. It once
read as "nothing found": a store with locations was told it had none to hold stock, and an
order's SKU was "on no product", both as the caller's mistake."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import storebridge
from storebridge import Money, OrderDraft, OrderLineDraft
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox


class WrongShapeOnce:
    """A fault script: the first GET whose path ends with ``suffix`` is answered with
    JSON of the wrong shape."""

    def __init__(self, suffix: str) -> None:
        self.suffix, self.left = suffix, 1

    def __call__(self, _n: int, request: Any) -> str | None:
        if request.method == "GET" and request.url.path.endswith(self.suffix) and self.left:
            self.left -= 1
            return "wrong_shape"
        return None


@pytest.mark.parametrize("seed", range(3))
def test_a_wrong_shaped_location_list_is_asked_again(seed: int) -> None:
    kit = sandbox("29next", empty=True)
    faulty = FaultTransport(kit.emulator.transport(), seed=seed,
                            script=WrongShapeOnce("/locations/"))  # fmt: skip
    mug = storebridge.VariantDraft(sku="MUG-1", price=Money("10", "USD"), stock=5)
    with connect(kit, "shop", transport=faulty) as store:
        made = store.products.create(storebridge.ProductDraft(title="Mug", variants=(mug,)))
    assert faulty.injected["wrong_shape"] == 1
    assert [v.stock for v in made.variants] == [5]


@pytest.mark.parametrize("seed", range(3))
def test_a_wrong_shaped_sku_lookup_is_asked_again(seed: int) -> None:
    kit = sandbox("29next", empty=True)
    with connect(kit, "setup") as store:
        lamp = storebridge.VariantDraft(sku="L-1", price=Money("10", "USD"))
        store.products.create(storebridge.ProductDraft(title="Lamp", variants=(lamp,)))
    faulty = FaultTransport(kit.emulator.transport(), seed=seed,
                            script=WrongShapeOnce("/products/"))  # fmt: skip
    line = OrderLineDraft(title="Lamp", quantity=1, unit_price=Money("10", "USD"), sku="L-1")
    draft = OrderDraft(currency="USD", total=Money(Decimal("10"), "USD"), lines=(line,),
                       email="a@example.com", tags=("po-1",))  # fmt: skip
    with connect(kit, "shop", transport=faulty) as store:
        order = store.orders.create(draft)
    assert faulty.injected["wrong_shape"] == 1
    assert [ln.sku for ln in order.lines] == ["L-1"]
