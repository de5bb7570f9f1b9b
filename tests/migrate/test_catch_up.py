"""Catch-up runs update what the target can update and list what it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge.migrate import Decision
from tests.migrate.support import shop
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


def test_a_changed_customer_is_updated_on_the_target(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    decisions: list[Decision] = []
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        changed = source.tables["customers"]["3"]
        changed.update(first_name="Renamed", updated_at=source.stamp())
        report = storebridge.migrate(
            s, t, ledger=ledger, since="last-run", on_decision=decisions.append
        )
        again = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    updates = [d for d in decisions if d.action == "update"]
    assert [(d.resource, d.source_ref) for d in updates] == [("customers", "3")]
    copy = next(c for c in target.tables["customers"].values() if c["email"] == "c3@example.com")
    assert copy["first_name"] == "Renamed"
    assert report.results["customers"].updated == 1 and report.changed_not_updated == []
    assert report.status == "PASS", report.summary()
    # Once updated, the next catch-up finds nothing more to do for it.
    assert again.results["customers"].updated == 0


def test_what_the_target_cannot_update_is_listed_and_verified(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        order = source.tables["orders"]["2"]
        order.update(email="moved@example.com", updated_at=source.stamp())
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    assert [x.split(":")[0] for x in report.changed_not_updated] == ["orders 2 -> 2"]
    assert "ToyShop orders are not updated by migrations" in report.changed_not_updated[0]
    assert report.results["orders"].already == report.results["orders"].total
