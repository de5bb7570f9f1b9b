"""Every 29 Next write with its answer lost after the platform processed it, in each way the
fault layer knows: exactly one effect on the sandbox, and the caller gets the write's
result (or OutcomeUnknown), never a PayloadError. Refund quotes are single-use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    RefundQuote,
    RestockType,
    VariantDraft,
)
from storebridge.idempotency import MemoryIdempotencyStore
from storebridge.testing import LOST_ANSWER_FAULTS, FaultTransport
from storebridge_29next.emulator.state import OrderRecord
from tests.adapters.twentyninenext.support.sandbox import Sandbox

FULFILLED_PAID = "100006"  # seed: index 5 is paid and fulfilled
THREE_UNITS = "100002"  # paid, fulfilled, one physical line of three units
UNFULFILLED_PAID = "100001"  # index 0 is paid, with an open fulfillment order


def _order(sandbox: Sandbox, number: str) -> OrderRecord:
    return sandbox.emulator.state.orders[number]


def _fo_of(sandbox: Sandbox, number: str) -> int:
    return sandbox.emulator.state.fulfillment_orders_of(number)[0].id


@dataclass
class Write:
    """One write: its request path (to aim the fault at), how to make it, and how many
    times its effect shows on the sandbox afterwards."""

    name: str
    path: str
    call: Callable[[storebridge.Store, Sandbox], Any]
    effects: Callable[[Sandbox], int]
    api_version: str = "2024-04-01"


def _refund(store: storebridge.Store, sandbox: Sandbox) -> Any:
    order = store.orders.get(FULFILLED_PAID)
    quote = store.refunds.calculate(
        order.ref,
        lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)],
    )
    return store.refunds.create(quote, note="lost answer")


def _legacy_refund(store: storebridge.Store, sandbox: Sandbox) -> Any:
    quote = RefundQuote(
        platform="29next", order_ref=FULFILLED_PAID, lines=(), total=Money("5.00", "USD")
    )
    return store.refunds.create(quote)


def _create_order(store: storebridge.Store, sandbox: Sandbox) -> Any:
    sku = sandbox.emulator.state.products[10]["variants"][0]["sku"]
    return store.orders.create(
        OrderDraft(
            currency="USD",
            lines=(
                OrderLineDraft(title="x", quantity=2, unit_price=Money("3.00", "USD"), sku=sku),
            ),
            total=Money("6.00", "USD"),
            email="lost.answer@example.com",
            tags=("sb:test:lost",),
        )
    )


def _tagged(sandbox: Sandbox, tag: str) -> int:
    return sum(tag in o.tags for o in sandbox.emulator.state.orders.values())


def _request_fulfillment(store: storebridge.Store, sandbox: Sandbox) -> Any:
    return store.extra.request_fulfillment(str(_fo_of(sandbox, UNFULFILLED_PAID)), message="go")


def _requested(sandbox: Sandbox) -> int:
    return sum(
        r["type"] == "fulfill_request"
        for fo in sandbox.emulator.state.fulfillment_orders_of(UNFULFILLED_PAID)
        for r in fo.merchant_requests
    )


def _cancellation(store: storebridge.Store, sandbox: Sandbox) -> Any:
    ref = str(_fo_of(sandbox, UNFULFILLED_PAID))
    sandbox.emulator.state.fulfillment_orders[int(ref)].status = "processing"
    return store.extra.request_fulfillment_cancellation(ref, message="stop")


def _cancel_requests(sandbox: Sandbox) -> int:
    fo = sandbox.emulator.state.fulfillment_orders[_fo_of(sandbox, UNFULFILLED_PAID)]
    return sum(r["type"] == "cancel_request" for r in fo.merchant_requests)


def _moved(sandbox: Sandbox) -> int:
    fos = sandbox.emulator.state.fulfillment_orders_of(UNFULFILLED_PAID)
    return sum(fo.location_id == 3 for fo in fos)


NEW_ADDRESS = Address(first_name="A", last_name="B", line1="9 Lost Rd", city="Austin",
                      country="US")  # fmt: skip

WRITES = [
    Write("refunds.create", "/refund/", _refund,
          lambda s: len(_order(s, FULFILLED_PAID).refunds)),
    Write("refunds.create legacy", "/refund/", _legacy_refund,
          lambda s: len(_order(s, FULFILLED_PAID).refunds), api_version="2023-02-10"),
    Write("orders.cancel", "/cancel/",
          lambda st, s: st.orders.cancel(UNFULFILLED_PAID, reason="lost", refund=True),
          lambda s: sum(r.path.endswith("/cancel/") for r in s.emulator.requests)),
    Write("orders.update_shipping_address", f"/orders/{UNFULFILLED_PAID}/",
          lambda st, s: st.orders.update_shipping_address(UNFULFILLED_PAID, NEW_ADDRESS),
          lambda s: sum(r.method == "PATCH" for r in s.emulator.requests)),
    Write("orders.create", "/orders/", _create_order, lambda s: _tagged(s, "sb:test:lost")),
    Write("customers.create", "/users/",
          lambda st, s: st.customers.create(CustomerDraft(email="lost@example.com")),
          lambda s: len(s.emulator.state.emails.get("lost@example.com", ()))),
    Write("customers.update", "/users/100/",
          lambda st, s: st.customers.update("100", CustomerUpdate(first_name="Lost")),
          lambda s: sum(r.method == "PATCH" for r in s.emulator.requests)),
    Write("products.create", "/products/",
          lambda st, s: st.products.create(ProductDraft(
              title="Lost Lamp", variants=(VariantDraft(sku="LOST-1",
                                                        price=Money("9.00", "USD"), stock=3),))),
          lambda s: sum(p["variants"][0]["sku"] == "LOST-1"
                        for p in s.emulator.state.products.values())),
    Write("fulfillment request", "/fulfillment-request/", _request_fulfillment, _requested),
    Write("fulfillment hold", "/hold/",
          lambda st, s: st.extra.hold_fulfillment_order(
              str(_fo_of(s, UNFULFILLED_PAID)), reason="out_of_stock"),
          lambda s: sum(len(fo.holds)
                        for fo in s.emulator.state.fulfillment_orders_of(UNFULFILLED_PAID))),
    Write("fulfillment cancellation request", "/cancellation-request/", _cancellation,
          _cancel_requests),
    Write("fulfillment move", "/move/",
          lambda st, s: st.extra.move_fulfillment_order(str(_fo_of(s, UNFULFILLED_PAID)), "3"),
          _moved),
]  # fmt: skip


def _aimed_at(path: str) -> Callable[[int, Any], str | None]:
    def script(n: int, request: Any) -> str | None:
        return "hit" if request.method != "GET" and request.url.path.endswith(path) else None

    return script


@pytest.mark.parametrize("fault", LOST_ANSWER_FAULTS)
@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_lost_answer_leaves_one_effect_and_no_payload_error(write: Write, fault: str) -> None:
    clean = Sandbox(orders=25)
    with clean.connect(api_version=write.api_version) as store:
        expected = write.call(store, clean)
    assert write.effects(clean) == 1

    sandbox = Sandbox(orders=25)
    hits: list[str] = []

    def once(n: int, request: Any) -> str | None:
        if _aimed_at(write.path)(n, request) and not hits:
            hits.append(fault)
            return fault
        return None

    faulty = FaultTransport(sandbox.emulator.transport(), script=once)
    with sandbox.connect(faulty, api_version=write.api_version) as store:
        try:
            result = write.call(store, sandbox)
        except OutcomeUnknown:
            result = None
    assert hits == [fault]
    assert write.effects(sandbox) == 1, sandbox.writes()
    if result is not None:
        assert type(result) is type(expected)
        assert _same_shape(result, expected)


def _same_shape(result: Any, expected: Any) -> bool:
    """The result of the lost-answer run is the same kind of record as a clean run's."""
    if hasattr(expected, "total") and hasattr(expected, "status"):
        return bool(result.status == expected.status and result.total == expected.total)
    if hasattr(expected, "amount"):
        return bool(result.amount == expected.amount)
    if hasattr(expected, "status_raw"):
        return bool(result.status_raw == expected.status_raw)
    return True


