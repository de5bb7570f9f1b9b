"""Listings through the fault layer, the rate limit, and writes whose answer is lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from storebridge import CustomerDraft, RateLimit, RefundLine, Store, StorebridgeError
from storebridge.errors import PaginationError
from storebridge.http import Request
from storebridge.sandbox import Sandbox
from storebridge.testing import FakeTime, FaultTransport
from storebridge_example import ExampleEmulator

Connect = Callable[..., Store]
Script = Callable[[int, Request], str | None]


def test_orders_listing_is_exact_or_an_error_under_faults(
    sandbox: Sandbox, connect: Connect
) -> None:
    truth = [order.ref for order in connect().orders.list(page_size=2)]
    outcomes: Counter[str] = Counter()
    for seed in range(1, 9):
        faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=0.3)
        try:
            refs = [order.ref for order in connect(faulty).orders.list(page_size=2)]
        except StorebridgeError:
            outcomes["error"] += 1  # a fault outlasted the retries: an error, never fewer
            continue
        assert refs == truth, f"seed {seed}, faults {dict(faulty.injected)}"
        outcomes["exact"] += 1
        outcomes["faults"] += sum(faulty.injected.values())
    assert outcomes["faults"] > 0, "the fault layer injected nothing: nothing was checked"
    assert outcomes["exact"] > outcomes["error"], outcomes


def test_a_listing_that_keeps_getting_stale_pages_raises_instead_of_ending(
    sandbox: Sandbox, connect: Connect
) -> None:
    stale = FaultTransport(sandbox.emulator.transport(), rate=1.0, kinds=["stale_page"])
    with pytest.raises(PaginationError):
        list(connect(stale).orders.list(page_size=4))
    assert stale.injected["stale_page"] >= 2


def test_over_the_rate_limit_the_platform_answers_429_and_the_listing_completes(
    emulator: ExampleEmulator, connect: Connect, fake_time: FakeTime
) -> None:
    # A client told the limit is higher than the platform's sends more than its burst of
    # 20 at once: the emulator answers 429 with Retry-After, the facade waits (on fake
    # time) and asks again.
    greedy = RateLimit(per_second=1000, burst=1000)
    store = connect(rate_limit=greedy)
    refs = [order.ref for _ in range(2) for order in store.orders.list(page_size=1)]
    assert len(refs) == 24 and len(set(refs)) == 12
    assert emulator.guard.throttled > 0
    assert any(pause >= 1 for pause in fake_time.sleeps)  # Retry-After is whole seconds


def _lose_first(kind: str, method: str, path_end: str) -> Script:
    """A FaultTransport script: lose the answer to the first matching request."""
    fired: list[str] = []

    def script(_n: int, request: Request) -> str | None:
        if fired or request.method != method or not request.url.path.endswith(path_end):
            return None
        fired.append(kind)
        return kind

    return script


@pytest.mark.parametrize("kind", ["reset_after", "timeout_after", "lost_502", "truncated"])
def test_a_refund_whose_answer_is_lost_is_found_and_issued_once(
    sandbox: Sandbox, emulator: ExampleEmulator, connect: Connect, kind: str
) -> None:
    faulty = FaultTransport(
        sandbox.emulator.transport(), script=_lose_first(kind, "POST", "/refunds")
    )
    store = connect(faulty)
    order = next(o for o in store.orders.list() if o.financial_status.value == "paid")
    line = RefundLine(line_ref=order.lines[0].ref, quantity=1)
    quote = store.refunds.calculate(order.ref, lines=[line])
    refund = store.refunds.create(quote, note="damaged")
    again = store.refunds.create(quote, note="damaged")  # a quote refunds once
    assert faulty.injected[kind] == 1
    assert again.ref == refund.ref and refund.amount == quote.total
    on_platform = emulator.rows["orders"][order.ref]["refunds"]
    assert [str(r["id"]) for r in on_platform] == [refund.ref]
    sent = [r for r in emulator.requests if r.method == "POST" and r.path.endswith("/refunds")]
    assert len(sent) == 1


@pytest.mark.parametrize("kind", ["reset_after", "html_200", "wrong_shape"])
def test_a_customer_whose_answer_is_lost_is_read_back(
    sandbox: Sandbox, emulator: ExampleEmulator, connect: Connect, kind: str
) -> None:
    faulty = FaultTransport(
        sandbox.emulator.transport(), script=_lose_first(kind, "POST", "/customers")
    )
    created = connect(faulty).customers.create(
        CustomerDraft(email="lost@example.com", first_name="Lo")
    )
    assert faulty.injected[kind] == 1
    assert created.email == "lost@example.com" and created.first_name == "Lo"
    matching = [c for c in emulator.rows["customers"].values() if c["email"] == created.email]
    assert [str(c["id"]) for c in matching] == [created.ref]
