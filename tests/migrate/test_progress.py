"""Progress: totals where known, rates and time left, and a resume counts only what is left."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.migrate import ProgressEvent
from storebridge.store import Orders
from tests.migrate.support import Interrupted, shop, stop_after
from tests.support.toyshop import ToyShopAdapter, ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


@pytest.fixture
def pair() -> tuple[ToyShopEmulator, ToyShopEmulator]:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=30)
    return source, target


class Events:
    def __init__(self) -> None:
        self.seen: list[ProgressEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.seen.append(event)

    def last(self, phase: str) -> ProgressEvent:
        return [e for e in self.seen if e.phase == phase][-1]


def test_events_carry_totals_rates_and_time_left(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    events = Events()
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", progress=events)
    phases = {e.phase for e in events.seen}
    assert phases == {
        "read customers", "customers", "read products", "products", "read orders", "orders",
        "verify",
    }  # fmt: skip
    orders = events.last("orders")
    assert orders.finished and orders.done == orders.total == 30
    assert orders.rate is not None and orders.rate > 0 and orders.eta == 0
    read = events.last("read orders")
    assert read.finished and read.done == read.total == 30
    assert events.last("verify").done == events.last("verify").total == 3


def test_the_three_argument_callback_still_works(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    calls: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def progress(phase: str, done: int, total: int) -> None:
        with lock:
            calls.append((phase, done, total))

    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", progress=progress)
    assert ("orders", 30, 30) in calls and ("verify", 3, 3) in calls
    assert all(isinstance(total, int) for _, _, total in calls)


def test_a_resume_counts_only_the_work_left(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    events = Events()
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(Interrupted):
            storebridge.migrate(s, t, ledger=ledger, on_decision=stop_after(6 + 4 + 20))
        storebridge.migrate(s, t, ledger=ledger, progress=events, verify=False)
    orders = events.last("orders")
    assert orders.earlier >= 10
    # Time left was measured against what this run had to do, not the whole store.
    assert orders.total is not None and orders.total <= 30 - orders.earlier + 5
    assert orders.done == orders.total
    assert {e.phase for e in events.seen} >= {"read orders", "orders"}
    assert "read customers" not in {e.phase for e in events.seen}  # finished before


def test_read_phases_show_the_platforms_count_where_it_has_one(
    pair: tuple[ToyShopEmulator, ToyShopEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, target = pair
    asked: list[dict[str, Any]] = []

    def count(self: Orders[Any], **filters: Any) -> int:
        asked.append(filters)
        return len(source.tables["orders"])

    monkeypatch.setattr(Orders, "count", count, raising=False)
    declared = ToyShopAdapter.capabilities.fget  # type: ignore[attr-defined]
    monkeypatch.setattr(
        ToyShopAdapter, "capabilities", property(lambda self: declared(self) | {"orders.count"})
    )
    events = Events()
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", progress=events)
    reading = [e for e in events.seen if e.phase == "read orders"]
    assert asked == [{}]
    assert all(e.total == 30 for e in reading)
    assert any(e.eta is not None for e in events.seen if e.phase == "orders")
