"""2023-02-10 refunds an amount only (its ``RefundOrder`` body is ``{amount, is_external,
send_refund_notification}``): a quote with lines is refused before anything is sent, so
a lost answer and a retry of the same quote never refund twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

import storebridge
from storebridge import (
    Money,
    OutcomeUnknown,
    RefundLine,
    RefundQuote,
    RestockType,
    TransactionAllocation,
)
from storebridge.errors import ValidationError
from storebridge.idempotency import MemoryIdempotencyStore
from storebridge.testing import LOST_ANSWER_FAULTS, FaultTransport
from tests.adapters.twentyninenext.support.sandbox import Sandbox

LEGACY = "2023-02-10"
FULFILLED_PAID = "100006"  # seed: paid and fulfilled


def _lost_once(fault: str, hits: list[str]) -> Any:
    """Loses the answer of the first refund sent (the platform has processed it)."""

    def script(n: int, request: Any) -> str | None:
        if request.method == "POST" and request.url.path.endswith("/refund/") and not hits:
            hits.append(fault)
            return fault
        return None

    return script


def _connect(sandbox: Sandbox, transport: Any) -> storebridge.Store:
    options = sandbox.time.options(max_concurrency=2, idempotency_store=MemoryIdempotencyStore())
    return storebridge.connect("29next", transport=transport, options=options,
                               api_version=LEGACY, **sandbox.settings)  # fmt: skip


def _refunds_on_store(sandbox: Sandbox) -> int:
    return len(sandbox.emulator.state.orders[FULFILLED_PAID].refunds)


@pytest.mark.parametrize("fault", LOST_ANSWER_FAULTS)
def test_a_quote_with_lines_is_refused_and_its_retry_refunds_nothing(fault: str) -> None:
    sandbox = Sandbox(orders=25)
    hits: list[str] = []
    faulty = FaultTransport(sandbox.emulator.transport(), script=_lost_once(fault, hits))
    with _connect(sandbox, faulty) as store:
        line = store.orders.get(FULFILLED_PAID).lines[0]
        quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, total=line.unit_price,
                            lines=(RefundLine(line_ref=line.ref, quantity=1,
                                              restock=RestockType.RETURN),))  # fmt: skip
        for _attempt in range(2):  # the caller retries the same quote
            with pytest.raises(ValidationError) as caught:
                store.refunds.create(quote)
            assert caught.value.field == "quote.lines"
            assert "api_version" in str(caught.value) and "2024-04-01" in str(caught.value)
            assert "lines=()" in str(caught.value)
    assert sandbox.writes() == [] and hits == []
    assert _refunds_on_store(sandbox) == 0


@pytest.mark.parametrize("fault", LOST_ANSWER_FAULTS)
def test_an_amount_quote_with_a_lost_answer_and_a_retry_refunds_once(fault: str) -> None:
    sandbox = Sandbox(orders=25)
    hits: list[str] = []
    faulty = FaultTransport(sandbox.emulator.transport(), script=_lost_once(fault, hits))
    with _connect(sandbox, faulty) as store:
        quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                            total=Money("5.00", "USD"))  # fmt: skip
        results: list[Any] = []
        for _attempt in range(2):
            try:
                results.append(store.refunds.create(quote))
            except OutcomeUnknown as exc:
                results.append(exc)
    assert hits == [fault]
    assert _refunds_on_store(sandbox) == 1
    made = [r for r in results if not isinstance(r, OutcomeUnknown)]
    assert all(r.amount == Money("5.00", "USD") and r.lines == () for r in made)
    assert len({r.ref for r in made}) <= 1


def _split_payment(sandbox: Sandbox, number: str) -> tuple[str, str]:
    """Pay ``number`` with two card payments instead of one: the refs of both."""
    state = sandbox.emulator.state
    first = next(t for t in state.transactions.values() if t.order == number and t.type == "debit")
    half = (first.available_for_refund / 2).quantize(Decimal("0.01"))
    first.amount -= half
    first.available_for_refund -= half
    second = attrs.evolve(first, id=max(state.transactions) + 1, amount=half,
                          available_for_refund=half)  # fmt: skip
    state.add_transaction(second)
    state.orders[number].transaction_ids.append(second.id)
    return str(first.id), str(second.id)


@pytest.mark.parametrize("payments", [1, 2])
def test_allocations_are_refused_when_2023_02_10_could_refund_another_payment(
    payments: int,
) -> None:
    sandbox = Sandbox(orders=25)
    refs = _split_payment(sandbox, FULFILLED_PAID) if payments == 2 else None
    with _connect(sandbox, sandbox.emulator.transport()) as store:
        only = (
            refs[1]
            if refs
            else next(iter(store.orders.get(FULFILLED_PAID).raw["transactions"]))["id"]
        )
        allocation = TransactionAllocation(transaction_ref=str(only), amount=Money("5.00", "USD"))
        quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                            total=Money("5.00", "USD"), allocations=(allocation,))  # fmt: skip
        if payments == 2:  # 29 Next would pick the payment itself, maybe not the one chosen
            with pytest.raises(ValidationError) as caught:
                store.refunds.create(quote)
            assert caught.value.field == "quote.allocations"
            assert "has 2 payments" in str(caught.value) and "2024-04-01" in str(caught.value)
            assert _refunds_on_store(sandbox) == 0
        else:  # the order's only payment: the one 29 Next refunds from anyway
            assert store.refunds.create(quote).amount == Money("5.00", "USD")
            assert _refunds_on_store(sandbox) == 1


def test_an_allocation_to_the_only_payment_with_money_left_is_sent() -> None:
    sandbox = Sandbox(orders=25)
    first, second = _split_payment(sandbox, FULFILLED_PAID)
    state = sandbox.emulator.state
    paid = state.transactions[int(first)]  # refunded in full already: nothing left to return
    returned = attrs.evolve(paid, id=max(state.transactions) + 1, type="refund",
                            parent_id=paid.id, available_for_refund=Decimal(0))  # fmt: skip
    paid.available_for_refund = Decimal(0)
    state.add_transaction(returned)
    state.orders[FULFILLED_PAID].transaction_ids.append(returned.id)
    with _connect(sandbox, sandbox.emulator.transport()) as store:
        allocation = TransactionAllocation(transaction_ref=second, amount=Money("5.00", "USD"))
        quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                            total=Money("5.00", "USD"), allocations=(allocation,))  # fmt: skip
        assert store.refunds.create(quote).amount == Money("5.00", "USD")
    assert _refunds_on_store(sandbox) == 1


def test_allocations_that_cannot_be_the_refund_made_are_refused_with_their_reason() -> None:
    sandbox = Sandbox(orders=25)
    with _connect(sandbox, sandbox.emulator.transport()) as store:
        paid = str(store.orders.get(FULFILLED_PAID).raw["transactions"][0]["id"])

        def quote(allocated: str, ref: str = paid) -> RefundQuote:
            allocation = TransactionAllocation(transaction_ref=ref, amount=Money(allocated, "USD"))
            return RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                               total=Money("5.00", "USD"), allocations=(allocation,))  # fmt: skip

        with pytest.raises(ValidationError, match=r"add up to 3\.00 USD, not the quote total"):
            store.refunds.create(quote("3.00"))  # 2023-02-10 would refund the whole 5.00
        with pytest.raises(ValidationError, match="have nothing left to return"):
            store.refunds.create(quote("5.00", ref="999999"))
    assert _refunds_on_store(sandbox) == 0


def test_an_allocation_names_its_payment_as_a_number_however_it_is_spelled() -> None:
    sandbox = Sandbox(orders=25)
    with _connect(sandbox, sandbox.emulator.transport()) as store:
        paid = str(store.orders.get(FULFILLED_PAID).raw["transactions"][0]["id"])
        allocation = TransactionAllocation(transaction_ref=f"0{paid}", amount=Money("5.00", "USD"))
        quote = RefundQuote(platform="29next", order_ref=FULFILLED_PAID, lines=(),
                            total=Money("5.00", "USD"), allocations=(allocation,))  # fmt: skip
        assert store.refunds.create(quote).amount == Money("5.00", "USD")
    assert _refunds_on_store(sandbox) == 1
