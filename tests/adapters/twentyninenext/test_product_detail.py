"""29 Next's product list rows leave out the description: such products read
``partial=True``, and ``products.list(detail=True)`` reads each one whole, under faults
too (exactly the products, complete, or a clear error)."""

from __future__ import annotations

import pytest

from storebridge.errors import StorebridgeError
from storebridge.testing import FaultTransport
from tests.support.fake_time_store import kit


def test_list_rows_are_partial_and_detail_fills_them() -> None:
    shop = kit("29next", products=6)
    with shop.store() as store:
        slim = list(store.products.list())
        full = list(store.products.list(detail=True))
        each = [store.products.get(p.ref) for p in slim]
    assert slim and all(p.partial for p in slim)
    assert all(p.description is None for p in slim)
    assert full == each  # the same products, as get() reads them
    assert not any(p.partial for p in full)
    assert any(p.description for p in full)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_detail_under_faults_is_whole_or_an_error(seed: int) -> None:
    shop = kit("29next", products=12)
    with shop.store() as store:
        wanted = [store.products.get(p.ref) for p in store.products.list()]
    faulty = FaultTransport(shop.emulator.transport(), seed=seed, rate=0.3)
    with shop.store(faulty) as store:
        try:
            got = list(store.products.list(detail=True))
        except StorebridgeError:
            return  # a clear error is the other outcome
    assert got == wanted
    assert faulty.injected
