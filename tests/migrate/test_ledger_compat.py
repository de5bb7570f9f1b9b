"""Ledgers across versions, and entries a run must not demote.

A ledger written by the previous release is read by this one without spurious work, and
one written by this release stays usable by the previous one (new facts live in tables of
their own). A pending write is never overwritten by a planning failure.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storebridge
from storebridge.migrate.ledger import Ledger, Route
from storebridge.migrate.plan import Planner
from storebridge.model import Customer
from tests.migrate.support import shop
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")

PASSES_COLUMNS = ["route", "resource", "since", "complete", "order_key", "boundary",
                  "processed", "newest"]  # fmt: skip
"""The ``passes`` table as the previous release writes it (``INSERT ... VALUES`` of 8)."""


def test_a_ledger_keeps_the_tables_the_previous_release_writes(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite").status == "PASS"
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(passes)")]
        assert columns == PASSES_COLUMNS
        # What the previous release runs to start a pass still works.
        db.execute("INSERT INTO passes VALUES (9,'orders','',0,NULL,NULL,0,NULL)")


def test_fingerprints_of_the_previous_release_are_not_taken_for_changes(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        with sqlite3.connect(ledger) as db:  # as the previous release stored them
            db.execute(
                "UPDATE items SET fingerprint = substr(fingerprint, 1, instr(fingerprint, ':')-1)"
                " WHERE resource='customers' AND instr(fingerprint, ':') > 0"
            )
        again = storebridge.migrate(s, t, ledger=ledger)
    assert again.results["customers"].updated == 0
    assert again.results["customers"].already == 5
    assert not again.changed_not_updated


def test_a_pending_write_is_not_demoted_to_failed(tmp_path: Path) -> None:
    route = Route("toy", "a", "toy", "b")
    ledger = Ledger(tmp_path / "l.sqlite", route)
    try:
        ledger.mark_pending("customers", "7", None)
        ledger.mark_unknown("customers", "7", "outcome unknown")
        planner = Planner(ledger, lambda r, ref: f"sb:{r}:{ref}", target_name="Toy",
                          can_update=lambda r: False, currencies=None)  # fmt: skip
        # The source record can no longer be drafted (an e-mail the draft refuses).
        record = Customer(platform="toy", ref="7", email="not an email")
        decision = planner.decide("customers", record)
        entry = ledger.get("customers", "7")
    finally:
        ledger.close()
    assert getattr(decision, "action", None) == "fail"
    assert entry is not None and entry.state == "pending"


def test_records_of_a_ledger_without_expectations_are_verified_on_their_values(
    tmp_path: Path,
) -> None:
    """A ledger written before expectations were kept once verified only that each record
    was there: a target changed afterwards passed."""
    from typing import Any

    from tests.migrate.support import connect, sandbox

    source, target = sandbox("29next", seed=7, orders=8), sandbox("shopline", empty=True, seed=8)
    ledger = tmp_path / "l.sqlite"

    def run() -> storebridge.MigrationReport:
        with connect(source, "src") as s, connect(target, "dst") as t:
            return storebridge.migrate(s, t, ledger=ledger)

    assert run().status == "PASS"
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE items SET expect = NULL")  # as an older ledger holds them
    emulator: Any = target.emulator
    customer = next(iter(emulator.state.customers.rows.values()))
    customer["email"] = "someone.else@example.com"
    emulator.revision += 1
    again = run()
    assert again.status == "FAIL"
    assert again.verification is not None
    assert any("someone.else@example.com" in m.problem for m in again.verification.mismatches)


def test_a_migrated_record_todays_rules_refuse_stays_already(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filling in the expectation of an old ledger's record drafts it: a record today's
    rules refuse (written by an earlier version) is left as it was, not failed."""
    from storebridge.errors import ValidationError
    from storebridge.migrate import mapping

    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        with sqlite3.connect(ledger) as db:
            db.execute("UPDATE items SET expect = NULL")

        def refused(*args: object, **kwargs: object) -> object:
            raise ValidationError("refused by today's rules", field="x")

        monkeypatch.setattr(mapping, "order_draft", refused)
        again = storebridge.migrate(s, t, ledger=ledger)
    assert again.results["orders"].failed == []
    assert again.results["orders"].already == 6
