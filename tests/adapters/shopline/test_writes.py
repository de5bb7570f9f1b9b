"""Every SHOPLINE write with its answer lost after the store processed it, in each way:
exactly one effect on the store, and the caller gets the write's result (or OutcomeUnknown),
never a PayloadError for a write that happened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import storebridge
from storebridge import (
    Address,
    CustomerDraft,
    CustomerUpdate,
    Money,
    OrderDraft,
    OrderLineDraft,
    OutcomeUnknown,
    ProductDraft,
    RefundLine,
    VariantDraft,
)
from storebridge.http import Request
from storebridge.idempotency import SQLiteIdempotencyStore
from storebridge.testing import LOST_ANSWER_FAULTS, FaultTransport
from tests.adapters.shopline.support import World, paid_order, world


@attrs.frozen
class Write:
    """One write: what it sends, how to run it, and how many of its effects the store holds."""

    method: str
    path: str
    run: Callable[[storebridge.Store, World], Any]
    effects: Callable[[World], int]


def _refund(store: storebridge.Store, w: World) -> Any:
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
    return store.refunds.create(quote)


def _refunds(w: World) -> int:
    return sum(len(o["refunds"]) for o in w.emulator.orders.values())


def _first(w: World) -> str:
    return next(iter(w.emulator.orders))


ADDRESS = Address(first_name="Kari", line1="Storgata 1", city="Oslo", country="NO")
DRAFT = OrderDraft(
    currency="USD", number="MIG-7", total=Money("20.00", "USD"), tags=("sb:x:y:7",),
    lines=(OrderLineDraft(title="Mug", quantity=2, unit_price=Money("10.00", "USD")),),
    created_at=datetime(2024, 5, 1, 12, tzinfo=UTC), email="mig@example.com",
)  # fmt: skip

WRITES: dict[str, Write] = {
    "refunds.create": Write("POST", "/order/refund.json", _refund, _refunds),
    "orders.cancel": Write(
        "POST", "/cancel.json",
        lambda s, w: s.orders.cancel(_first(w)),
        lambda w: sum(o["status"] == "cancelled" for o in w.emulator.orders.values()),
    ),
    "orders.update_shipping_address": Write(
        "PUT", r"/orders/\d+\.json",
        lambda s, w: s.orders.update_shipping_address(_first(w), ADDRESS),
        lambda w: int((w.emulator.orders[_first(w)]["shipping_address"] or {}).get("address1")
                      == "Storgata 1"),
    ),
    "orders.set_tags": Write(
        "PUT", r"/orders/\d+\.json",
        lambda s, w: s.extra.set_order_tags(_first(w), ["a", "b"]),
        lambda w: int(w.emulator.orders[_first(w)]["tags"] == "a,b"),
    ),
    "orders.create": Write(
        "POST", "/orders.json",
        lambda s, w: s.orders.create(DRAFT),
        lambda w: sum(o["name"] == "MIG-7" for o in w.emulator.orders.values()),
    ),
    "customers.create": Write(
        "POST", "/customers.json",
        lambda s, w: s.customers.create(CustomerDraft(email="new@example.com", tags=("t",))),
        lambda w: sum(c["email"] == "new@example.com" for c in w.emulator.customers.values()),
    ),
    "customers.update": Write(
        "PUT", r"/customers/\d+\.json",
        lambda s, w: s.customers.update(next(iter(w.emulator.customers)),
                                        CustomerUpdate(last_name="Nordmann", tags=("vip",))),
        lambda w: sum(c["last_name"] == "Nordmann" for c in w.emulator.customers.values()),
    ),
    "products.create": Write(
        "POST", "/products/products.json",
        lambda s, w: s.products.create(ProductDraft(title="Wool Sock", variants=(
            VariantDraft(sku="WS-1", price=Money("12.50", "USD"), stock=3),))),
        lambda w: sum(p["title"] == "Wool Sock" for p in w.emulator.products.values()),
    ),
}  # fmt: skip


def _lose(write: Write, kind: str) -> Callable[[int, Request], str | None]:
    import re

    lost: list[str] = []

    def pick(_n: int, request: Request) -> str | None:
        if lost or request.method != write.method:
            return None
        if not re.search(write.path + "$", request.url.path):
            return None
        lost.append(kind)
        return kind

    return pick


def _sent(w: World, write: Write) -> int:
    import re

    return sum(1 for r in w.emulator.requests
               if r.method == write.method and re.search(write.path + "$", r.path))  # fmt: skip


@pytest.mark.parametrize("kind", LOST_ANSWER_FAULTS)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_lost_answer_leaves_exactly_one_effect(name: str, kind: str) -> None:
    write = WRITES[name]
    w = world(orders=3, rate_limit=False)
    before = write.effects(w)
    faulty = FaultTransport(w.emulator.transport(), script=_lose(write, kind))
    with w.connect(transport=faulty) as store:
        try:
            result = write.run(store, w)
        except OutcomeUnknown:
            result = None
    assert faulty.injected[kind] == 1
    assert write.effects(w) == before + 1
    assert _sent(w, write) == 1  # read back, never sent again
    assert result is not None  # every one of these writes is found again


def test_the_same_quote_twice_across_processes_refunds_once(tmp_path: Path) -> None:
    w = world(orders=3, rate_limit=False)
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    keys = tmp_path / "refunds.sqlite"
    with w.connect() as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])

    # The first process sends, loses the answer, and cannot read the refunds back either.
    def first(_n: int, request: Request) -> str | None:
        if request.url.path.endswith("/order/refund.json"):
            return "reset_after"
        return "server_error" if request.url.path.endswith("/refunds.json") else None

    faulty = FaultTransport(w.emulator.transport(), script=first)
    options = w.options(idempotency_store=SQLiteIdempotencyStore(keys))
    with w.connect(transport=faulty, options=options) as store, pytest.raises(OutcomeUnknown):
        store.refunds.create(quote)
    assert len(w.emulator.orders[ref]["refunds"]) == 1

    # A second process with the same key store finds that refund instead of sending again.
    options = w.options(idempotency_store=SQLiteIdempotencyStore(keys))
    with w.connect(options=options) as store:
        again = store.refunds.create(quote)
    assert again.ref == w.emulator.orders[ref]["refunds"][0]["id"]
    assert sum(r.path.endswith("/order/refund.json") for r in w.emulator.requests) == 1


def test_find_refund_tells_the_quotes_refund_from_earlier_equal_ones() -> None:
    w = world(orders=3, rate_limit=False)
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    lines = [RefundLine(line_ref=line["id"], quantity=1)]
    with w.connect() as store:
        earlier = store.refunds.create(store.refunds.calculate(ref, lines=lines))
        quote = store.refunds.calculate(ref, lines=lines)
        adapter = store.adapter
        assert store.run(adapter.find_refund(quote)) is None  # the equal earlier one is not it
        made = store.refunds.create(quote)
        assert store.run(adapter.find_refund(quote)) == made != earlier
