"""Every lookup inside a SHOPLINE write (and the target's currencies a migration reads)
holds the list it needs, or is asked again.

A wrong-shaped answer (``{"ok": true}``, ``{}``, a list that is ``null`` or an object, an
order without its ``refunds``) must never read as "nothing there": a lost subscription was
sent again (and refused, 422, for the one it had made), a store's enabled currencies read
as none (a migration then refuses their orders), and an earlier refund of the same amount
and lines passed for a quote's own. Each answer here is rewritten once.
"""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge import CustomerDraft, Money, OutcomeUnknown, ProductDraft, RefundLine
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import World, paid_order, world
from tests.adapters.shopline.test_writes import DRAFT
from tests.adapters.twentyninenext.support.sandbox import Rewriting
from tests.adapters.twentyninenext.test_lookups_in_writes import Cue
from tests.support.faults import FailNextPost


def _shop(w: World, suffix: str) -> tuple[storebridge.Store, Cue, FailNextPost]:
    cue, fail = Cue(), FailNextPost("/")
    matches = lambda r: r.method == "GET" and r.url.path.endswith(suffix)  # noqa: E731
    inner = Rewriting(w.emulator.transport(), matches, cue)
    return w.connect(transport=FaultTransport(inner, script=fail)), cue, fail


def _without_refunds(answer: Any) -> Any:
    for order in answer["orders"]:
        del order["refunds"]
    return answer


@pytest.mark.parametrize("shape", [{"ok": True}, {}, {"webhooks": None}, {"webhooks": {}}])
def test_a_lost_subscription_is_found_through_a_wrong_shaped_list(shape: Any) -> None:
    w = world(orders=2, rate_limit=False)
    store, cue, fail = _shop(w, "/webhooks.json")
    with store:
        fail.kind = "reset_after"
        cue.arm(shape)
        made = store.webhooks.subscribe(["orders.updated"], "https://127.0.0.1:9/hook")
        assert [m.ref for m in made] == [m.ref for m in store.webhooks.list()]
    assert not cue.armed  # the wrong-shaped answer was given


@pytest.mark.parametrize("shape", [{"ok": True}, {}, {"currencies": None}])
def test_a_wrong_shaped_currency_list_is_asked_again(shape: Any) -> None:
    w = world(orders=2, rate_limit=False, enabled_currencies=("EUR", "NOK"))
    store, cue, _ = _shop(w, "/currencies.json")
    with store:
        cue.arm(shape)
        assert store.run(store.adapter.store_currencies()) == frozenset({"USD", "EUR", "NOK"})
    assert not cue.armed


def _one_line_to_refund() -> tuple[World, str, list[RefundLine]]:
    """A sandbox, a paid order of it and one unit of its first line, to refund."""
    w = world(orders=3, rate_limit=False)
    ref = paid_order(w)
    return w, ref, [RefundLine(line_ref=w.emulator.orders[ref]["line_items"][0]["id"], quantity=1)]


def test_a_quote_calculated_on_an_order_without_refunds_is_not_an_earlier_refund() -> None:
    w, ref, lines = _one_line_to_refund()
    store, cue, _ = _shop(w, "/orders.json")
    with store:
        earlier = store.refunds.create(store.refunds.calculate(ref, lines=lines))
        cue.arm(_without_refunds)  # the order the quote is calculated on
        quote = store.refunds.calculate(ref, lines=lines)
        assert store.run(store.adapter.find_refund(quote)) is None
        made = store.refunds.create(quote)
    assert made != earlier and len(w.emulator.orders[ref]["refunds"]) == 2
    assert not cue.armed


def test_an_earlier_refund_does_not_pass_for_one_read_on_an_order_without_refunds() -> None:
    w, ref, lines = _one_line_to_refund()
    store, cue, fail = _shop(w, "/orders.json")
    with store:
        store.refunds.create(store.refunds.calculate(ref, lines=lines))
        quote = store.refunds.calculate(ref, lines=lines)
        cue.arm(_without_refunds)  # the order read before the refund is sent
        fail.kind = "reset_before"  # lost before the store made it
        with pytest.raises(OutcomeUnknown, match="not sent again"):
            store.refunds.create(quote)
    assert len(w.emulator.orders[ref]["refunds"]) == 1
    assert not cue.armed


def _customer(store: storebridge.Store, w: World) -> bool:
    made = store.customers.create(CustomerDraft(email="lost@example.com"))
    same = [c for c in w.emulator.customers.values() if c.get("email") == "lost@example.com"]
    return made.email == "lost@example.com" and len(same) == 1


def _product(store: storebridge.Store, w: World) -> bool:
    lamp = storebridge.VariantDraft(sku="LOST-1", price=Money("9.00", "USD"))
    made = store.products.create(ProductDraft(title="Lost Lamp", variants=(lamp,)))
    same = [p for p in w.emulator.products.values() if p.get("title") == "Lost Lamp"]
    return made.title == "Lost Lamp" and len(same) == 1


def _order(store: storebridge.Store, w: World) -> bool:
    made = store.orders.create(DRAFT)
    same = [o for o in w.emulator.orders.values() if o.get("name") == "MIG-7"]
    return made.number == "MIG-7" and len(same) == 1


@pytest.mark.parametrize(
    "shape", [{"ok": True}, {"customers": None, "products": None, "orders": None}]
)
@pytest.mark.parametrize(
    ("suffix", "create"),
    [("/search.json", _customer), ("/products/products.json", _product), ("/orders.json", _order)],
    ids=["customers", "products", "orders"],
)
def test_a_lost_create_is_settled_through_a_wrong_shaped_lookup(
    suffix: str, create: Any, shape: Any
) -> None:
    w = world(orders=2, rate_limit=False)
    store, cue, fail = _shop(w, suffix)
    with store:
        fail.kind = "reset_after"
        cue.arm(shape)  # the read-back looking for what the lost answer made
        assert create(store, w)
    assert not cue.armed
