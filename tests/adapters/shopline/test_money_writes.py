"""Amounts written to SHOPLINE: exactly the amount asked for, or a ValidationError naming
the field before anything is sent.

SHOPLINE rounds every amount it takes to two decimal places; an amount is written with its
currency's decimals (JPY ``1000``), and one two decimals cannot hold (KWD ``1.125``) is
refused rather than rounded on the way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from storebridge import (
    Money,
    OrderDraft,
    OrderLineDraft,
    OutcomeUnknown,
    ProductDraft,
    ValidationError,
    VariantDraft,
)
from storebridge.http import Request
from storebridge.model import FinancialStatus, RefundQuote, TransactionAllocation
from storebridge.testing import FaultTransport
from storebridge_shopline import _converter as wire
from tests.adapters.shopline.support import World, paid_order, world


@pytest.mark.parametrize(
    ("amount", "text"),
    [("1000", "1000"), ("1000.00", "1000"), ("7", "7.00"), ("59.9", "59.90"),
     ("1.12", "1.120"), ("0.1", "0.100")],
)  # fmt: skip
def test_amounts_are_written_with_their_currencys_decimals(amount: str, text: str) -> None:
    currency = {"1000": "JPY", "1000.00": "JPY", "1.12": "KWD", "0.1": "BHD"}.get(amount, "USD")
    assert wire.money_text(Money(amount, currency), "price") == text


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.235", "KWD"), ("0.125", "BHD"), ("1.005", "USD"), ("1.5", "JPY")]
)
def test_an_amount_shopline_cannot_keep_is_refused_naming_the_field(
    amount: str, currency: str
) -> None:
    with pytest.raises(ValidationError) as err:
        wire.money_text(Money(amount, currency), "lines[2].unit_price")
    assert err.value.field == "lines[2].unit_price"
    assert amount in str(err.value)


def _kwd_quote(amount: str, shipping: str | None = None) -> RefundQuote:
    return RefundQuote(
        platform="shopline", order_ref="1", lines=(), total=Money(amount, "KWD"),
        allocations=(TransactionAllocation(transaction_ref="9", amount=Money(amount, "KWD")),),
        shipping=None if shipping is None else Money(shipping, "KWD"),
    )  # fmt: skip


def test_bodies_refuse_amounts_shopline_would_round_at_their_field() -> None:
    with pytest.raises(ValidationError) as err:
        wire.refund_body(_kwd_quote("7.125"), None, False)
    assert err.value.field == "quote.allocations[0].amount"
    with pytest.raises(ValidationError) as err:
        wire.refund_body(_kwd_quote("7.120", shipping="1.005"), None, False)
    assert err.value.field == "quote.shipping"
    product = ProductDraft(title="T", variants=(
        VariantDraft(sku="A", price=Money("2.340", "KWD")),
        VariantDraft(sku="B", price=Money("2.345", "KWD")),
    ))  # fmt: skip
    with pytest.raises(ValidationError) as err:
        wire.product_body(product)
    assert err.value.field == "variants[1].price"
    body = wire.refund_body(_kwd_quote("7.120", shipping="1.000"), None, False)
    assert (body["transactions"][0]["amount"], body["shipping"]["amount"]) == ("7.120", "1.000")


def _refund_posts(w: World) -> int:
    return sum(r.path.endswith("/order/refund.json") for r in w.emulator.requests)


def _kwd_store_refund(amount: str) -> tuple[World, str, list[object]]:
    """A hand-built KWD refund of ``amount`` sent twice, the first answer lost."""
    w = world(orders=6, currency="KWD", enabled_currencies=("KWD",), rate_limit=False)
    ref = paid_order(w)
    lost: list[str] = []

    def lose_first(_n: int, request: Request) -> str | None:
        if request.url.path.endswith("/order/refund.json") and not lost:
            lost.append("reset_after")
            return "reset_after"  # the store refunds, the answer is lost
        return None

    with w.connect(transport=FaultTransport(w.emulator.transport(), script=lose_first)) as store:
        sale = next(t for t in store.transactions.list(order_ref=ref) if t.kind.value == "sale")
        quote = RefundQuote(
            platform="shopline", order_ref=ref, lines=(), total=Money(amount, "KWD"),
            allocations=(TransactionAllocation(transaction_ref=sale.ref, gateway=sale.gateway,
                                               amount=Money(amount, "KWD")),),
        )  # fmt: skip
        outcomes: list[object] = []
        for _attempt in (1, 2):
            try:
                outcomes.append(store.refunds.create(quote))
            except (ValidationError, OutcomeUnknown) as exc:
                outcomes.append(exc)
    return w, ref, outcomes


def test_a_fils_refund_shopline_would_round_is_refused_before_sending() -> None:
    w, ref, outcomes = _kwd_store_refund("1.125")
    assert all(isinstance(o, ValidationError) for o in outcomes), outcomes
    assert {o.field for o in outcomes if isinstance(o, ValidationError)} == {
        "quote.allocations[0].amount"
    }
    assert _refund_posts(w) == 0 and w.emulator.orders[ref]["refunds"] == []


def test_a_kwd_refund_in_hundredths_is_read_back_and_made_once() -> None:
    w, ref, outcomes = _kwd_store_refund("1.120")
    assert [type(o).__name__ for o in outcomes] == ["Refund", "Refund"]
    assert _refund_posts(w) == 1 and len(w.emulator.orders[ref]["refunds"]) == 1


def _draft(total: str, **amounts: Money | bool) -> OrderDraft:
    return OrderDraft(
        currency="USD", total=Money(total, "USD"), tags=("m:1",), number=f"M-{total}",
        lines=(OrderLineDraft(title="Mug", sku="MUG", quantity=2,
                              unit_price=Money("50.00", "USD")),),
        created_at=datetime(2024, 5, 1, tzinfo=UTC), **amounts,  # type: ignore[arg-type]
    )  # fmt: skip


def test_orders_create_refuses_a_total_above_what_shopline_would_record() -> None:
    w = world(orders=2, rate_limit=False)
    shipping = Money("5.00", "USD")
    with w.connect() as store:
        with pytest.raises(ValidationError) as err:
            store.orders.create(_draft("125.00", shipping_total=shipping))  # tax not given
        assert err.value.field == "total"
        assert "20.00 USD above" in str(err.value) and "tax_total" in str(err.value)
        with pytest.raises(ValidationError):  # gross prices: the tax is no extra
            store.orders.create(_draft("125.00", shipping_total=shipping, taxes_included=True,
                                       tax_total=Money("20.00", "USD")))  # fmt: skip
        assert not any(o["name"].startswith("M-") for o in w.emulator.orders.values())
        taxed = store.orders.create(
            _draft("125.00", shipping_total=shipping, tax_total=Money("20.00", "USD"))
        )
        discounted = store.orders.create(_draft("95.00", shipping_total=shipping))
    assert (taxed.total, discounted.total) == (Money("125.00", "USD"), Money("95.00", "USD"))
    assert discounted.discount_total == Money("10.00", "USD")


@pytest.mark.parametrize("status", [FinancialStatus.UNKNOWN, FinancialStatus.VOIDED])
def test_orders_create_refuses_a_payment_state_shopline_does_not_record(
    status: FinancialStatus,
) -> None:
    w = world(orders=2, rate_limit=False)
    with w.connect() as store:
        with pytest.raises(ValidationError) as err:
            store.orders.create(attrs.evolve(_draft("100.00"), financial_status=status))
        assert err.value.field == "financial_status" and status.value in str(err.value)
        made = store.orders.create(
            attrs.evolve(_draft("100.00"), financial_status=FinancialStatus.PENDING)
        )
    assert made.financial_status is FinancialStatus.PENDING
    assert [o["financial_status"] for o in w.emulator.orders.values() if o["name"] == "M-100.00"] \
        == ["pending"]  # fmt: skip
