"""Every lookup inside a 29 Next write reads the list or record it needs, or asks again.

A wrong-shaped answer (``{"ok": true}``, ``{}``, a list that is ``null`` or an object, an
order without its ``refunds``) must never read as "nothing there": that made a webhook
subscription twice, made a refund twice, returned an earlier refund or fulfillment
request as the one just made, and took a cancellation without its refund for one with it.
Each answer here is rewritten once; the store asks again and the write ends exactly right
(or OutcomeUnknown where the write never happened).
"""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge import (
    CustomerDraft,
    Money,
    OrderDraft,
    OrderLineDraft,
    OutcomeUnknown,
    ProductDraft,
    RefundLine,
    RefundQuote,
    RestockType,
    VariantDraft,
    http,
)
from storebridge.http import Request
from storebridge.idempotency import MemoryIdempotencyStore
from storebridge.testing import FaultTransport
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox
from tests.support.faults import FailNextPost

THREE_UNITS = "100002"  # paid, fulfilled, one physical line of three units
UNFULFILLED_PAID = "100001"
WRONG_LISTS: list[Any] = [{"ok": True}, {}, {"results": None}, {"results": {"id": 1}}]
HOOK = "http://127.0.0.1:9/hook"


class Cue:
    """Rewrites the next matching answer with ``body`` (a value, or a function of the
    answer), once, when armed."""

    def __init__(self) -> None:
        self.body: Any = None
        self.armed = False

    def arm(self, body: Any) -> None:
        self.body, self.armed = body, True

    def __call__(self, _request: Request, answer: Any, _n: int) -> Any:
        if not self.armed:
            return answer
        self.armed = False
        return self.body(answer) if callable(self.body) else self.body


def _gets(suffix: str) -> Any:
    return lambda r: r.method == "GET" and r.url.path.endswith(suffix)


def _without(key: str) -> Any:
    return lambda answer: {k: v for k, v in answer.items() if k != key}


def _shop(sb: Sandbox, suffix: str, **settings: Any) -> tuple[storebridge.Store, Cue, Any]:
    cue, fail = Cue(), FailNextPost("/")
    inner = Rewriting(sb.emulator.transport(), _gets(suffix), cue)
    return sb.connect(FaultTransport(inner, script=fail), **settings), cue, fail


@pytest.mark.parametrize("shape", WRONG_LISTS)
def test_a_lost_subscription_is_found_through_a_wrong_shaped_list(shape: Any) -> None:
    sb = Sandbox(orders=3)
    store, cue, fail = _shop(sb, "/webhooks/")
    with store:
        fail.kind = "reset_after"
        cue.arm(shape)
        made = store.webhooks.subscribe(["orders.updated"], HOOK, secret="s3cr3t-hook")
    assert [m.ref for m in made] == [str(k) for k in sb.emulator.subscriptions.subscriptions]
    assert not cue.armed  # the wrong-shaped answer was given


class AnsweredBefore(http.BaseTransport):
    """``inner``, but the next GET ending with ``suffix`` is answered 200 with ``body`` by
    something in front of the platform (a cache, a proxy), once, when armed."""

    def __init__(self, inner: Any, suffix: str, body: Any) -> None:
        self.inner, self.suffix, self.body, self.armed = inner, suffix, body, False

    def handle_request(self, request: http.Request) -> http.Response:
        if self.armed and _gets(self.suffix)(request):
            self.armed = False
            return http.Response(200, json=self.body, request=request)
        response: http.Response = self.inner.handle_request(request)
        return response


def test_a_lost_unsubscribe_is_not_taken_as_still_there_on_a_wrong_shape() -> None:
    sb = Sandbox(orders=3)
    with sb.connect() as store:
        ref = store.webhooks.subscribe(["orders.updated"], HOOK, secret="s3cr3t-hook")[0].ref
    front = AnsweredBefore(sb.emulator.transport(), f"/webhooks/{ref}/", {"ok": True})
    lost = FaultTransport(
        front, script=lambda n, r: "reset_after" if r.method == "DELETE" else None
    )
    with sb.connect(lost) as store:
        front.armed = True  # the read-back: is it gone?
        store.webhooks.unsubscribe(ref)
    assert not sb.emulator.subscriptions.subscriptions
    assert not front.armed and lost.injected["reset_after"] == 1


def _line_quote(store: storebridge.Store) -> RefundQuote:
    order = store.orders.get(THREE_UNITS)
    line = RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
    return store.refunds.calculate(order.ref, lines=[line])


@pytest.mark.parametrize("key", ["refunds", "transactions"])
def test_a_quote_s_refund_is_found_on_an_order_answer_without_a_list(key: str) -> None:
    sb = Sandbox(orders=25)
    keys = MemoryIdempotencyStore()
    cue = Cue()
    inner = Rewriting(sb.emulator.transport(), _gets(f"/orders/{THREE_UNITS}/"), cue)
    options = sb.time.options(max_concurrency=2, idempotency_store=keys)
    with storebridge.connect("29next", transport=inner, options=options,
                             **sb.settings) as store:  # fmt: skip
        quote = _line_quote(store)
        first = store.refunds.create(quote)
        keys.unsettle(f"29next:acme.29next.store:{quote.idempotency_key}")
        cue.arm(_without(key))  # the order read to look for the refund already made
        assert store.refunds.create(quote) == first
    assert len(sb.emulator.state.orders[THREE_UNITS].refunds) == 1
    assert not cue.armed  # the wrong-shaped answer was given


