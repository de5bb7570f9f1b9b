"""An order is never created before its customer, and verification checks the link."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge.migrate.plan import Planner
from tests.migrate.support import connect, sandbox

ROUTE = ("29next", "shopline")


def _linked(kit: storebridge.sandbox.Sandbox) -> list[bool]:
    with connect(kit, "dst") as t:
        return [o.customer is not None for o in t.orders.list(detail=True)]


def test_orders_wait_for_customers_left_out_of_the_run(tmp_path: Path) -> None:
    sk, tk = sandbox(ROUTE[0], seed=3, orders=6), sandbox(ROUTE[1], empty=True, seed=4)
    ledger = tmp_path / "l.sqlite"
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        first = storebridge.migrate(s, t, ledger=ledger, resources=("products", "orders"))
        second = storebridge.migrate(s, t, ledger=ledger)
    assert first.status != "PASS"
    skipped = first.results["orders"].skipped
    assert len(skipped) == 6 and first.results["orders"].created == 0
    assert all("migrate customers first" in s.reason for s in skipped)
    assert all('include "customers" in resources' in s.reason for s in skipped)
    assert second.status == "PASS", second.summary()
    assert second.results["orders"].created == 6
    assert _linked(tk) == [True] * 6


def test_an_order_whose_customer_is_on_the_target_is_created(tmp_path: Path) -> None:
    sk, tk = sandbox(ROUTE[0], seed=3, orders=6), sandbox(ROUTE[1], empty=True, seed=4)
    ledger = tmp_path / "l.sqlite"
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        # Customers migrated under another ledger: found on the target by e-mail.
        assert storebridge.migrate(s, t, ledger=tmp_path / "customers.sqlite",
                                   resources=("customers",)).status == "PASS"  # fmt: skip
        report = storebridge.migrate(s, t, ledger=ledger, resources=("products", "orders"))
    assert report.status == "PASS", report.summary()
    assert _linked(tk) == [True] * 6


def test_verification_fails_an_order_that_lost_its_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sk, tk = sandbox(ROUTE[0], seed=3, orders=6), sandbox(ROUTE[1], empty=True, seed=4)
    ledger = tmp_path / "l.sqlite"
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        # As an earlier release did: the orders are created without waiting for customers.
        with monkeypatch.context() as patch:
            patch.setattr(Planner, "_customer_gap", lambda self, order: None)
            first = storebridge.migrate(s, t, ledger=ledger, resources=("products", "orders"))
        assert first.results["orders"].created == 6
        report = storebridge.migrate(s, t, ledger=ledger)
    assert _linked(tk) == [False] * 6
    assert report.status == "FAIL"
    assert report.verification is not None
    lost = [m for m in report.verification.mismatches if m.resource == "orders"]
    assert len(lost) == 6
    assert all("no customer on the target (expected customer" in m.problem for m in lost)
