"""A cancelled source order is copied, then cancelled on the target, and verification
checks it: it arrived as an open order (and on 29 Next a paid one) and passed.

The copy is cancelled without a refund (the target records the copy as paid outside the
platform) and without a notice to the buyer.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.model import OrderStatus
from storebridge.testing import FaultTransport
from storebridge_29next import TwentyNineNextAdapter, TwentyNineNextEmulator
from tests.migrate.support import FAST, connect, ledger_rows, sandbox
from tests.migrate.test_routes import ROUTES, route_stores


def _copies(ledger: Path) -> dict[str, str]:
    rows = ledger_rows(ledger, "SELECT source_ref, target_ref FROM items WHERE resource='orders'")
    return {str(source): str(target) for source, target in rows if target is not None}


def _cancelled_on(source: storebridge.Store) -> set[str]:
    """The source orders that are cancelled."""
    return {o.ref for o in source.orders.list() if o.status is OrderStatus.CANCELLED}


def _cancelled_copies(ledger: Path, target: storebridge.Store) -> set[str]:
    """The source orders whose copy the target holds as cancelled."""
    return {
        ref
        for ref, copy in _copies(ledger).items()
        if target.orders.get(copy).status is OrderStatus.CANCELLED
    }


def _kits_into_29next() -> tuple[Any, Any, TwentyNineNextEmulator]:
    """A SHOPLINE sandbox, an empty 29 Next one, and the latter's emulator."""
    source_kit = sandbox("shopline", seed=3, orders=8)
    target_kit = sandbox("29next", empty=True, seed=4)
    emulator = target_kit.emulator
    assert isinstance(emulator, TwentyNineNextEmulator)
    return source_kit, target_kit, emulator


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
        cancelled = _cancelled_on(source)
        report = storebridge.migrate(source, target, ledger=ledger)
        copied_cancelled = _cancelled_copies(ledger, target)
    assert report.status == "PASS", report.summary()
    assert cancelled and len(_copies(ledger)) == 40
    assert copied_cancelled == cancelled