def test_a_hand_built_quote_is_not_refunded_twice_on_an_order_without_refunds() -> None:
    sb = Sandbox(orders=25)
    keys = MemoryIdempotencyStore()
    cue = Cue()
    inner = Rewriting(sb.emulator.transport(), _gets(f"/orders/{THREE_UNITS}/"), cue)
    options = sb.time.options(max_concurrency=2, idempotency_store=keys)
    with storebridge.connect("29next", transport=inner, options=options,
                             api_version="2023-02-10", **sb.settings) as store:  # fmt: skip
        quote = RefundQuote(platform="29next", order_ref=THREE_UNITS, lines=(),
                            total=Money("5.00", "USD"))  # fmt: skip
        first = store.refunds.create(quote)
        keys.unsettle(f"29next:acme.29next.store:{quote.idempotency_key}")
        cue.arm(_without("refunds"))
        # An amount alone cannot be told from an earlier refund of it: never sent again.
        with pytest.raises(OutcomeUnknown, match=first.ref):
            store.refunds.create(quote)
    assert len(sb.emulator.state.orders[THREE_UNITS].refunds) == 1
    assert not cue.armed  # the wrong-shaped answer was given


def test_an_earlier_refund_does_not_pass_for_one_read_on_an_order_without_refunds() -> None:
    sb = Sandbox(orders=25)
    store, cue, fail = _shop(sb, f"/orders/{THREE_UNITS}/")
    with store:
        store.refunds.create(_line_quote(store))
        quote = _line_quote(store)
        cue.arm(_without("refunds"))  # the order read before the refund is sent
        fail.kind = "reset_before"  # lost before the platform made it
        with pytest.raises(OutcomeUnknown, match="not sent again"):
            store.refunds.create(quote)
    assert len(sb.emulator.state.orders[THREE_UNITS].refunds) == 1
    assert not cue.armed  # the wrong-shaped answer was given


def test_a_cancel_without_its_refund_is_not_taken_for_one_with_it() -> None:
    sb = Sandbox(orders=25)
    store, cue, fail = _shop(sb, f"/orders/{UNFULFILLED_PAID}/")
    with store:
        store.orders.cancel(UNFULFILLED_PAID, reason="first", refund=False)
        fail.kind = "reset_before"
        cue.arm(_without("transactions"))  # the read-back
        with pytest.raises(OutcomeUnknown, match="did not find it"):
            store.orders.cancel(UNFULFILLED_PAID, reason="again", refund=True)
    assert not sb.emulator.state.orders[UNFULFILLED_PAID].refunds
    assert not cue.armed  # the wrong-shaped answer was given


@pytest.mark.parametrize("shape", [[], {"results": []}, {"ok": True}, {"results": None}])
def test_an_earlier_split_does_not_pass_for_a_request_read_on_a_wrong_shape(shape: Any) -> None:
    sb = Sandbox(orders=25)
    state = sb.emulator.state
    fo = next(f for f in state.fulfillment_orders.values()
              if f.status == "open" and any(e["quantity"] >= 2 for e in f.line_items))  # fmt: skip
    line = str(next(e for e in fo.line_items if e["quantity"] >= 2)["id"])
    store, cue, fail = _shop(sb, "/fulfillment-orders/")
    with store:
        store.extra.request_fulfillment(str(fo.id), lines={line: 1}, message="first")
        cue.arm(shape)  # the order's fulfillment orders, read before the request
        fail.kind = "reset_before"
        with pytest.raises(OutcomeUnknown, match="not sent again"):
            store.extra.request_fulfillment(str(fo.id), lines={line: 1}, message="second")
    made = [m.get("message") for f in state.fulfillment_orders.values()
            for m in f.merchant_requests]  # fmt: skip
    assert "second" not in made
    assert not cue.armed  # the wrong-shaped answer was given


def _customer(store: storebridge.Store, sb: Sandbox) -> bool:
    made = store.customers.create(CustomerDraft(email="lost@example.com"))
    return made.email == "lost@example.com" and len(sb.emulator.state.emails[made.email]) == 1


def _product(store: storebridge.Store, sb: Sandbox) -> bool:
    lamp = VariantDraft(sku="LOST-1", price=Money("9.00", "USD"))
    made = store.products.create(ProductDraft(title="Lost Lamp", variants=(lamp,)))
    skus = [v["sku"] for p in sb.emulator.state.products.values() for v in p["variants"]]
    return made.title == "Lost Lamp" and skus.count("LOST-1") == 1


def _order(store: storebridge.Store, sb: Sandbox) -> bool:
    sku = next(iter(sb.emulator.state.products.values()))["variants"][0]["sku"]
    line = OrderLineDraft(title="x", quantity=2, unit_price=Money("3.00", "USD"), sku=sku)
    draft = OrderDraft(currency="USD", lines=(line,), total=Money("6.00", "USD"),
                       email="lost.answer@example.com", tags=("sb:test:lost",))  # fmt: skip
    made = store.orders.create(draft)
    tagged = [o for o in sb.emulator.state.orders.values() if "sb:test:lost" in o.tags]
    return [o.number for o in tagged] == [made.ref]


@pytest.mark.parametrize("shape", [{"ok": True}, {"results": None}])
@pytest.mark.parametrize(
    ("suffix", "create"),
    [("/users/", _customer), ("/products/", _product), ("/orders/", _order)],
    ids=["customers", "products", "orders"],
)
def test_a_lost_create_is_settled_through_a_wrong_shaped_lookup(
    suffix: str, create: Any, shape: Any
) -> None:
    sb = Sandbox(orders=3)
    store, cue, fail = _shop(sb, suffix)
    with store:
        fail.kind = "reset_after"
        cue.arm(shape)  # the read-back looking for what the lost answer made
        assert create(store, sb)
        assert not cue.armed  # the wrong-shaped answer was given
