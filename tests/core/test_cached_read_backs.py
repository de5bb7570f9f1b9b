"""A write's read-back asks past caches: a cached answer from before the write would read
as "the write did not happen", and the write would be sent again.

A cache between storebridge and a platform that stores API answers (a CDN told to cache
everything, a caching proxy) answers a GET with what the store held when it was first
asked. A refund whose answer was lost, read back through it, is not there; calling
``refunds.create`` again with the same quote then refunded the order twice. Every request
a read-back sends now says ``Cache-Control: no-cache``, which such a cache honours.
"""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge import OutcomeUnknown, RefundLine
from storebridge.flow import past_caches
from storebridge.idempotency import MemoryIdempotencyStore
from storebridge.model import Order
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox

REFUND_PATH = {"shopline": "/order/refund.json", "29next": "/refund"}


class CachedReads:
    """A fault script: every GET answered by a cache that stores what it was first told
    (it honours ``no-cache``); the first ``lose`` writes accepted by ``write`` are
    processed and their answers lost."""

    def __init__(self, write: Any) -> None:
        self.write = write
        self.lose = 0
        self.writes_seen: list[str] = []
        self.after_write: list[Any] = []

    def __call__(self, number: int, request: Any) -> str | None:
        if request.method != "GET":
            if self.write(request):
                self.writes_seen.append(request.method)
                if self.lose > 0:
                    self.lose -= 1
                    return "reset_after"
            return None
        if self.writes_seen:
            self.after_write.append(request)
        return "cached_answer"


def _refund_post(platform: str) -> Any:
    def check(request: Any) -> bool:
        path: str = request.url.path.rstrip("/")
        return request.method == "POST" and path.endswith(REFUND_PATH[platform])

    return check


def _refundable(store: storebridge.Store, platform: str) -> Order:
    return next(
        o for o in store.orders.list(detail=True)
        if o.lines and o.lines[0].quantity >= 2 and not o.refunds
        and o.financial_status.value == "paid"
        and (platform != "29next" or o.lines[0].fulfillment_status.value == "fulfilled")
    )  # fmt: skip


@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_refund_read_back_through_a_cache_is_not_made_twice(platform: str) -> None:
    kit = sandbox(platform, orders=20)
    script = CachedReads(_refund_post(platform))
    faulty = FaultTransport(kit.emulator.transport(), script=script)
    with connect(kit, "shop", transport=faulty) as store:
        order = _refundable(store, platform)
        store.orders.get(order.ref)  # the caller looks at the order first: now cached
        store.orders.get(order.ref)  # and again: answered by the cache
        quote = store.refunds.calculate(
            order.ref, lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1)]
        )
        script.lose = 1
        try:
            made = store.refunds.create(quote)
        except OutcomeUnknown:
            made = store.refunds.create(quote)  # as the error invites: the quote is single-use
        assert faulty.injected["cached_answer"] > 0
        assert script.writes_seen == ["POST"]  # sent once, never again
        assert script.after_write  # settled by reading back
        assert all(r.headers.get("cache-control") == "no-cache" for r in script.after_write)
    with connect(kit, "shop") as plain:
        refunds = plain.orders.get(order.ref).refunds
    assert [r.ref for r in refunds] == [made.ref]
    assert made.amount == quote.total


def _write(method: str) -> Any:
    return lambda request: request.method == method


def _update_customer(store: storebridge.Store) -> None:
    customer = next(iter(store.customers.list()))
    store.customers.get(customer.ref)  # cached as it is now
    updated = store.customers.update(customer.ref, storebridge.CustomerUpdate(first_name="Ingrid"))
    assert updated.first_name == "Ingrid"


def _update_stock(store: storebridge.Store) -> None:
    product = next(p for p in store.products.list() if p.variants)
    store.products.get(product.ref)  # cached as it is now
    stock = (product.variants[0].stock or 0) + 7
    updated = store.extra.update_stock(product.ref, stock)
    assert updated.variants[0].stock == stock


UPDATES = [
    pytest.param("shopline", _update_customer, id="shopline-customer"),
    pytest.param("29next", _update_customer, id="29next-customer"),
    pytest.param("24nettbutikk", _update_stock, id="24nettbutikk-stock"),
]


