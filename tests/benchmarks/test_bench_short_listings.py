"""benchmarks/bench_short_listings.py on a toy size: both variants read every order of each
store, and the planners are as shipped afterwards (no timing or request count is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import benchmarks.bench_short_listings as bench
import pytest
from benchmarks.bench_short_listings import VARIANTS, main, measure

import storebridge_29next._listings as twentynine_listings
import storebridge_shopline._paging as shopline_paging


def test_both_variants_read_every_order_and_the_planners_are_restored() -> None:
    cursor = vars(twentynine_listings)["_Cursor"]
    result = measure({"29next": (40,), "shopline": (300,)}, rounds=1, latency=0.0, scale=100)
    ran = [(run["case"], run["variant"]) for run in result["runs"]]
    assert ran == [(case, v) for case in ("29next-40", "shopline-300") for v in VARIANTS]
    assert all(run["requests"] >= 2 for run in result["runs"])
    assert set(result["cases"]) == {"29next-40", "shopline-300"}
    assert vars(twentynine_listings)["_Cursor"] is cursor
    assert shopline_paging.WHOLE_STORE_SPLIT_FROM_PAGES == 3


def test_the_command_writes_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "SIZES", {"29next": (21,)})
    out = tmp_path / "short.json"
    assert main(["--rounds", "1", "--latency", "0", "--scale", "100", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["cases"]) == {"29next-21"}
    assert figures["cases"]["29next-21"]["planned_over_shipped"] > 0
