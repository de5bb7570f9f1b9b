"""Every route between the built-in platforms: verified exact, and planned by the same code
that runs it (dry-run decisions equal the real run's, record by record)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import storebridge
from storebridge.migrate import Decision
from tests.migrate.support import connect, sandbox

ROUTES: dict[str, tuple[str, str, dict[str, object]]] = {
    "24nettbutikk->shopline": ("24nettbutikk", "shopline", {"currency": "NOK"}),
    "24nettbutikk->29next": ("24nettbutikk", "29next", {}),
    "29next->shopline": ("29next", "shopline", {}),
    "shopline->29next": ("shopline", "29next", {}),
    "shopline->shopline": ("shopline", "shopline", {}),
    "29next->29next": ("29next", "29next", {}),
}
"""Target options: a SHOPLINE store that sells in the source's currency."""


@contextmanager
def route_stores(name: str, orders: int = 16) -> Iterator[tuple[storebridge.Store, ...]]:
    source_platform, target_platform, options = ROUTES[name]
    source_kit = sandbox(source_platform, seed=7, orders=orders)
    if source_platform == target_platform == "shopline":
        # Store to store with a shared catalogue: the target already has the SKUs.
        target_kit = sandbox(target_platform, seed=7, orders=0)
    else:
        target_kit = sandbox(target_platform, empty=True, seed=8, **options)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        yield source, target


@pytest.mark.parametrize("name", list(ROUTES))
def test_every_route_passes_verification(name: str, tmp_path: Path) -> None:
    with route_stores(name) as (source, target):
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert report.verification is not None
    assert report.verification.checked["orders"] == 16
    assert report.results["orders"].created == 16
    assert report.status == "PASS", report.summary()


@pytest.mark.parametrize("name", list(ROUTES))
def test_the_dry_run_decides_what_the_real_run_does(name: str, tmp_path: Path) -> None:
    planned: list[Decision] = []
    done: list[Decision] = []
    ledger = tmp_path / "l.sqlite"
    with route_stores(name, orders=10) as (source, target):
        plan = storebridge.migrate(
            source, target, ledger=ledger, dry_run=True, on_decision=planned.append
        )
        assert not ledger.exists()
        real = storebridge.migrate(source, target, ledger=ledger, on_decision=done.append)
    key = {(d.resource, d.source_ref): (d.action, d.reason) for d in planned}
    assert key == {(d.resource, d.source_ref): (d.action, d.reason) for d in done}
    assert len(planned) == len(done) == sum(r.total for r in real.results.values())
    assert plan.status == "DRY RUN" and real.status in ("PASS", "FAIL")


def test_a_currency_the_target_cannot_price_in_blocks_the_plan_and_orders(
    tmp_path: Path,
) -> None:
    """24Nettbutikk (NOK) into a SHOPLINE store selling in USD (NOK enabled for orders):
    products cannot be priced, so orders that contain them are skipped, never created
    without their products."""
    planned: list[Decision] = []
    done: list[Decision] = []
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("24nettbutikk", seed=3, orders=14)
    target_kit = sandbox("shopline", empty=True, seed=4, currency="USD")
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        plan = storebridge.migrate(
            source, target, ledger=ledger, dry_run=True, on_decision=planned.append
        )
        real = storebridge.migrate(source, target, ledger=ledger, on_decision=done.append)
        on_target = list(target.orders.list())
    reason = "variants[0].price is in NOK but must be in USD"
    products = plan.results["products"]
    assert plan.status == "BLOCKED"
    assert plan.blockers == [f"{len(products.failed)} products would fail: {reason}"]
    assert products.created == 0 and all(f.reason == reason for f in products.failed)
    # The real run does what the plan said: products fail, orders wait for them.
    assert {(d.resource, d.source_ref, d.action) for d in planned} == {
        (d.resource, d.source_ref, d.action) for d in done
    }
    assert real.status == "FAIL" and on_target == []
    orders = real.results["orders"]
    assert len(orders.skipped) == 14 and orders.created == 0
    assert all(" failed: " + reason in s.reason for s in orders.skipped)
    # Every failure is listed: all in the JSON form, the text says how many more.
    assert len(real.to_dict()["results"]["orders"]["skipped"]) == 14
    assert "... and 4 more (all of them in the JSON report)" in real.summary()
