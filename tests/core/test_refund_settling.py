"""Settling a refund whose answer was lost never takes another quote's refund for its own.

On SHOPLINE and 29 Next a lost ``refunds.create`` is settled by looking for a refund that
matches the quote (its amount and lines, new since the quote): two quotes of the same
amount for the same lines look alike there. The cases below once returned the other
quote's refund as this one's, telling the caller a refund was made that never was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import OutcomeUnknown, RefundLine, RefundQuote, ValidationError, _http
from storebridge.idempotency import MemoryIdempotencyStore, SQLiteIdempotencyStore
from storebridge.model import Order, Refund
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox

REFUND_PATH = {"shopline": "/order/refund.json", "29next": "/refund"}
PLATFORMS = ["shopline", "29next"]


def _refund_post(platform: str, request: Any) -> bool:
    """Whether ``request`` is ``platform``'s refund write."""
    path: str = request.url.path.rstrip("/")
    return request.method == "POST" and path.endswith(REFUND_PATH[platform])


class LoseRefunds:
    """A fault script: the next ``n`` refund POSTs are reset before the server sees them."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.n = 0

    def __call__(self, number: int, request: Any) -> str | None:
        if _refund_post(self.platform, request) and self.n > 0:
            self.n -= 1
            return "reset_before"
        return None


@pytest.fixture(params=["memory", "sqlite"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryIdempotencyStore()
    else:
        store = SQLiteIdempotencyStore(tmp_path / "keys.sqlite")
        yield store
        store.close()


def _open(platform: str, keys: Any) -> tuple[storebridge.Store, LoseRefunds, Any]:
    kit = sandbox(platform, orders=20)
    lose = LoseRefunds(platform)
    store = connect(kit, "shop", transport=FaultTransport(kit.emulator.transport(), script=lose),
                    idempotency_store=keys)  # fmt: skip
    return store, lose, kit


def _paid_order_with_two_units(store: storebridge.Store) -> Order:
    return next(
        o for o in store.orders.list(detail=True)
        if o.lines and o.lines[0].quantity >= 2 and not o.refunds
        and o.financial_status.value == "paid"
    )  # fmt: skip


def _refundable(store: storebridge.Store, platform: str, units: Callable[[int], bool]) -> Order:
    """A paid order with no refund whose first line's quantity passes ``units``; on 29 Next
    a fulfilled one (an unfulfilled line is cancelled there, not refunded)."""
    return next(
        o for o in store.orders.list(detail=True)
        if o.lines and units(o.lines[0].quantity) and not o.refunds
        and o.financial_status.value == "paid"
        and (platform != "29next" or o.lines[0].fulfillment_status.value == "fulfilled")
    )  # fmt: skip


def _one_unit(store: storebridge.Store, order: Order) -> RefundQuote:
    line = RefundLine(line_ref=order.lines[0].ref, quantity=1)
    return store.refunds.calculate(order.ref, lines=[line])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_quote_calculated_before_another_refund_is_refused(platform: str, keys: Any) -> None:
    store, _, _ = _open(platform, keys)
    with store:
        order = _paid_order_with_two_units(store)
        first, second = _one_unit(store, order), _one_unit(store, order)
        made = store.refunds.create(first)
        with pytest.raises(ValidationError, match="calculate the quote again") as caught:
            store.refunds.create(second)
        assert caught.value.field == "quote"
        assert [r.ref for r in store.orders.get(order.ref).refunds] == [made.ref]
        # Calculated again, it goes through: the second unit is refunded once.
        again = store.refunds.create(_one_unit(store, order))
        refunds = store.orders.get(order.ref).refunds
        assert sorted(r.ref for r in refunds) == sorted([made.ref, again.ref])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lost_quote_is_not_settled_with_the_refund_another_quote_made(
    platform: str, keys: Any
) -> None:
    store, lose, _ = _open(platform, keys)
    with store:
        order = _paid_order_with_two_units(store)
        lost, other = _one_unit(store, order), _one_unit(store, order)
        lose.n = 1  # the send never reaches the store (and is not sent again)
        with pytest.raises(OutcomeUnknown):
            store.refunds.create(lost)
        made = store.refunds.create(other)  # the order is as both were calculated on
        # The lost quote's look-up finds `made`: new since the quote, same amount and lines.
        with pytest.raises(OutcomeUnknown, match="made by another quote"):
            store.refunds.create(lost)
        assert [r.ref for r in store.orders.get(order.ref).refunds] == [made.ref]
        # Still unsettled: asking again gives the same answer, never a refund.
        with pytest.raises(OutcomeUnknown, match="made by another quote"):
            store.refunds.create(lost)
        # The quote that made it still returns it.
        assert store.refunds.create(other).ref == made.ref


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lost_quote_that_was_made_is_settled_with_its_own_refund(
    platform: str, keys: Any
) -> None:
    kit = sandbox(platform, orders=20)
    script_state = {"n": 0}

    def lose_answer(number: int, request: Any) -> str | None:
        if _refund_post(platform, request) and script_state["n"] > 0:
            script_state["n"] -= 1
            return "reset_after"  # processed, answer lost
        if request.method == "GET" and script_state["n"] == 0 and script_state.get("reads"):
            script_state["reads"] -= 1
            return "reset_before"  # and the read-back in the same call fails too
        return None

    faulty = FaultTransport(kit.emulator.transport(), script=lose_answer)
    with connect(kit, "shop", transport=faulty, idempotency_store=keys) as store:
        order = _paid_order_with_two_units(store)
        quote = _one_unit(store, order)
        script_state.update(n=1, reads=50)
        with pytest.raises(OutcomeUnknown):
            store.refunds.create(quote)
        script_state["reads"] = 0
        settled = store.refunds.create(quote)
        refunds = store.orders.get(order.ref).refunds
        assert [r.ref for r in refunds] == [settled.ref]
        assert settled.amount == quote.total


def test_a_hand_built_shopline_quote_is_not_settled_with_an_older_refund(keys: Any) -> None:
    store, lose, _ = _open("shopline", keys)
    with store:
        order = _paid_order_with_two_units(store)
        calculated = _one_unit(store, order)
        made = store.refunds.create(calculated)
        by_hand = RefundQuote(
            platform="shopline",
            order_ref=order.ref,
            lines=calculated.lines,
            total=calculated.total,
            allocations=calculated.allocations,
        )
        lose.n = 2
        with pytest.raises(OutcomeUnknown):
            store.refunds.create(by_hand)
        # `made` has its amount and lines; nothing says whether it is this quote's.
        with pytest.raises(OutcomeUnknown, match="built by hand"):
            store.refunds.create(by_hand)
        assert [r.ref for r in store.orders.get(order.ref).refunds] == [made.ref]


class RefundMeanwhile:
    """A fault script: just before the first refund POST reaches the store, ``meanwhile``
    runs (another call's refund lands), then the POST is processed and its answer lost."""

    def __init__(self, platform: str, meanwhile: Any) -> None:
        self.platform = platform
        self.meanwhile = meanwhile
        self.done = False

    def __call__(self, number: int, request: Any) -> str | None:
        if _refund_post(self.platform, request) and not self.done:
            self.done = True
            self.meanwhile()
            return "lost_502"
        return None


def _race(platform: str, keys: Any, units: int) -> tuple[list[str], Any, pytest.ExceptionInfo[Any]]:
    """Quotes A and B for one unit of a line of ``units``, both calculated first; A's refund
    lands after B has read the order but before B's POST, whose answer is then lost."""
    kit = sandbox(platform, orders=25)
    made: dict[str, Any] = {}
    with connect(kit, "shop", idempotency_store=keys) as plain:
        order = _refundable(plain, platform, lambda units_now: units_now == units)
        a, b = _one_unit(plain, order), _one_unit(plain, order)

        def a_lands() -> None:
            made["a"] = plain.refunds.create(a)

        faulty = FaultTransport(kit.emulator.transport(), script=RefundMeanwhile(platform, a_lands))
        with connect(kit, "shop", transport=faulty, idempotency_store=keys) as store:
            with pytest.raises(OutcomeUnknown) as caught:
                store.refunds.create(b)
            refunds = [r.ref for r in plain.orders.get(order.ref).refunds]
            # Still unsettled: calling again never returns A's refund as B's.
            with pytest.raises(OutcomeUnknown):
                store.refunds.create(b)
        assert plain.refunds.create(a).ref == made["a"].ref
    return refunds, made["a"], caught


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lost_refund_refused_by_the_store_is_not_settled_with_the_one_that_beat_it(
    platform: str, keys: Any
) -> None:
    """One unit: B's POST is refused by the store (A refunded it), its answer lost. The only
    new refund is A's; it once came back as B's refund."""
    refunds, a, caught = _race(platform, keys, units=1)
    assert refunds == [a.ref]
    assert "ran at the same time" in str(caught.value)


def test_two_new_refunds_alike_are_not_told_apart_by_guessing(keys: Any) -> None:
    """Three units: both refunds are made. The read-back sees two new refunds of the same
    amount and lines; SHOPLINE once took the first (A's) as B's, and B's own went
    unreported."""
    refunds, a, caught = _race("shopline", keys, units=3)
    assert len(refunds) == 2 and a.ref in refunds
    assert "cannot be told" in str(caught.value)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("read_fault", ["server_error", "wrong_shape", "reset_after"])
def test_a_failed_look_up_for_an_unsettled_quote_stays_outcome_unknown(
    platform: str, read_fault: str, keys: Any
) -> None:
    """Calling again after OutcomeUnknown looks for the earlier refund first; when that read
    fails, the caller is told the outcome is still unknown (an ordinary ServerError there
    once read as "nothing happened"), and a later call settles it with the one refund."""
    kit = sandbox(platform, orders=20)
    state = {"lose": 0, "reads": 0, "posted": 0}

    def script(number: int, request: Any) -> str | None:
        if request.method == "POST" and state["lose"]:
            state.update(lose=state["lose"] - 1, posted=1)
            return "reset_after"
        if request.method == "GET" and state["reads"] and state["posted"]:
            return read_fault  # every read after the POST
        return None

    faulty = FaultTransport(kit.emulator.transport(), script=script)
    with connect(kit, "shop", transport=faulty, idempotency_store=keys) as store:
        order = _paid_order_with_two_units(store)
        quote = _one_unit(store, order)
        state.update(lose=1, reads=1)
        with pytest.raises(OutcomeUnknown):
            store.refunds.create(quote)
        with pytest.raises(OutcomeUnknown, match="looking for its refund"):
            store.refunds.create(quote)
        state["reads"] = 0
        settled = store.refunds.create(quote)
        assert [r.ref for r in store.orders.get(order.ref).refunds] == [settled.ref]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_refund_read_back_while_another_call_runs_is_not_taken(platform: str, keys: Any) -> None:
    """K1's POST never reaches the store; K2's is processed, its answer still on its way.
    K1's read-back finds K2's refund, which K2 has not recorded yet: K1 once reported it
    as its own. K1 now gets OutcomeUnknown, and K2 (answered 2xx) its refund."""
    import threading

    kit = sandbox(platform, orders=25)
    inner = kit.emulator.transport()
    processed, release = threading.Event(), threading.Event()

    class HeldAnswer(_http.BaseTransport):
        def handle_request(self, request: Any) -> Any:
            response = inner.handle_request(request)
            if _refund_post(platform, request):
                response.read()
                processed.set()
                release.wait(30)
            return response

    with connect(kit, "shop", idempotency_store=keys) as plain:
        order = _refundable(plain, platform, lambda units_now: units_now >= 2)
        q1, q2 = _one_unit(plain, order), _one_unit(plain, order)
        out: dict[str, Any] = {}
        other = connect(kit, "shop", transport=HeldAnswer(), idempotency_store=keys)

        def k2() -> None:
            try:
                out["k2"] = other.refunds.create(q2)
            except Exception as exc:  # the assertion below says which
                out["k2"] = exc

        thread = threading.Thread(target=k2)

        def script(_n: int, request: Any) -> str | None:
            if _refund_post(platform, request) and not thread.is_alive() and "k2" not in out:
                thread.start()
                processed.wait(30)
                return "reset_before"  # K1's own POST never reaches the store
            return None

        with connect(kit, "shop", transport=FaultTransport(inner, script=script),
                     idempotency_store=keys) as store:  # fmt: skip
            with pytest.raises(OutcomeUnknown, match="ran at the same time"):
                store.refunds.create(q1)
        release.set()
        thread.join(30)
        other.close()
        made = out["k2"]
        assert isinstance(made, Refund), made
        assert [r.ref for r in plain.orders.get(order.ref).refunds] == [made.ref]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_refund_answered_on_a_second_sandbox_is_its_own(platform: str, keys: Any) -> None:
    """Two sandboxes of one platform share a store id and refund numbers. A refund on the
    first completes while one on the second runs; the second, answered 2xx, once came back
    OutcomeUnknown ("made by another quote") because the number was the first's."""
    first, second = sandbox(platform, orders=20), sandbox(platform, orders=20)
    with connect(first, "shop", idempotency_store=keys) as one:
        order = _paid_order_with_two_units(one)
        quote = _one_unit(one, order)
        made: dict[str, Refund] = {}

        def meanwhile(_n: int, request: Any) -> str | None:
            if _refund_post(platform, request) and not made:
                made["a"] = one.refunds.create(quote)
            return None

        faulty = FaultTransport(second.emulator.transport(), script=meanwhile)
        with connect(second, "shop", transport=faulty, idempotency_store=keys) as two:
            theirs = _paid_order_with_two_units(two)
            refund = two.refunds.create(_one_unit(two, theirs))
            assert [r.ref for r in two.orders.get(theirs.ref).refunds] == [refund.ref]
    assert refund.ref == made["a"].ref  # the same number, on another sandbox