def _quote(store: storebridge.Store, number: str = FULFILLED_PAID) -> RefundQuote:
    order = store.orders.get(number)
    line = order.lines[0]
    return store.refunds.calculate(
        order.ref, lines=[RefundLine(line_ref=line.ref, quantity=1, restock=RestockType.NO_RESTOCK)]
    )


@pytest.mark.parametrize("api_version", ["2024-04-01", "2023-02-10"])
def test_the_same_quote_twice_makes_one_refund(api_version: str) -> None:
    sandbox = Sandbox(orders=25)
    keys = MemoryIdempotencyStore()
    options = sandbox.time.options(max_concurrency=2, idempotency_store=keys)
    with storebridge.connect("29next", transport=sandbox.emulator.transport(), options=options,
                             api_version=api_version, **sandbox.settings) as store:  # fmt: skip
        if api_version == "2023-02-10":
            quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                                total=Money("5.00", "USD"))  # fmt: skip
        else:
            quote = _quote(store)
        first = store.refunds.create(quote)
        again = store.refunds.create(quote)
        # As if the process had died after sending, before recording the refund:
        keys.unsettle(f"29next:acme.29next.store:{quote.idempotency_key}")
        if api_version == "2023-02-10":
            # An amount alone cannot be told from an earlier refund of the same amount.
            with pytest.raises(OutcomeUnknown, match=first.ref):
                store.refunds.create(quote)
        else:
            assert store.refunds.create(quote) == first
    assert first == again
    assert len(_order(sandbox, FULFILLED_PAID).refunds) == 1