@pytest.mark.parametrize(("platform", "update"), UPDATES)
def test_a_lost_update_is_read_back_past_caches(platform: str, update: Any) -> None:
    kit = sandbox(platform)
    script = CachedReads(lambda request: request.method in ("PUT", "PATCH"))
    faulty = FaultTransport(kit.emulator.transport(), script=script)
    with connect(kit, "shop", transport=faulty) as store:
        script.lose = 1
        update(store)
        assert len(script.writes_seen) == 1  # found by the read-back, not sent again
        assert script.after_write
        assert all(r.headers.get("cache-control") == "no-cache" for r in script.after_write)


@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_lost_customer_create_is_read_back_past_caches(platform: str) -> None:
    kit = sandbox(platform)
    script = CachedReads(_write("POST"))
    faulty = FaultTransport(kit.emulator.transport(), script=script)
    draft = storebridge.CustomerDraft(email="kari@example.com", first_name="Kari")
    with connect(kit, "shop", transport=faulty) as store:
        assert not _named_kari(store)  # cached: nobody
        script.lose = 1
        made = store.customers.create(draft)
        assert made.email == "kari@example.com"
        assert script.writes_seen == ["POST"]
        assert all(r.headers.get("cache-control") == "no-cache" for r in script.after_write)
    with connect(kit, "shop") as plain:
        assert [c.ref for c in _named_kari(plain)] == [made.ref]


def _named_kari(store: storebridge.Store) -> list[storebridge.Customer]:
    return [c for c in store.customers.list() if c.email == "kari@example.com"]


def test_the_cached_answer_fault_replays_a_urls_first_answer_unless_asked_past() -> None:
    kit = sandbox("29next")
    faulty = FaultTransport(kit.emulator.transport(), kinds=["cached_answer"], rate=1.0)
    with connect(kit, "shop", transport=faulty) as store:
        customer = next(iter(store.customers.list()))
        store.customers.get(customer.ref)  # the first answer: stored
        with connect(kit, "shop") as plain:
            plain.customers.update(customer.ref, storebridge.CustomerUpdate(first_name="Ola"))
        assert store.customers.get(customer.ref).first_name == customer.first_name
        assert faulty.injected["cached_answer"] == 1
        fresh = store.run(_get_past_caches(store, customer.ref))
        assert fresh.first_name == "Ola"
        assert faulty.injected["cached_answer"] == 1  # asked past: not replayed


def _get_past_caches(store: storebridge.Store, ref: str) -> Any:
    return past_caches(store.adapter.get_customer(ref))


@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_quote_used_by_a_second_process_behind_a_cache_is_refused(platform: str) -> None:
    """Two processes with their own key stores, one caching proxy: the second's check that
    the quote is current read the order as the cache held it, and refunded again."""
    kit = sandbox(platform, orders=20)
    proxy = FaultTransport(
        kit.emulator.transport(), script=lambda n, r: "cached_answer" if r.method == "GET" else None
    )
    with connect(kit, "a", transport=proxy, idempotency_store=MemoryIdempotencyStore()) as first:
        order = _refundable(first, platform)
        first.orders.get(order.ref)  # the cache holds the order without refunds
        quote = first.refunds.calculate(
            order.ref, lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1)]
        )
        made = first.refunds.create(quote)
    with connect(kit, "a", transport=proxy, idempotency_store=MemoryIdempotencyStore()) as second:
        assert not second.orders.get(order.ref).refunds  # what a read through it shows
        with pytest.raises(storebridge.ValidationError, match="calculate"):
            second.refunds.create(quote)
    with connect(kit, "a") as plain:
        assert [r.ref for r in plain.orders.get(order.ref).refunds] == [made.ref]


@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_quote_is_calculated_past_caches(platform: str) -> None:
    """A quote calculated from the order as a cache held it (before a refund landed) is one
    ``refunds.create`` refuses: calculated past caches, it goes through."""
    kit = sandbox(platform, orders=20)
    proxy = FaultTransport(
        kit.emulator.transport(), script=lambda n, r: "cached_answer" if r.method == "GET" else None
    )
    with connect(kit, "a", transport=proxy) as store:
        order = _refundable(store, platform)
        line = RefundLine(line_ref=order.lines[0].ref, quantity=1)
        store.orders.get(order.ref)  # the cache holds the order without refunds
        first = store.refunds.create(store.refunds.calculate(order.ref, lines=[line]))
        second = store.refunds.create(store.refunds.calculate(order.ref, lines=[line]))
    assert first.ref != second.ref
    with connect(kit, "a") as plain:
        refunds = plain.orders.get(order.ref).refunds
    assert sorted(r.ref for r in refunds) == sorted([first.ref, second.ref])