def test_a_copy_left_open_fails_verification(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit, target_kit, emulator = _kits_into_29next()
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
        cancelled = _cancelled_on(source)
        outcomes = []
        for transport in (faulty, None):  # a run under faults, then one to finish it
            with connect(target_kit, "dst", transport=transport) as target:
                try:
                    outcomes.append(storebridge.migrate(source, target, ledger=ledger).status)
                except storebridge.StorebridgeError as exc:  # a clear error, not a PASS
                    outcomes.append(type(exc).__name__)
        with connect(target_kit, "dst") as target:
            copied_cancelled = _cancelled_copies(ledger, target)
            tags = Counter(t for o in target.orders.list() for t in o.tags if t.startswith("sb:"))
    assert faulty.injected
    for outcome in outcomes:
        if outcome == "PASS":
            break
    else:
        pytest.fail(f"no run passed: {outcomes}")
    assert copied_cancelled == cancelled
    assert set(tags.values()) == {1}  # no order copied twice


def _edit_ledger(ledger: Path, sql: str, *params: Any) -> None:
    db = sqlite3.connect(ledger)
    try:
        db.execute(sql, params)
        db.commit()
    finally:
        db.close()


def test_cancelling_a_copy_on_shopline_leaves_its_stock_as_the_source_has_it(
    tmp_path: Path,
) -> None:
    # The copy takes no stock (SHOPLINE's inventory_behaviour "bypass"): restocked when
    # cancelled, it raised the target's stock by the order's quantities.
    source_kit = sandbox("29next", seed=3, orders=12)
    target_kit = sandbox("shopline", empty=True, seed=4)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        _cancel_some(source)
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        stock = {v.sku: v.stock for p in source.products.list() for v in p.variants}
        copied = {v.sku: v.stock for p in target.products.list() for v in p.variants}
    assert report.status == "PASS", report.summary()
    assert copied == stock


def test_a_copy_an_earlier_release_left_open_is_cancelled(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit, target_kit, emulator = _kits_into_29next()
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        _cancel_some(source)
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        # As an earlier release left it: the copy open, the expectation silent about it.
        for record in emulator.state.orders.values():
            record.status = "open"
        for ref, expect in ledger_rows(
            ledger, "SELECT source_ref, expect FROM items WHERE resource='orders'"
        ):
            old = {k: v for k, v in json.loads(expect).items() if k != "cancelled"}
            _edit_ledger(ledger, "UPDATE items SET expect=? WHERE resource='orders' AND "
                         "source_ref=?", json.dumps(old), ref)  # fmt: skip
        cancelled = _cancelled_on(source)
        again = storebridge.migrate(source, target, ledger=ledger)
        copied_cancelled = _cancelled_copies(ledger, target)
    assert again.status == "PASS", again.summary()
    assert copied_cancelled == cancelled


def test_a_copy_found_by_its_tag_after_the_ledger_is_lost_is_cancelled(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("shopline", seed=3, orders=8)
    target_kit = sandbox("shopline", empty=True, seed=4)

    def refuse_cancels(_n: int, request: Any) -> str | None:
        return "server_error" if request.url.path.endswith("/cancel.json") else None

    refusing = FaultTransport(target_kit.emulator.transport(), script=refuse_cancels)
    with connect(source_kit, "src") as source:
        _cancel_some(source)
        cancelled = _cancelled_on(source)
        with connect(target_kit, "dst", transport=refusing) as target:
            first = storebridge.migrate(source, target, ledger=ledger)
        assert first.status == "FAIL"
        assert "not cancelled yet" in first.summary()
        ledger.unlink()  # lost: the next run finds the copies by their identity tags
        with connect(target_kit, "dst") as target:
            second = storebridge.migrate(source, target, ledger=ledger)
            copied_cancelled = _cancelled_copies(ledger, target)
            tags = Counter(t for o in target.orders.list() for t in o.tags if t.startswith("sb:"))
    assert second.status == "PASS", second.summary()
    assert copied_cancelled == cancelled
    assert set(tags.values()) == {1}


@contextmanager
def _into_29next_as(
    adapter_cls: type[TwentyNineNextAdapter],
) -> Iterator[tuple[storebridge.Store, storebridge.Store]]:
    """A SHOPLINE source and an empty 29 Next target served through ``adapter_cls``."""
    source_kit = sandbox("shopline", seed=3, orders=8)
    target_kit = sandbox("29next", empty=True, seed=4)
    adapter = adapter_cls.from_settings(**target_kit.settings("https://dst.29next.store"))
    options = storebridge.StoreOptions(rate_limit=FAST.rate_limit, retry=FAST.retry)
    transport = target_kit.emulator.transport()
    with (
        connect(source_kit, "src") as source,
        storebridge.Store(adapter, transport=transport, options=options) as target,
    ):
        yield source, target


class _NoCancel(TwentyNineNextAdapter):
    """29 Next as a target whose API cannot cancel orders (as some platforms')."""

    def unsupported_reason(self, operation: str) -> str | None:
        if operation == "orders.cancel":
            return "this store's API cannot cancel orders"
        return super().unsupported_reason(operation)


def test_a_target_that_cannot_cancel_says_the_copy_is_open(tmp_path: Path) -> None:
    with _into_29next_as(_NoCancel) as (source, target):
        _cancel_some(source)
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        again = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert report.status == again.status == "PASS", report.summary()
    assert len(report.not_carried) == 2
    assert all("cannot cancel orders" in line for line in report.not_carried)


@pytest.mark.parametrize("target_platform", ["shopline", "29next"])
def test_an_order_cancelled_after_it_was_copied_is_cancelled_by_the_next_run(
    target_platform: str, tmp_path: Path
) -> None:
    # It failed verification ("changed on the source") on every later run, the copy open.
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("shopline", seed=3, orders=8)
    target_kit = sandbox(target_platform, empty=True, seed=4)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        _cancel_some(source)
        cancelled = _cancelled_on(source)
        again = storebridge.migrate(source, target, ledger=ledger)
        copied_cancelled = _cancelled_copies(ledger, target)
    assert again.status == "PASS", again.summary()
    assert copied_cancelled == cancelled


class _BeforeRestock(TwentyNineNextAdapter):
    """An adapter written before ``restock`` existed: its cancel takes no such keyword."""

    def cancel_order(  # type: ignore[override]
        self, ref: str, *, reason: str | None, refund: bool, notify: bool
    ) -> Any:
        return super().cancel_order(ref, reason=reason, refund=refund, notify=notify)


def test_a_target_adapter_written_before_restock_still_cancels_copies(tmp_path: Path) -> None:
    with _into_29next_as(_BeforeRestock) as (source, target):
        _cancel_some(source)
        cancelled = _cancelled_on(source)
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        copied_cancelled = _cancelled_copies(tmp_path / "l.sqlite", target)
    assert report.status == "PASS", report.summary()
    assert copied_cancelled == cancelled