def test_an_unsettled_quote_that_was_never_sent_is_sent_once() -> None:
    sandbox = Sandbox(orders=25)
    keys = MemoryIdempotencyStore()
    options = sandbox.time.options(max_concurrency=2, idempotency_store=keys)
    with storebridge.connect("29next", transport=sandbox.emulator.transport(), options=options,
                             **sandbox.settings) as store:  # fmt: skip
        quote = _quote(store)
        key = f"29next:acme.29next.store:{quote.idempotency_key}"
        assert keys.claim(key).state == "new"
        keys.unsettle(key)  # claimed by a process that died before sending
        refund = store.refunds.create(quote)
    assert [r["id"] for r in _order(sandbox, FULFILLED_PAID).refunds] == [int(refund.ref)]


def test_find_refund_tells_a_quote_s_refund_from_another_of_the_same_amount() -> None:
    sandbox = Sandbox(orders=25)
    with sandbox.connect() as store:
        quote = _quote(store, THREE_UNITS)
        adapter = store.adapter
        assert store.run(adapter.find_refund(quote)) is None
        made = store.refunds.create(quote)
        assert store.run(adapter.find_refund(quote)) == made
        # A second quote for the same line and amount, calculated after the first refund:
        later = _quote(store, THREE_UNITS)
        assert later.total == quote.total
        assert store.run(adapter.find_refund(later)) is None
        # A hand-built quote cannot be told from the refund already there: never re-sent.
        blind = RefundQuote(platform="29next", order_ref=THREE_UNITS, lines=quote.lines,
                            total=quote.total)  # fmt: skip
        with pytest.raises(OutcomeUnknown, match=made.ref):
            store.run(adapter.find_refund(blind))


def test_legacy_version_lists_no_refund_calculation() -> None:
    sandbox = Sandbox(orders=5)
    with sandbox.connect(api_version="2023-02-10") as legacy, sandbox.connect() as current:
        assert "refunds.calculate" not in legacy.capabilities
        assert "refunds.calculate" in current.capabilities
        assert "refunds.create" in legacy.capabilities
        with pytest.raises(storebridge.UnsupportedOperation, match="2024-04-01"):
            legacy.refunds.calculate(FULFILLED_PAID, lines=[RefundLine(line_ref="1", quantity=1)])
    assert sandbox.emulator.requests == []
