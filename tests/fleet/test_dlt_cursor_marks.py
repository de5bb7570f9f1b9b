"""The mark a dlt run saves: change times read as the change feed reads them, and never past
the run's start less the overlap. Real pipelines into DuckDB, sandboxes on a fake clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.fleet import StoreSpec
from storebridge.model import CustomerUpdate
from storebridge.sandbox import Sandbox
from storebridge.sandbox.clock import FakeClock
from tests.fleet.extras import DLT, require
from tests.fleet.support import FAST, build

require("dlt", "duckdb", extra="dlt")
pytestmark = DLT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ID = re.compile(rb'"id"\s*:\s*"?(\d+)')


def _spec(kit: Sandbox, transport: Any = None) -> StoreSpec:
    return StoreSpec(
        "s", platform=kit.platform, settings=kit.settings("https://s.example"), options=FAST,
        transport=transport or kit.emulator.transport(),
    )  # fmt: skip


def _side(kit: Sandbox) -> storebridge.Store:
    """A store on the same sandbox, to edit records as a shop's staff would."""
    settings = kit.settings("https://s.example")
    return storebridge.connect(
        kit.platform, options=FAST, transport=kit.emulator.transport(), **settings
    )


def _loader(spec: StoreSpec, tmp_path: Path, resource: str, clock: FakeClock) -> Any:
    """Runs one load of ``resource`` on ``clock``'s time; returns the rows it loaded."""
    import storebridge.dlt as sbd

    def load() -> int:
        result = sbd.load(
            [spec], database=tmp_path / "x.duckdb", pipelines_dir=tmp_path / "p",
            resources=[resource], now=clock.utcnow,
        )  # fmt: skip
        assert result.ok, result.report.summary()
        return int(result.report.totals.get(resource, 0))

    return load


def _column(tmp_path: Path, table: str, column: str) -> dict[str, Any]:
    import duckdb

    # Table and column names come from the tests, never from input.
    sql = f"select ref, {column} from stores.{table}"  # noqa: S608
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as con:
        return dict(con.sql(sql).fetchall())


def test_an_edit_in_the_repeated_dst_hour_is_loaded(tmp_path: Path) -> None:
    """24Nettbutikk stamps local time: an edit at 02:10 CET, in the hour the fall-back
    repeats, was read as 02:10 CEST (an hour early), below the mark a run at 02:50 CEST
    saved, and was never loaded."""
    clock = FakeClock(datetime(2026, 10, 25, 0, 50, tzinfo=UTC))  # 02:50 CEST
    kit = build("24nettbutikk", {"seed": 7, "orders": 6, "clock": clock})
    load = _loader(_spec(kit), tmp_path, "orders", clock)
    with _side(kit) as side:
        a, b = [order.ref for order in side.orders.list()][:2]
        side.extra.update_order_status(a, "3")
        assert load() == 6
        clock.set(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))  # 02:10 CET
        edited = side.extra.update_order_status(b, "4")
        assert edited.raw["modified_on"].endswith("02:10:00")
        assert load() == 1
        assert _column(tmp_path, "orders", "status")[b] == side.orders.get(b).status
        clock.advance(timedelta(days=1).total_seconds())
        assert load() == 0


def test_a_record_edited_while_the_run_read_on_is_loaded_by_the_next_run(
    tmp_path: Path,
) -> None:
    """The mark was the newest ``updated_at`` read: X, edited after its page was served,
    was older than Y, edited later and read later, and no run ever asked for X again."""
    clock = FakeClock(T0)
    kit = build("shopline", {"seed": 11, "orders": 0, "customers": 300, "products": 0,
                             "clock": clock})  # fmt: skip
    side = _side(kit)
    everyone = {customer.ref for customer in side.customers.list()}
    edited: list[str] = []

    def handler(request: _http.Request) -> _http.Response:
        response = kit.emulator.handle(request)
        if not edited and request.method == "GET" and "customers" in request.url.path:
            served = {m.decode() for m in _ID.findall(response.read())} & everyone
            if not served:
                return response
            x, y = min(served, key=int), max(everyone - served, key=int)
            clock.advance(60)
            side.customers.update(x, CustomerUpdate(first_name="EditedX"))
            clock.advance(9 * 60)  # the run reads on; Y's page is still to come
            side.customers.update(y, CustomerUpdate(first_name="EditedY"))
            edited.extend((x, y))
        return response

    load = _loader(_spec(kit, _http.MockTransport(handler)), tmp_path, "customers", clock)
    with side:
        assert load() == 300
        x, y = edited
        names = _column(tmp_path, "customers", "first_name")
        assert names[x] != "EditedX" and names[y] == "EditedY"  # X was read before its edit
        clock.advance(60)
        assert load() == 1
        assert _column(tmp_path, "customers", "first_name")[x] == "EditedX"
        clock.advance(timedelta(hours=2).total_seconds())
        assert load() == 0


def test_a_record_stamped_by_a_clock_ahead_does_not_hide_later_edits(tmp_path: Path) -> None:
    """One edit stamped an hour ahead carried the mark an hour into the future: every edit
    of the next hour was below it and never loaded."""
    clock = FakeClock(T0)
    kit = build("shopline", {"seed": 5, "orders": 0, "customers": 20, "products": 0,
                             "clock": clock})  # fmt: skip
    load = _loader(_spec(kit), tmp_path, "customers", clock)
    with _side(kit) as side:
        refs = sorted((customer.ref for customer in side.customers.list()), key=int)
        assert load() == 20
        clock.set(T0 + timedelta(hours=1))  # a platform node an hour ahead stamps one edit
        side.customers.update(refs[0], CustomerUpdate(first_name="Ahead"))
        clock.set(T0 + timedelta(minutes=1))
        assert load() == 1
        for i, minutes in enumerate((10, 30, 50), start=1):
            clock.set(T0 + timedelta(minutes=minutes))
            side.customers.update(refs[i], CustomerUpdate(first_name=f"Edit{i}"))
        clock.set(T0 + timedelta(minutes=52))
        assert load() == 3
        names = _column(tmp_path, "customers", "first_name")
        assert [names[ref] for ref in refs[:4]] == ["Ahead", "Edit1", "Edit2", "Edit3"]
        clock.set(T0 + timedelta(hours=3))
        assert load() == 0


def test_a_negative_overlap_is_refused(tmp_path: Path) -> None:
    """A negative overlap put each run's reach after its mark: an edit just after the mark
    was never loaded."""
    import storebridge.dlt as sbd

    kit = build("shopline", {"seed": 5, "orders": 0, "customers": 2, "products": 0})
    spec = _spec(kit)
    negative = timedelta(minutes=-5)
    run: dict[str, Any] = {"database": tmp_path / "x.duckdb", "pipelines_dir": tmp_path / "p"}
    calls: dict[str, Callable[[], object]] = {
        "source": lambda: sbd.source([spec], overlap=negative),
        "load": lambda: sbd.load([spec], overlap=negative, **run),
        "LoadJob": lambda: sbd.LoadJob(tmp_path, overlap=negative),
    }
    for name, call in calls.items():
        with pytest.raises(storebridge.ValidationError, match="overlap must not be negative") as e:
            call()
        assert e.value.field == "overlap", name
    assert not (tmp_path / "x.duckdb").exists()
    naive = datetime(2026, 3, 2, 9, 0)  # no time zone: not comparable with change times
    with pytest.raises(storebridge.ValidationError, match="now must return a timezone-aware"):
        sbd.load([spec], resources=["customers"], now=lambda: naive, **run)
