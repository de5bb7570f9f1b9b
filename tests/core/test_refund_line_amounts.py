"""A refund line's ``amount`` is never dropped in silence.

Neither SHOPLINE nor 29 Next takes an amount per refund line: their calculate and refund
bodies give each line a quantity, and the platform prices the units. An amount was once
accepted and left out of both requests, so asking to refund 1.00 of a line refunded the
whole line (and an amount in another currency, or above the line, went through the same
way). Such a line is now refused, naming it, before any refund: an amount passes only
when it is what the quote returns for the line's units (a quote's own lines, calculated
again).
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import storebridge
from storebridge import Money, OutcomeUnknown, RefundLine, ValidationError, _http
from storebridge.model import Order
from storebridge.testing import FaultTransport
from tests.migrate.support import connect, sandbox

PLATFORMS = ["shopline", "29next"]
REFUND_PATH = {"shopline": "/order/refund.json", "29next": "/refund"}


class Recording(_http.BaseTransport):
    """Passes requests on and keeps each one's method and path."""

    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: _http.Request) -> _http.Response:
        self.sent.append((request.method, request.url.path))
        return self.inner.handle_request(request)


def _refund_post(platform: str, request: _http.Request) -> bool:
    path: str = request.url.path.rstrip("/")
    return request.method == "POST" and path.endswith(REFUND_PATH[platform])


class LoseRefundAnswers:
    """A fault script: every refund POST is processed and its answer lost."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.posts = 0

    def __call__(self, number: int, request: _http.Request) -> str | None:
        if _refund_post(self.platform, request):
            self.posts += 1
            return "reset_after"
        return None


def _refundable(store: storebridge.Store, platform: str) -> Order:
    """A paid order with no refund; on 29 Next its first line is fulfilled, so it can be
    refunded without restocking."""
    return next(
        o for o in store.orders.list(detail=True)
        if o.lines and not o.refunds and o.financial_status.value == "paid"
        and (platform != "29next" or o.lines[0].fulfillment_status.value == "fulfilled")
    )  # fmt: skip


def _other(currency: str) -> str:
    return "EUR" if currency != "EUR" else "USD"


def _asked(order: Order, case: str) -> Money:
    line = order.lines[0]
    amounts = {
        "part of a unit": Money(Decimal("1.00"), order.currency),
        "a unit's whole price": line.unit_price,
        "another currency": Money(Decimal("1.00"), _other(order.currency)),
        "above the line": line.unit_price * (line.quantity * 10),
    }
    return amounts[case]


def _refunds_sent(recording: Recording) -> list[tuple[str, str]]:
    return [(m, p) for m, p in recording.sent if m == "POST" and "calculate" not in p]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("case", ["part of a unit", "another currency", "above the line"])
def test_a_line_amount_the_quote_does_not_return_is_refused(platform: str, case: str) -> None:
    kit = sandbox(platform, orders=20)
    recording = Recording(kit.emulator.transport())
    with connect(kit, "shop", transport=recording) as store:
        order = _refundable(store, platform)
        line = RefundLine(line_ref=order.lines[0].ref, quantity=1, amount=_asked(order, case))
        recording.sent.clear()
        with pytest.raises(ValidationError) as caught:
            store.refunds.calculate(order.ref, lines=[line])
        assert caught.value.field == "lines[0].amount"
        assert _refunds_sent(recording) == []
    with connect(kit, "check") as plain:
        after = plain.orders.get(order.ref)
    assert after.refunds == ()
    assert after.total == order.total


@pytest.mark.parametrize("platform", PLATFORMS)
def test_part_of_a_unit_is_refused_as_whole_units_only(platform: str) -> None:
    kit = sandbox(platform, orders=20)
    with connect(kit, "shop") as store:
        order = _refundable(store, platform)
        line = RefundLine(
            line_ref=order.lines[0].ref, quantity=1, amount=_asked(order, "part of a unit")
        )
        with pytest.raises(ValidationError, match="whole units") as caught:
            store.refunds.calculate(order.ref, lines=[line])
    assert caught.value.field == "lines[0].amount"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_quote_is_calculated_again_from_its_own_lines(platform: str) -> None:
    kit = sandbox(platform, orders=20)
    with connect(kit, "shop") as store:
        order = _refundable(store, platform)
        quote = store.refunds.calculate(
            order.ref, lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1)]
        )
        assert all(line.amount is not None for line in quote.lines)
        again = store.refunds.calculate(order.ref, lines=quote.lines)
        assert again.total == quote.total
        assert [line.amount for line in again.lines] == [line.amount for line in quote.lines]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_through_a_lost_refund_answer_no_line_amount_is_dropped(platform: str) -> None:
    kit = sandbox(platform, orders=20)
    script = LoseRefundAnswers(platform)
    faulty = FaultTransport(kit.emulator.transport(), script=script)
    with connect(kit, "shop", transport=faulty) as store:
        order = _refundable(store, platform)
        asked = RefundLine(
            line_ref=order.lines[0].ref, quantity=1, amount=Money("1.00", order.currency)
        )
        with pytest.raises(ValidationError) as caught:
            store.refunds.calculate(order.ref, lines=[asked])
        assert caught.value.field == "lines[0].amount"
        assert script.posts == 0
        # Whole units, as the error says: the quoted amount is refunded, once, though the
        # refund's answer is lost.
        quote = store.refunds.calculate(order.ref, lines=[attrs.evolve(asked, amount=None)])
        assert quote.lines[0].amount == order.lines[0].unit_price
        try:
            made = store.refunds.create(quote)
        except OutcomeUnknown:
            made = store.refunds.create(quote)  # the quote is single-use: settled, not re-sent
        assert script.posts == 1
        assert faulty.injected["reset_after"] == 1
        assert made.amount == quote.total
    with connect(kit, "check") as plain:
        refunds = plain.orders.get(order.ref).refunds
    assert [(r.ref, r.amount) for r in refunds] == [(made.ref, quote.total)]


def test_a_29next_quote_line_amount_in_another_currency_is_refused_before_the_refund() -> None:
    kit = sandbox("29next", orders=20)
    recording = Recording(kit.emulator.transport())
    with connect(kit, "shop", transport=recording) as store:
        order = _refundable(store, "29next")
        quote = store.refunds.calculate(
            order.ref, lines=[RefundLine(line_ref=order.lines[0].ref, quantity=1)]
        )
        first = quote.lines[0]
        assert first.amount is not None
        foreign = Money(first.amount.amount, _other(order.currency))
        mixed = attrs.evolve(quote, lines=(attrs.evolve(first, amount=foreign),))
        recording.sent.clear()
        with pytest.raises(ValidationError) as caught:
            store.refunds.create(mixed)
        assert caught.value.field == "quote.lines[0].amount"
        assert [method for method, _ in recording.sent] == ["GET"]  # the order, no refund
    with connect(kit, "check") as plain:
        assert plain.orders.get(order.ref).refunds == ()
