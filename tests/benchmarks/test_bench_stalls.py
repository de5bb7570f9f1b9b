"""benchmarks/bench_stalls.py on a toy size: both variants export every order with both APIs,
and the guard is back in place afterwards (no timing or 429 count is asserted)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from benchmarks.bench_stalls import ENGINES, VARIANTS, main

from storebridge import _policy
from storebridge._ratelimit import shared_send_guard


def test_both_variants_read_every_order_and_the_guard_is_restored(tmp_path: Path) -> None:
    out = tmp_path / "stalls.json"
    code = main(["--orders", "150", "--rounds", "1", "--latency", "0", "--scale", "100",
                 "--stall-ms", "5", "--every", "0.05", "--json", str(out)])  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    ran = [(run["engine"], run["variant"]) for run in result["runs"]]
    assert ran == list(itertools.product(ENGINES, VARIANTS))
    # 150 orders are 3 pages of 50 at least; a 429 is asked again, so never fewer requests.
    assert all(run["requests"] >= 3 for run in result["runs"])
    assert set(result["totals"]) == {f"{e} {v}" for e, v in itertools.product(ENGINES, VARIANTS)}
    assert vars(_policy)["shared_send_guard"] is shared_send_guard
