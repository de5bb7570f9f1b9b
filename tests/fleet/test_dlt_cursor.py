"""The per-store incremental position: changes admitted once, the overlap window de-duplicated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from storebridge.model import Customer
from tests.fleet.extras import DLT, require

if TYPE_CHECKING:
    from storebridge.dlt.cursor import UpdatedAtCursor

require("dlt", extra="dlt")
pytestmark = DLT

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def cursor_class() -> type[UpdatedAtCursor]:
    """Imported when a test runs (storebridge.dlt imports dlt): see tests.fleet.extras."""
    from storebridge.dlt.cursor import UpdatedAtCursor

    return UpdatedAtCursor


def customer(ref: str, at: datetime | None, name: str = "A") -> Customer:
    return Customer(platform="toy", ref=ref, first_name=name, updated_at=at)


def run(state: dict[str, Any] | None, records: list[Customer]) -> tuple[list[str], dict[str, Any]]:
    cursor = cursor_class().from_state(state, overlap=timedelta(minutes=5))
    admitted = [r.ref for r in records if cursor.admit(r.ref, r.updated_at, r)]
    # The state goes through JSON in dlt's pipeline state.
    return admitted, json.loads(json.dumps(cursor.to_state()))


def test_first_run_takes_everything_then_only_what_changed() -> None:
    first = [customer("1", T0 - timedelta(hours=1)), customer("2", T0), customer("3", None)]
    admitted, state = run(None, first)
    assert admitted == ["1", "2", "3"] and state["mark"] == T0.isoformat()
    cursor = cursor_class().from_state(state)
    assert cursor.since() == T0 - timedelta(minutes=5)
    # The platform sends the overlap again: nothing in it is new.
    admitted, state = run(state, [customer("2", T0), customer("3", None)])
    assert admitted == []
    # A change in the same second as the mark, a record committed late inside the window,
    # a new record, and a changed undated record are each admitted once.
    again = [
        customer("2", T0, name="B"),
        customer("4", T0 - timedelta(minutes=2)),
        customer("5", T0 + timedelta(seconds=1)),
        customer("3", None, name="C"),
    ]
    admitted, state = run(state, again)
    assert admitted == ["2", "4", "5", "3"]
    admitted, _ = run(state, again)
    assert admitted == []


def test_records_older_than_the_window_were_loaded_already() -> None:
    _, state = run(None, [customer("1", T0)])
    admitted, _ = run(state, [customer("9", T0 - timedelta(hours=2))])
    assert admitted == []


def test_a_state_of_another_kind_starts_over() -> None:
    admitted, state = run({"kind": "checkpoint", "position": "abc"}, [customer("1", T0)])
    assert admitted == ["1"] and state["kind"] == "updated_at"


def test_the_mark_stops_at_the_run_start_less_the_overlap() -> None:
    """What was edited while the run read on, or stamped ahead of our clock, lies past the
    saved mark: the next run reads it again and loads only what changed."""
    overlap = timedelta(minutes=5)
    records = [
        customer("1", T0 - timedelta(hours=1)),
        customer("2", T0 + timedelta(minutes=2)),  # edited while the run read on
        customer("3", T0 + timedelta(hours=1)),  # a platform clock an hour ahead
    ]
    cursor = cursor_class().from_state(None, overlap, started=T0)
    assert [r.ref for r in records if cursor.admit(r.ref, r.updated_at, r)] == ["1", "2", "3"]
    state = json.loads(json.dumps(cursor.to_state()))
    assert state["mark"] == (T0 - overlap).isoformat()
    assert set(state["window"]) == {"2", "3"}
    again = cursor_class().from_state(state, overlap, started=T0 + timedelta(minutes=10))
    assert again.since() == T0 - 2 * overlap
    records[1] = customer("2", T0 + timedelta(minutes=2), name="B")
    assert [r.ref for r in records if again.admit(r.ref, r.updated_at, r)] == ["2"]
