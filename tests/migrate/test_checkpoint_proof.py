"""Checkpoints carry the grounds they were saved on; ledgers of releases that saved none.

An earlier release relied on a listing's change order as soon as the records read looked
ordered by it. Edited in key order (a bulk edit), a 24Nettbutikk listing by key looks
that way, and a resume with ``updated_since=`` that checkpoint skipped the records behind
it, edited earlier: the target kept their old content and verification still passed (it
compares the target with what was written). Such a checkpoint has no proof in the ledger:
a resume reads the listing again instead. A checkpoint saved with its proof is still
resumed from.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.migrate.checkpoint import DOCUMENTED, SHOWN, may_resume
from storebridge.migrate.ledger import Ledger, Route
from storebridge.sandbox.clock import FakeClock
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk import NettbutikkAdapter
from storebridge_24nettbutikk.emulator import NettbutikkEmulator
from tests.migrate.support import bulk_edit_with_the_50th_last, connect, ledger_rows, sandbox

_PAGE = re.compile(r"/customers/(\d+)/(\d+)(/\d+)?")
"""A customers list page: /customers/<limit>/<offset>[/<modified since>...]."""


class Pages:
    """The customer list pages a source serves, failing those at ``fail_from`` and beyond."""

    def __init__(self) -> None:
        self.fail_from: int | None = None
        self.seen: list[tuple[int, bool]] = []
        """(offset, filtered by modification time) of every list page asked for."""

    def script(self, number: int, request: Any) -> str | None:
        found = _PAGE.search(request.url.path)
        if found is None:
            return None
        offset = int(found.group(2))
        self.seen.append((offset, found.group(3) is not None))
        failing = self.fail_from is not None and offset >= self.fail_from
        return "server_error" if failing else None


def _old_shape(ledger: Path) -> None:
    """Make ``ledger`` as a release that kept no grounds left it: no proofs table."""
    with sqlite3.connect(ledger) as db:
        db.execute("DROP TABLE IF EXISTS checkpoint_proofs")


def test_a_checkpoint_an_earlier_release_saved_after_a_bulk_edit_is_not_relied_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    source_kit = sandbox(
        "24nettbutikk", orders=0, customers=60, products=0, seed=4, clock=clock, sort="key"
    )
    target_kit = sandbox("shopline", empty=True)
    emulator = source_kit.emulator
    assert isinstance(emulator, NettbutikkEmulator)
    pages = Pages()
    faulty = FaultTransport(emulator.transport(), script=pages.script)
    ledger = tmp_path / "m.sqlite"
    with connect(source_kit, "old", transport=faulty) as source, \
            connect(target_kit, "new") as target:  # fmt: skip
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        bulk_edit_with_the_50th_last(emulator, clock)
        # The earlier release relied on change order whenever the records looked ordered
        # by it: the same as an adapter documenting that order, without a proof saved.
        pages.fail_from = 1
        with monkeypatch.context() as patch:
            patch.setattr(NettbutikkAdapter, "documented_orders", frozenset({"updated_asc"}))
            with pytest.raises(storebridge.StorebridgeError):
                storebridge.migrate(source, target, ledger=ledger, since="last-run")
        saved = ledger_rows(ledger, "SELECT order_key FROM passes WHERE resource='customers'")
        assert saved == [("updated_asc",)]  # the checkpoint this test is about
        _old_shape(ledger)
        pages.fail_from = None
        with caplog.at_level(logging.WARNING, logger="storebridge.migrate"):
            report = storebridge.migrate(source, target, ledger=ledger, since="last-run")
        wanted = {c.email: c.first_name for c in source.customers.list()}
        got = {c.email: c.first_name for c in target.customers.list()}
    assert report.status == "PASS", report.summary()
    stale = [email for email in wanted if got.get(email) != wanted[email]]
    assert stale == [], f"{len(stale)} of {len(wanted)} customers not updated on the target"
    set_aside = [r for r in caplog.records if "without proof" in r.getMessage()]
    assert len(set_aside) == 1 and "customers" in set_aside[0].getMessage()


@pytest.mark.parametrize("ledger_of", ["this release", "an earlier release"])
def test_a_proven_checkpoint_is_resumed_from_and_an_unproven_one_read_again(
    tmp_path: Path, ledger_of: str
) -> None:
    """Listed by modification time, the seeded customers show keys out of line on the first
    page: the checkpoint relies on change order, with that proof saved beside it."""
    source_kit = sandbox("24nettbutikk", orders=0, customers=200, products=0, seed=5)
    target_kit = sandbox("shopline", empty=True)
    pages = Pages()
    faulty = FaultTransport(source_kit.emulator.transport(), script=pages.script)
    ledger = tmp_path / "m.sqlite"
    with connect(source_kit, "old", transport=faulty) as source, \
            connect(target_kit, "new") as target:  # fmt: skip
        pages.fail_from = 150
        with pytest.raises(storebridge.StorebridgeError):
            storebridge.migrate(source, target, ledger=ledger, resources=["customers"])
        proof = ledger_rows(
            ledger, "SELECT order_key, proof FROM checkpoint_proofs WHERE resource='customers'"
        )
        assert proof == [("updated_asc", SHOWN)]
        if ledger_of == "an earlier release":
            _old_shape(ledger)
        pages.fail_from = None
        pages.seen.clear()
        # Without verification, which lists the source afresh: only the resume's reads.
        report = storebridge.migrate(
            source, target, ledger=ledger, resources=["customers"], verify=False
        )
        resumed = list(pages.seen)
        pages.seen.clear()
        total = sum(1 for _ in source.customers.list())
        full_read = list(pages.seen)
        on_target = sum(1 for _ in target.customers.list())
    assert report.status == "PASS", report.summary()
    assert on_target == total == 200
    if ledger_of == "this release":
        assert report.resumed == ["customers"]
        assert resumed and all(filtered for _, filtered in resumed)
        served = [o for o, _ in resumed if o < total]
        assert len(served) < len([o for o, _ in full_read if o < total]), (resumed, full_read)
    else:
        assert resumed[0] == (0, False)  # from the first page, no filter
        # Every page of the listing, as a full read (guesses past its end aside).
        assert {o for o, _ in resumed if o < total} == {o for o, _ in full_read if o < total}


def test_only_updated_asc_checkpoints_need_a_proof_the_ledger_still_vouches_for(
    tmp_path: Path,
) -> None:
    assert may_resume("created_desc", None)  # creation times never change
    assert not may_resume("updated_asc", None)
    assert may_resume("updated_asc", None, documented={"updated_asc"})
    assert may_resume("updated_asc", SHOWN)
    # Documented once, no longer: the grounds are gone.
    assert not may_resume("updated_asc", DOCUMENTED)
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    ledger = Ledger(tmp_path / "l.sqlite", Route("toy", "a", "toy", "b"))
    try:
        ledger.start_pass("customers", "")
        ledger.save_checkpoint("customers", "updated_asc", when, 50, proof=SHOWN)
        proven = ledger.pass_state("customers")
        with sqlite3.connect(tmp_path / "l.sqlite") as db:
            # A release without proofs continues the pass: its checkpoint is not vouched for.
            later = when + timedelta(minutes=5)
            db.execute("UPDATE passes SET boundary=?, processed=70", (later.isoformat(),))
        overwritten = ledger.pass_state("customers")
    finally:
        ledger.close()
    assert proven is not None and proven.proof == SHOWN
    assert overwritten is not None and overwritten.proof is None
