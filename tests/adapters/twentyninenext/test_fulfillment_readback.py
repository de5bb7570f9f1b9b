"""29 Next fulfilment writes whose answer is lost are settled by what is new, not by what
only looks like it.

Each read-back once accepted state that was there before the call: an earlier split of
the same lines (request), an earlier move to the same location (move), an earlier hold of
the same reason (hold), an earlier cancellation request (cancellation). After a 5xx that
reached nothing, the call returned success and nothing had happened. Now such a call finds
nothing new and, since a read can lag behind a write, is not sent again: OutcomeUnknown.
"""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox
from tests.support.faults import FailNextPost


@pytest.fixture
def shop() -> Any:
    kit = sandbox("29next")
    fail = FailNextPost("fulfillment-orders")
    with connect(kit, "shop", transport=FaultTransport(kit.emulator.transport(), script=fail)) \
            as store:  # fmt: skip
        emulator: Any = kit.emulator
        yield emulator.state, store, fail


def _open_with_two_units(state: Any) -> tuple[str, str]:
    fo = next(
        f for f in state.fulfillment_orders.values()
        if f.status == "open" and any(e["quantity"] >= 2 for e in f.line_items)
    )  # fmt: skip
    line = next(e for e in fo.line_items if e["quantity"] >= 2)
    return str(fo.id), str(line["id"])


@pytest.mark.parametrize("lost", ["server_error", "reset_before"])
def test_a_second_request_of_the_same_lines_is_not_settled_by_the_first(
    shop: Any, lost: str
) -> None:
    state, store, fail = shop
    ref, line = _open_with_two_units(state)
    first = store.extra.request_fulfillment(ref, lines={line: 1}, message="first")
    fail.kind = lost
    with pytest.raises(storebridge.OutcomeUnknown, match="not sent again"):
        store.extra.request_fulfillment(ref, lines={line: 1}, message="second")
    made = [m.get("message") for f in state.fulfillment_orders.values()
            for m in f.merchant_requests]  # fmt: skip
    assert "second" not in made and "first" in made
    assert state.fulfillment_orders[int(first.requested.ref)].status == "processing"


@pytest.mark.parametrize("lost", ["reset_after", "lost_502"])
def test_a_request_whose_answer_was_lost_is_read_back_once(shop: Any, lost: str) -> None:
    state, store, fail = shop
    ref, line = _open_with_two_units(state)
    order = state.fulfillment_orders[int(ref)].order_number
    count = len(state.fulfillment_orders_of(order))
    fail.kind = lost
    done = store.extra.request_fulfillment(ref, lines={line: 1}, message="once")
    assert done.requested.status_raw == "processing"
    assert len(state.fulfillment_orders_of(order)) == count + 1  # one split, not two


def test_a_move_is_not_settled_by_an_earlier_move_to_the_same_place(shop: Any) -> None:
    state, store, fail = shop
    ref, line = _open_with_two_units(state)
    split = store.extra.request_fulfillment(ref, lines={line: 1}, message="go")
    store.extra.request_fulfillment_cancellation(split.requested.ref, message="stop")
    first = store.extra.move_fulfillment_order(split.requested.ref, "2")
    fo = state.fulfillment_orders[int(ref)]
    moving = next(str(e["id"]) for e in fo.line_items if str(e["order_line_id"]) ==
                  str(first.moved.lines[0].line_ref))  # fmt: skip
    fail.kind = "server_error"
    with pytest.raises(storebridge.OutcomeUnknown, match="not sent again"):
        store.extra.move_fulfillment_order(ref, "2", line_refs=[moving])
    left = state.fulfillment_orders[int(ref)].line_items
    assert any(str(e["id"]) == moving for e in left)  # not moved, and not taken as moved


def test_a_hold_is_not_settled_by_an_earlier_hold_of_the_same_reason(shop: Any) -> None:
    state, store, fail = shop
    ref, _ = _open_with_two_units(state)
    store.extra.hold_fulfillment_order(ref, reason="other", message="warehouse flood")
    fail.kind = "server_error"
    with pytest.raises(storebridge.OutcomeUnknown, match="not sent again"):
        store.extra.hold_fulfillment_order(ref, reason="other", message="mine")
    assert len(state.fulfillment_orders[int(ref)].holds) == 1


def test_a_cancellation_request_is_not_settled_by_an_earlier_one(shop: Any) -> None:
    state, store, fail = shop
    ref, _ = _open_with_two_units(state)
    store.extra.request_fulfillment(ref, message="go")
    store.extra.request_fulfillment_cancellation(ref, message="first stop")
    fail.kind = "server_error"
    with pytest.raises(storebridge.OutcomeUnknown, match="not sent again"):
        store.extra.request_fulfillment_cancellation(ref, message="second stop")
    made = [m["message"] for m in state.fulfillment_orders[int(ref)].merchant_requests]
    assert made.count("second stop") == 0
