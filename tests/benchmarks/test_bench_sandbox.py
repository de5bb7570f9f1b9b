"""benchmarks/bench_sandbox.py on a toy size: every platform's listing is walked to its end,
and the stores held for the walk are handed back to the garbage collector afterwards (no
timing is asserted)."""

from __future__ import annotations

import gc

from benchmarks.bench_sandbox import PLATFORMS, scale


def test_every_listing_is_walked_and_the_collector_is_left_as_it_was() -> None:
    assert gc.get_freeze_count() == 0
    rows = scale([120], list(PLATFORMS), budget=60.0)
    assert [row["platform"] for row in rows] == list(PLATFORMS)
    for row in rows:
        assert row["complete"] and row["rows"] == 120, row
        assert row["pages"] >= 2 and row["page_max_ms"] >= row["page_median_ms"] > 0, row
    # The walk holds each store as a served sandbox does; a test process must get it back.
    assert gc.get_freeze_count() == 0
