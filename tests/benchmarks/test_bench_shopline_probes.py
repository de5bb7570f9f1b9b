"""benchmarks/bench_shopline_probes.py on a toy size: both variants read every order, the
ladder variant runs with the cap raised, and the cap is as shipped afterwards (no timing or
request count is asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import benchmarks.bench_shopline_probes as bench
import benchmarks.harness.alternate as harness
import pytest
from benchmarks.bench_shopline_probes import LADDER, VARIANTS, main, measure

import storebridge_shopline._paging as shopline_paging


def test_both_variants_read_every_order_with_their_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = shopline_paging.WHOLE_STORE_PROBES
    caps: list[int] = []
    export = vars(harness)["storebridge_export"]

    def spy(*args: Any) -> int:
        caps.append(shopline_paging.WHOLE_STORE_PROBES)
        return int(export(*args))

    monkeypatch.setattr(harness, "storebridge_export", spy)
    result = measure({"shopline": (250,)}, rounds=1, latency=0.0, scale=100)
    assert [(run["case"], run["variant"]) for run in result["runs"]] == [
        ("shopline-250", v) for v in VARIANTS
    ]
    assert caps == [shipped, LADDER]
    assert shopline_paging.WHOLE_STORE_PROBES == shipped == 8
    assert result["cases"]["shopline-250"]["ladder_over_capped"] > 0


def test_the_command_writes_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "SIZES", {"shopline": (120,)})
    out = tmp_path / "probes.json"
    assert main(["--rounds", "1", "--latency", "0", "--scale", "100", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["cases"]) == {"shopline-120"}
    assert {run["variant"] for run in figures["runs"]} == set(VARIANTS)
