"""benchmarks/bench_29next_details.py on a toy size: both variants read every full order,
the in-turn variant runs with one page expanding at a time, and the reader is as shipped
afterwards (no timing or request count is asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import benchmarks.bench_29next_details as bench
import benchmarks.harness.alternate as harness
import pytest
from benchmarks.bench_29next_details import VARIANTS, main, measure

import storebridge_29next._expanding as expanding


def test_both_variants_read_every_order_with_their_window(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = expanding.PAGES_AHEAD
    ahead: list[int] = []
    details: list[bool] = []
    export = vars(harness)["storebridge_export"]

    def spy(case: Any, *rest: Any) -> int:
        ahead.append(expanding.PAGES_AHEAD)
        details.append(case.detail)
        return int(export(case, *rest))

    monkeypatch.setattr(harness, "storebridge_export", spy)
    result = measure({"29next": (45,)}, rounds=1, latency=0.0, scale=100)
    assert [(run["case"], run["variant"]) for run in result["runs"]] == [
        ("29next-45", v) for v in VARIANTS
    ]
    assert ahead == [shipped, 1] and details == [True, True]
    assert expanding.PAGES_AHEAD == shipped > 1


def test_the_command_writes_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "SIZES", {"29next": (21,)})
    out = tmp_path / "details.json"
    assert main(["--rounds", "1", "--latency", "0", "--scale", "100", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["cases"]["29next-21"]["in_turn_over_window"] > 0
