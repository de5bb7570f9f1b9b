"""Archived ("hidden") SHOPLINE orders are listed and read like the others.

SHOPLINE's ``hidden_order`` filter defaults to false, and whether a listing without it
holds archived orders is not documented. A whole-store export or migration left them out
in silence if it does not. The listing is read as is, and unless it held an archived
order, the archived ones are read after it, each kept only if it says it is archived:
exactly once whichever the platform does (both are emulated here).
"""

from __future__ import annotations

from collections import Counter

import pytest

from storebridge.errors import NotFound, StorebridgeError
from storebridge.http import MockTransport, Request, Response
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import World, world

ARCHIVED = 3


def _archive(w: World, count: int = ARCHIVED) -> list[str]:
    ids = sorted(w.emulator.orders)[1 : 1 + count * 2 : 2]
    with w.connect() as store:
        for order_id in ids:
            store.request("PUT", f"orders/{order_id}/hide_mark.json", json={})
    return ids


@pytest.mark.parametrize("in_plain_lists", [False, True])
def test_a_whole_listing_holds_archived_orders_exactly_once(in_plain_lists: bool) -> None:
    w = world(orders=40, rate_limit=False, archived_in_plain_lists=in_plain_lists)
    archived = _archive(w)
    with w.connect() as store:
        refs = [o.ref for o in store.orders.list(page_size=7)]
    assert Counter(refs) == Counter(list(w.emulator.orders))
    assert set(archived) <= set(refs)
    asked = [r.query for r in w.emulator.requests if r.path.endswith("/orders.json")]
    # Read after the listing only when the listing did not hold them.
    assert any("hidden_order" in q for q in asked) is not in_plain_lists


def test_an_archived_order_can_be_read_by_its_ref() -> None:
    w = world(orders=8, rate_limit=False)
    (order_id,) = _archive(w, 1)
    with w.connect() as store:
        assert store.orders.get(order_id).ref == order_id


def test_asking_for_archived_orders_lists_what_the_platform_gives() -> None:
    w = world(orders=20, rate_limit=False)
    archived = _archive(w)
    with w.connect() as store:
        refs = [o.ref for o in store.orders.list(hidden_order="true")]
    assert sorted(refs) == archived


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_under_faults_the_listing_is_whole_or_an_error(seed: int) -> None:
    w = world(orders=40, rate_limit=False)
    _archive(w)
    faulty = FaultTransport(w.emulator.transport(), seed=seed, rate=0.2)
    with w.connect(transport=faulty) as store:
        try:
            refs = [o.ref for o in store.orders.list(page_size=7)]
        except StorebridgeError:
            return  # a clear error is the other outcome
    assert Counter(refs) == Counter(list(w.emulator.orders))
    assert faulty.injected


def test_the_caller_s_filters_hold_for_the_archived_orders_too() -> None:
    w = world(orders=20, rate_limit=False)
    archived = _archive(w)
    plain_id = sorted(set(w.emulator.orders) - set(archived))[0]
    name = w.emulator.orders[archived[0]]["name"]
    with w.connect() as store:
        by_archived_name = [o.ref for o in store.orders.list(name=name)]
        by_plain_name = [o.ref for o in store.orders.list(name=w.emulator.orders[plain_id]["name"])]
    assert by_archived_name == [archived[0]]
    assert by_plain_name == [plain_id]


def test_an_order_unarchived_during_the_listing_is_not_lost() -> None:
    # Read side by side, each row kept from one listing by its flag, an order unarchived
    # meanwhile on a platform whose plain listing holds archived orders was kept by none.
    w = world(orders=30, rate_limit=False, archived_in_plain_lists=True)
    archived = _archive(w)
    last = archived[-1]
    seen = {"done": False}
    inner = w.emulator.transport()

    def handle(request: Request) -> Response:
        response: Response = inner.handle_request(request)
        if not seen["done"] and request.url.path.endswith("/orders.json"):
            seen["done"] = True  # unarchived once the first page is answered
            w.emulator.orders[last]["hidden_order"] = False
            w.emulator.changed()
        return response

    with w.connect(transport=MockTransport(handle)) as store:
        refs = [o.ref for o in store.orders.list(page_size=7)]
    assert Counter(refs) == Counter(list(w.emulator.orders))


@pytest.mark.parametrize(
    "kind", ["truncated", "malformed", "html_200", "server_error", "reset_after", "timeout_after"]
)
@pytest.mark.parametrize("hit", [1, 2])  # the plain look-up, or the archived one
def test_reading_an_archived_order_under_faults_is_right_or_an_error(kind: str, hit: int) -> None:
    w = world(orders=8, rate_limit=False)
    (order_id,) = _archive(w, 1)
    with w.connect() as store:
        wanted = store.orders.get(order_id)
    faulty = FaultTransport(
        w.emulator.transport(), script=lambda n, _request: kind if n == hit else None
    )
    with w.connect(transport=faulty) as store:
        try:
            got = store.orders.get(order_id)
        except StorebridgeError:
            return  # a clear error is the other outcome
    assert got == wanted  # never "not found" for an order that is there
    assert faulty.injected[kind] == 1


def test_an_order_that_is_nowhere_is_not_found() -> None:
    w = world(orders=4, rate_limit=False)
    with w.connect() as store:
        with pytest.raises(NotFound):
            store.orders.get("99999999999999999999999999")
    asked = [r.query for r in w.emulator.requests if r.path.endswith("/orders.json")]
    assert [q.get("hidden_order") for q in asked] == [None, "true"]  # both kinds looked at
