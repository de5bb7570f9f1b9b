"""A 24Nettbutikk listing reads offsets ahead past its end (the shop does not say how many
rows it has): closing the store after the listing does not wait for those guesses, and the
client still closes only after the last of them has ended."""

from __future__ import annotations

import threading

import pytest

from storebridge.http import Request
from tests.adapters.nettbutikk.shop import emulator, store_on
from tests.support.stuck import StuckPastTheEnd

ORDERS = 30
PAGE = 10
"""Pages of 10 rows, each repeating 2 of the page before: offsets 0, 8, 16, 24, then guesses."""


def order_offset(request: Request) -> int | None:
    parts = request.url.path.split("/")  # /api/v1/orders/{limit}/{offset}
    return int(parts[5]) if len(parts) >= 6 and parts[3] == "orders" else None


def test_closing_the_store_does_not_wait_for_guesses_past_the_listings_end() -> None:
    shop = emulator(orders=ORDERS, customers=3, products=3)
    stuck = StuckPastTheEnd(shop.transport(), order_offset, end=ORDERS, last=24)
    plain = {"join_customers": False, "resolve_skus": False, "page_size": PAGE}
    refs: list[str] = []

    def export() -> None:
        with store_on(shop, stuck, in_flight=4, **plain) as store:
            refs.extend(order.ref for order in store.orders.list())

    reader = threading.Thread(target=export)
    reader.start()
    try:
        reader.join(timeout=30)
        assert not reader.is_alive(), "closing the store waited for a guess past the end"
        assert sorted(refs) == sorted(str(o["order_no"]) for o in shop.orders)
        assert len(refs) == ORDERS
        assert stuck.on_the_wire > 0  # a guess is still out...
        assert not stuck.closed.is_set()  # ...so the client is not closed under it
    finally:
        stuck.release.set()
        reader.join(timeout=30)
    assert stuck.closed.wait(timeout=30)
    assert stuck.at_close == [0]  # closed once every request had ended


def test_a_closed_store_refuses_requests_while_a_guess_keeps_its_client_open() -> None:
    shop = emulator(orders=ORDERS, customers=3, products=3)
    stuck = StuckPastTheEnd(shop.transport(), order_offset, end=ORDERS, last=24)
    plain = {"join_customers": False, "resolve_skus": False, "page_size": PAGE}
    try:
        with store_on(shop, stuck, in_flight=4, **plain) as store:
            assert len(list(store.orders.list())) == ORDERS
            store.close()
            assert stuck.on_the_wire > 0 and not stuck.closed.is_set()  # the client is open
            with pytest.raises(RuntimeError, match="store is closed"):
                store.orders.get(str(shop.orders[0]["order_no"]))
            # Which threads, not how many: a thread of an earlier test may end meanwhile.
            threads = set(threading.enumerate())
            with pytest.raises(RuntimeError, match="store is closed"):
                list(store.orders.list())  # read ahead on threads: none is started
            assert not set(threading.enumerate()) - threads
    finally:
        stuck.release.set()
    assert stuck.closed.wait(timeout=30)
    assert stuck.at_close == [0]  # once, after the guess ended
