"""Records made on the target between runs, after its index was read: a create the target
refuses because it has the record already is looked up there and reused, not failed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import storebridge
from storebridge.migrate.report import Decision
from storebridge.model import CustomerDraft, OrderDraft, OrderLineDraft, ProductDraft, VariantDraft
from tests.migrate.support import connect, sandbox

ROUTES = [("shopline", "29next"), ("29next", "shopline")]


@contextmanager
def _migrated_once(
    route: tuple[str, str], ledger: Path
) -> Iterator[tuple[storebridge.Store, storebridge.Store]]:
    """Source and target stores of ``route`` after a first migration that passed: the
    target's index is read, and a test changes the stores before the next run."""
    source, target = route
    sk, tk = sandbox(source, seed=3, orders=4), sandbox(target, empty=True, seed=4)
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        yield s, t


@pytest.mark.parametrize("route", ROUTES, ids=["->".join(r) for r in ROUTES])
def test_a_customer_made_on_the_target_between_runs_is_reused(
    route: tuple[str, str], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    with _migrated_once(route, ledger) as (s, t):
        # A new source customer with an order, and a customer with the same e-mail made
        # on the target by someone else (the target's index was read by the first run).
        product = next(iter(s.products.list()))
        variant = product.variants[0]
        price = variant.price
        assert price is not None
        late = s.customers.create(
            CustomerDraft(email="late@example.com", first_name="Late", last_name="Comer")
        )
        line = OrderLineDraft(title=product.title, quantity=1, unit_price=price,
                              sku=variant.sku, variant_ref=variant.ref)  # fmt: skip
        s.orders.create(OrderDraft(currency=price.currency, lines=(line,), total=price,
                                   email=late.email, customer_ref=late.ref))  # fmt: skip
        theirs = t.customers.create(
            CustomerDraft(email="late@example.com", first_name="Hand", last_name="Made")
        )
        decisions: list[Decision] = []
        report = storebridge.migrate(s, t, ledger=ledger, on_decision=decisions.append)
        again = storebridge.migrate(s, t, ledger=ledger)
        emails = [c.email for c in t.customers.list()]
        linked = [o for o in t.orders.list(detail=True) if o.email == "late@example.com"]
    assert report.status == "PASS", report.summary()
    mine = [d for d in decisions if d.resource == "customers" and d.action != "already"]
    assert [(d.action, d.target_ref) for d in mine] == [("reuse", theirs.ref)]
    assert report.results["customers"].reused == 1
    assert emails.count("late@example.com") == 1
    assert [o.customer.ref if o.customer else None for o in linked] == [theirs.ref]
    assert again.status == "PASS", again.summary()


def test_a_product_made_on_the_target_between_runs_is_reused(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with _migrated_once(("shopline", "29next"), ledger) as (s, t):
        price = next(iter(s.products.list())).variants[0].price
        assert price is not None
        variant = VariantDraft(sku="LATE-1", price=price, title="Default")
        s.products.create(ProductDraft(title="Late", variants=(variant,)))
        theirs = t.products.create(ProductDraft(title="Theirs", variants=(variant,)))
        decisions: list[Decision] = []
        report = storebridge.migrate(s, t, ledger=ledger, on_decision=decisions.append)
    assert report.status == "PASS", report.summary()
    made = [(d.action, d.target_ref) for d in decisions if d.action != "already"]
    assert made == [("reuse", theirs.ref)]


@pytest.mark.parametrize("route", [("29next", "shopline"), ("shopline", "29next")],
                         ids=["29next->shopline", "shopline->29next"])  # fmt: skip
def test_a_product_whose_skus_are_on_two_target_products_is_skipped_not_taken_as_one(
    route: tuple[str, str], tmp_path: Path
) -> None:
    """Adopted as the first of them, its other SKUs mapped nowhere, and the run said PASS."""
    ledger = tmp_path / "l.sqlite"
    with _migrated_once(route, ledger) as (s, t):
        price = next(iter(s.products.list())).variants[0].price
        assert price is not None
        a = VariantDraft(sku="SPLIT-A", price=price, title="A")
        b = VariantDraft(sku="SPLIT-B", price=price, title="B")
        s.products.create(ProductDraft(title="Both", variants=(a, b)))
        t.products.create(ProductDraft(title="X", variants=(a,)))
        t.products.create(ProductDraft(title="Y", variants=(b,)))
        decisions: list[Decision] = []
        storebridge.migrate(s, t, ledger=ledger, on_decision=decisions.append)
    made = [(d.action, d.reason) for d in decisions if d.action != "already"]
    assert len(made) == 1 and made[0][0] == "skip", made
    assert "its SKUs are on 2 products of the target" in (made[0][1] or "")
