"""A cancelled source order is copied, then cancelled on the target, and verification
checks it: it arrived as an open order (and on 29 Next a paid one) and passed.

The copy is cancelled without a refund (the target records the copy as paid outside the
platform) and without a notice to the buyer.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import storebridge
from storebridge.model import OrderStatus
from storebridge.testing import FaultTransport
from storebridge_29next import TwentyNineNextEmulator
from tests.migrate.support import connect, ledger_rows, sandbox
from tests.migrate.test_routes import ROUTES, route_stores


def _copies(ledger: Path) -> dict[str, str]:
    rows = ledger_rows(ledger, "SELECT source_ref, target_ref FROM items WHERE resource='orders'")
    return {str(source): str(target) for source, target in rows if target is not None}


def _cancel_some(source: storebridge.Store) -> None:
    """Cancel two open source orders (24Nettbutikk's sandbox seeds deleted ones itself)."""
    if source.platform == "24nettbutikk":
        return
    open_orders = [o for o in source.orders.list() if o.status is OrderStatus.OPEN]
    for order in open_orders[:2]:
        source.orders.cancel(order.ref, reason="the buyer changed their mind")


@pytest.mark.parametrize("name", list(ROUTES))
def test_a_cancelled_order_is_cancelled_on_every_target(name: str, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with route_stores(name, orders=40) as (source, target):
        _cancel_some(source)
        cancelled = {o.ref for o in source.orders.list() if o.status is OrderStatus.CANCELLED}
        report = storebridge.migrate(source, target, ledger=ledger)
        copies = _copies(ledger)
        status = {ref: target.orders.get(copy).status for ref, copy in copies.items()}
    assert report.status == "PASS", report.summary()
    assert cancelled and len(copies) == 40
    assert {ref for ref, s in status.items() if s is OrderStatus.CANCELLED} == cancelled


def test_a_copy_left_open_fails_verification(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("shopline", seed=3, orders=8)
    target_kit = sandbox("29next", empty=True, seed=4)
    emulator = target_kit.emulator
    assert isinstance(emulator, TwentyNineNextEmulator)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        _cancel_some(source)
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        copy = next(
            o for o in emulator.state.orders.values() if o.status == "canceled"
        )  # one copy the run cancelled
        copy.status = "open"  # undone on the target
        again = storebridge.migrate(source, target, ledger=ledger)
    assert again.status == "FAIL"
    assert "cancelled on the source, not on the target" in again.summary()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_under_faults_a_pass_means_every_cancelled_copy_is_cancelled(
    seed: int, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("29next", seed=3, orders=12)
    target_kit = sandbox("shopline", empty=True, seed=4)
    faulty = FaultTransport(target_kit.emulator.transport(), seed=seed, rate=0.2)
    with connect(source_kit, "src") as source:
        _cancel_some(source)
        cancelled = {o.ref for o in source.orders.list() if o.status is OrderStatus.CANCELLED}
        outcomes = []
        for transport in (faulty, None):  # a run under faults, then one to finish it
            with connect(target_kit, "dst", transport=transport) as target:
                try:
                    outcomes.append(storebridge.migrate(source, target, ledger=ledger).status)
                except storebridge.StorebridgeError as exc:  # a clear error, not a PASS
                    outcomes.append(type(exc).__name__)
        with connect(target_kit, "dst") as target:
            copies = _copies(ledger)
            status = {ref: target.orders.get(copy).status for ref, copy in copies.items()}
            tags = Counter(t for o in target.orders.list() for t in o.tags if t.startswith("sb:"))
    assert faulty.injected
    for outcome in outcomes:
        if outcome == "PASS":
            break
    else:
        pytest.fail(f"no run passed: {outcomes}")
    assert {ref for ref, s in status.items() if s is OrderStatus.CANCELLED} == cancelled
    assert set(tags.values()) == {1}  # no order copied twice
