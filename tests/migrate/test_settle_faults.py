"""A write an earlier run left pending stays pending when this run cannot settle it.

Settling reads the target back to find the earlier run's copy. When that read-back fails
(a stale answer, a 5xx, a refused connection), the copy may still be there: marking the
record ``failed`` made the next run create it again, next to the copy the read-back missed
(a duplicate order, which 29 Next cannot delete). It stays ``pending``, and a later run
settles it by finding that copy.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.testing import FaultTransport
from storebridge_29next.emulator import TwentyNineNextEmulator
from tests.migrate.support import connect, ledger_rows, sandbox, set_item_state


def _copies(emulator: TwentyNineNextEmulator) -> Counter[str]:
    """How many target orders carry each identity tag."""
    return Counter(
        tag for o in emulator.state.orders.values() for tag in o.tags if tag.startswith("sb:")
    )


def _state(ledger: Path, ref: str) -> str:
    rows = ledger_rows(
        ledger, "SELECT state FROM items WHERE resource='orders' AND source_ref=?", ref
    )
    return str(rows[0][0])


@pytest.mark.parametrize("fault", ["stale_page", "server_error", "refused"])
def test_a_pending_order_whose_read_back_fails_is_not_created_twice(
    tmp_path: Path, fault: str
) -> None:
    source_kit = sandbox("29next", seed=3, orders=6)
    target_kit = sandbox("29next", empty=True, seed=4)
    emulator = target_kit.emulator
    assert isinstance(emulator, TwentyNineNextEmulator)
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    before = _copies(emulator)
    assert len(before) == 6 and set(before.values()) == {1}
    # An interrupted run leaves its last two orders pending: their creates reached the target.
    rows = ledger_rows(ledger, "SELECT source_ref, target_ref FROM items WHERE resource='orders'")
    (first, first_copy), (last, last_copy) = rows[-2], rows[-1]
    for ref in (first, last):
        set_item_state(ledger, "orders", ref, "pending")

    def read_back_fails(number: int, request: Any) -> str | None:
        return fault if request.method == "GET" and last_copy in str(request.url) else None

    faulty = FaultTransport(emulator.transport(), script=read_back_fails)
    with connect(source_kit, "src") as source, \
            connect(target_kit, "dst", transport=faulty) as target:  # fmt: skip
        target.orders.get(first_copy)  # an earlier answer, for a stale page to replay
        second = storebridge.migrate(source, target, ledger=ledger, concurrency=1)
    assert faulty.injected[fault] > 0
    assert second.status != "PASS"
    assert _state(ledger, first) == "done"  # its read-back found the copy
    assert _state(ledger, last) == "pending"  # unknown still, not "failed"
    assert [f.source_ref for f in second.results["orders"].failed] == [last]
    counts = second.results["orders"]
    # Every source order read is counted once, settled ones too, and has one outcome.
    assert counts.total == counts.moved + len(counts.failed) + len(counts.skipped) == 6

    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        third = storebridge.migrate(source, target, ledger=ledger)
    assert third.status == "PASS"
    assert third.results["orders"].created == 0
    assert _copies(emulator) == before  # settled by finding the earlier copy: no duplicate
    assert _state(ledger, last) == "done"


def test_a_pending_order_the_target_refuses_says_what_to_do(tmp_path: Path) -> None:
    """Settling a pending order whose copy the target refuses before sending (SHOPLINE does
    not record a voided payment) keeps it pending, and says that running again alone will
    not settle it."""
    source_kit = sandbox("29next", seed=9, orders=4)
    target_kit = sandbox("shopline", empty=True, currency="USD")
    state = source_kit.emulator.state  # type: ignore[attr-defined]
    record = next(iter(state.orders.values()))
    record.payment_status = "voided"
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        first = storebridge.migrate(source, target, ledger=ledger)
    assert [f.source_ref for f in first.results["orders"].failed] == [record.number]
    assert _state(ledger, record.number) == "failed"  # refused: nothing was sent
    set_item_state(ledger, "orders", record.number, "pending")  # as an older run left it
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        second = storebridge.migrate(source, target, ledger=ledger)
    (failed,) = second.results["orders"].failed
    assert _state(ledger, record.number) == "pending"
    assert "fix the record, then run again" in failed.reason
    assert "financial_status" in failed.reason
