"""An order whose customer signed up on the source during the run waits for that customer.

A store keeps trading while it is migrated: a customer who signs up after the customers
were read and orders before the orders are read was unknown to the run, and the order was
created on the target without its customer. No later run could link them, and each failed
verification. The order is now skipped with the reason; the next run copies the customer,
then the order, linked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import storebridge
from storebridge.model import CustomerDraft, OrderDraft, OrderLineDraft
from tests.migrate.support import connect, sandbox


def test_an_order_of_a_customer_new_during_the_run_is_linked_by_the_next_run(
    tmp_path: Path,
) -> None:
    source_kit = sandbox("shopline", seed=2, orders=4, currency="USD")
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    made: dict[str, str] = {}

    def trade(event: Any) -> None:
        if event.phase == "customers" and event.finished and not made:
            with connect(source_kit, "src") as shop:
                customer = shop.customers.create(
                    CustomerDraft(email="new.buyer@example.com", first_name="New")
                )
                variant = next(iter(shop.products.list())).variants[0]
                assert variant.price is not None and variant.sku is not None
                line = OrderLineDraft(
                    title="x", quantity=1, unit_price=variant.price, sku=variant.sku,
                    variant_ref=variant.ref,
                )  # fmt: skip
                order = shop.orders.create(
                    OrderDraft(
                        currency="USD",
                        customer_ref=customer.ref,
                        email=customer.email,
                        lines=(line,),
                        total=variant.price,
                    )
                )
                made.update(customer=customer.ref, order=order.ref)

    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        first = storebridge.migrate(source, target, ledger=ledger, progress=trade)
    assert made
    assert first.status != "PASS"
    skipped = {s.source_ref: s.reason for s in first.results["orders"].skipped}
    assert "not among the customers this run read" in skipped[made["order"]]
    with connect(target_kit, "dst") as target:
        assert not [o for o in target.orders.list() if o.email == "new.buyer@example.com"]

    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        second = storebridge.migrate(source, target, ledger=ledger)
        assert second.status == "PASS", second.summary()
        copies = [o for o in target.orders.list() if o.email == "new.buyer@example.com"]
        assert len(copies) == 1
        linked = target.orders.get(copies[0].ref).customer
        buyer = next(c for c in target.customers.list() if c.email == "new.buyer@example.com")
        assert linked is not None and linked.ref == buyer.ref
