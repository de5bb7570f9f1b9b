"""The reads inside a 24Nettbutikk PATCH (the record before it, and the read-back after a
lost answer) ask again on a wrong-shaped answer: each is checked to hold the record's
rows (``kit`` answer checks), so ``{"ok": true}``, ``{}``, a ``null`` data array or a
body that is no object never reads as "the values are not there" (which would send the
PATCH again on what it did not see) nor as the record not existing."""

from __future__ import annotations

from typing import Any

import pytest

from storebridge.testing import FaultTransport
from tests.adapters.nettbutikk.shop import emulator, store_on
from tests.adapters.nettbutikk.test_writes import WRITES
from tests.adapters.twentyninenext.support.sandbox import Rewriting

SHAPES: list[Any] = [{"ok": True}, {}, {"data": None}, {"data": "x"}, None, [{"data": []}]]


def _lost_patch(_n: int, request: Any) -> str | None:
    return "reset_after" if request.method == "PATCH" else None


@pytest.mark.parametrize("nth", [1, 2], ids=["before", "read-back"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_wrong_shaped_record_read_is_asked_again(name: str, shape: Any, nth: int) -> None:
    write, effect = WRITES[name]
    shop = emulator()
    record = "/api/v1/orders/" if "order" in name else "/api/v1/products/"

    def wrong_once(request: Any, answer: Any, n: int) -> Any:
        return shape if n == nth else answer

    def reads(request: Any) -> bool:
        if request.method != "GET" or not request.url.path.startswith(record):
            return False
        return "order" in name or request.url.params.get("flat") == "1"

    rewriting = Rewriting(shop.transport(), reads, wrong_once)
    lost = FaultTransport(rewriting, script=_lost_patch)
    with store_on(shop, lost) as store:
        write(store, shop)  # its own asserts: the record as re-read shows the values
    assert effect(shop)
    assert rewriting.seen > nth and lost.injected["reset_after"] >= 1
