"""A catch-up resumed after an interruption, from a shop whose list order is not known.

24Nettbutikk's list order is undocumented (its sandbox can list by key). Edited in key
order, the first page of a listing by key looks ordered by change; a checkpoint relying on
that would resume after the last record processed and never read the rest, edited earlier,
and the report would say PASS (verification checks what was written, not the source's
newer content). The checkpoint relies on change order only once the listing has shown a
ref out of line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.migrate.checkpoint import ListingPosition
from storebridge.sandbox.clock import FakeClock
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk.emulator import NettbutikkEmulator
from tests.migrate.support import bulk_edit_with_the_50th_last, connect, ledger_rows, sandbox


@pytest.mark.parametrize("sort", ["key", "modified"])
def test_a_resumed_catch_up_updates_every_record_edited_in_key_order(
    sort: str, tmp_path: Path
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    source_kit = sandbox(
        "24nettbutikk", orders=0, customers=60, products=0, seed=4, clock=clock, sort=sort
    )
    target_kit = sandbox("shopline", empty=True)
    emulator = source_kit.emulator
    assert isinstance(emulator, NettbutikkEmulator)
    armed = {"on": False}

    def later_pages_fail(number: int, request: Any) -> str | None:
        parts = request.url.path.split("/customers/")
        offset = parts[1].split("/")[1:2] if len(parts) == 2 else []
        failing = armed["on"] and offset and offset[0].isdigit() and int(offset[0]) > 0
        return "server_error" if failing else None

    faulty = FaultTransport(emulator.transport(), script=later_pages_fail)
    ledger = tmp_path / "m.sqlite"
    with connect(source_kit, "old", transport=faulty) as source, \
            connect(target_kit, "new") as target:  # fmt: skip
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        bulk_edit_with_the_50th_last(emulator, clock)
        armed["on"] = True
        with pytest.raises(storebridge.StorebridgeError):
            storebridge.migrate(source, target, ledger=ledger, since="last-run")
        order_key = ledger_rows(ledger, "SELECT order_key FROM passes WHERE resource = ?",
                                "customers")  # fmt: skip
        armed["on"] = False
        report = storebridge.migrate(source, target, ledger=ledger, since="last-run")
        wanted = {c.email: c.first_name for c in source.customers.list()}
        got = {c.email: c.first_name for c in target.customers.list()}
    assert report.status == "PASS", report.summary()
    stale = [email for email in wanted if got.get(email) != wanted[email]]
    assert stale == [], f"{len(stale)} customers not updated on the target"
    if sort == "key":
        assert order_key != [("updated_asc",)]  # never relied on when it may be key order


def test_change_order_is_relied_on_once_a_ref_is_out_of_line() -> None:
    class Row:
        def __init__(self, ref: str, minute: int) -> None:
            self.ref = ref
            self.updated_at = datetime(2026, 3, 2, 9, minute, tzinfo=UTC)
            self.created_at = None

    in_ref_order = ListingPosition(["updated_asc"])
    out_of_line = ListingPosition(["updated_asc"])
    documented = ListingPosition(["updated_asc"], documented=["updated_asc"])
    for position, refs in ((in_ref_order, ["1", "2", "10"]), (out_of_line, ["2", "10", "3"]),
                           (documented, ["1", "2", "10"])):  # fmt: skip
        for minute, ref in enumerate(refs):
            position.finish(position.admit(Row(ref, minute)))
    assert in_ref_order.checkpoint() == (None, None)
    assert out_of_line.checkpoint() == ("updated_asc", datetime(2026, 3, 2, 9, 2, tzinfo=UTC))
    assert documented.checkpoint() == ("updated_asc", datetime(2026, 3, 2, 9, 2, tzinfo=UTC))


def test_long_numeric_refs_compare_as_numbers() -> None:
    class Row:
        def __init__(self, ref: str, minute: int) -> None:
            self.ref = ref
            self.updated_at = datetime(2026, 3, 2, 9, minute, tzinfo=UTC)
            self.created_at = None

    # In numeric order (as a listing by id would be): never proof of change order.
    position = ListingPosition(["updated_asc"])
    for minute, ref in enumerate(["9" * 19, "1" + "0" * 19, "1" + "0" * 18 + "1"]):
        position.finish(position.admit(Row(ref, minute)))
    assert position.checkpoint() == (None, None)
