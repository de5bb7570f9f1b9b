"""orders.create carries the draft's shipping, tax and discounts: the created order, read
back, comes to the draft's totals (the create API has no tax or discount fields)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import storebridge
from storebridge import Address, Money, OrderDraft, OrderLineDraft
from storebridge.registry import adapter_class
from storebridge.testing import FakeTime
from tests.adapters.twentyninenext.support.sandbox import Sandbox

USD = "USD"


def _draft(sandbox: Sandbox, **amounts: Money | bool) -> OrderDraft:
    variants = [v for p in sandbox.emulator.state.products.values() for v in p["variants"]]
    lines = (
        OrderLineDraft(title="A", quantity=2, unit_price=Money("10.00", USD),
                       sku=variants[0]["sku"]),
        OrderLineDraft(title="B", quantity=1, unit_price=Money("7.50", USD),
                       sku=variants[1]["sku"]),
    )  # fmt: skip
    shipping = amounts.get("shipping_total", Money("4.99", USD))
    tax = amounts.get("tax_total")
    discount = amounts.get("discount_total")
    included = amounts.get("taxes_included")
    assert isinstance(shipping, Money)
    total = Money("27.50", USD) + shipping
    if isinstance(tax, Money) and included is not True:
        total = total + tax
    if isinstance(discount, Money):
        total = total - discount
    return OrderDraft(
        currency=USD, lines=lines, total=total, shipping_total=shipping,
        tax_total=tax if isinstance(tax, Money) else None,
        discount_total=discount if isinstance(discount, Money) else None,
        taxes_included=included if isinstance(included, bool) else None,
        email="buyer@example.com", tags=("sb:test:1",),
        shipping_address=Address(line1="1 Rd", city="Austin", country="US"),
    )  # fmt: skip


@pytest.mark.parametrize("api_version", ["2024-04-01", "2023-02-10"])
@pytest.mark.parametrize(
    "amounts",
    [
        {},
        {"tax_total": Money("2.20", USD)},
        {"tax_total": Money("2.20", USD), "discount_total": Money("3.00", USD)},
        {"tax_total": Money("2.20", USD), "taxes_included": True},
        {"discount_total": Money("4.00", USD), "shipping_total": Money("5.00", USD)},
        {"shipping_total": Money("0.00", USD)},
    ],
    ids=["plain", "tax", "tax-and-discount", "tax-included", "discount", "free-shipping"],
)
def test_created_order_comes_to_the_draft_s_totals(
    amounts: dict[str, Money | bool], api_version: str
) -> None:
    sandbox = Sandbox(orders=5)
    draft = _draft(sandbox, **amounts)
    with sandbox.connect(api_version=api_version) as store:
        created = store.orders.create(draft)
        again = store.orders.get(created.ref)
    for order in (created, again):
        assert order.total == draft.total
        assert order.subtotal == Money("27.50", USD)
        assert order.shipping_total == draft.shipping_total
        zero = Money("0.00", USD)  # (2023-02-10 orders have no discount field: None)
        assert (order.tax_total or zero) == (draft.tax_total or zero)
        assert (order.discount_total or zero) == (draft.discount_total or zero)
        assert Counter((ln.sku, ln.total) for ln in order.lines) == Counter(
            (ln.sku, ln.unit_price * ln.quantity) for ln in draft.lines
        )
    # The platform's own record: what was paid, and nothing about tax it cannot hold.
    record = sandbox.emulator.state.orders[created.ref]
    assert record.total == draft.total.amount


def test_shopline_to_29next_migration_verifies_with_tax_and_discounts(tmp_path: Path) -> None:
    source_kit = adapter_class("shopline").sandbox(
        seed=4, orders=24, currency="USD", rate_limit=False
    )
    target_kit = adapter_class("29next").sandbox(
        seed=4, orders=0, customers=0, products=0, rate_limit=None
    )
    # No real waiting for the client's rate limits, nor for the migration's write pacing
    # (which follows the target's rate limit, raised here as the server's is off).
    fast = FakeTime().options(rate_limit=storebridge.RateLimit(1000, 1000))
    with storebridge.connect(
        "shopline", transport=source_kit.emulator.transport(), options=fast,
        **source_kit.settings("https://src.myshopline.com"),
    ) as source, storebridge.connect(
        "29next", transport=target_kit.emulator.transport(), options=fast,
        **target_kit.settings("https://dst.29next.store"),
    ) as target:  # fmt: skip
        taxed = [o for o in source.orders.list(detail=True) if o.tax_total and o.tax_total.amount]
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert taxed, "the source sandbox has no taxed order: this test would prove nothing"
    assert report.status == "PASS", report.summary()
    assert report.results["orders"].created == 24
