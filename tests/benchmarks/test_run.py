"""benchmarks/run.py on a toy size: every section runs and its figures hold together.

No timing is asserted (machines are noisy); what is checked is what the harness counts:
orders read by each of the three readers, the requests a listing needs, answers counted on
the emulator side, the CLI's exports and the migration's writes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from benchmarks.harness.config import DOCUMENTED, Case, Config, documented
from benchmarks.run import SECTIONS, main, run

TOY = Config(
    mode="toy",
    latency=0.0,
    scale=1000.0,
    cases=(
        Case("shopline", 30),
        Case("24nettbutikk", 30, joins=False),
        Case("24nettbutikk", 6, joins=True),
        Case("29next", 5, detail=True),
        Case("29next", 5, detail=True, day_windows=True),
    ),
    repeat=1,
    baseline_repeat=1,
    conversion_orders=20,
    conversion_repeat=1,
    memory_orders=20,
    stores=3,
    store_orders=30,
    migration_orders=4,
)


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    said: list[str] = []
    result = run(TOY, SECTIONS, say=said.append)
    result["said"] = said
    return result


def test_export_counts_the_requests_a_listing_needs(figures: dict[str, Any]) -> None:
    rows = {row["case"]: row for row in figures["export"]}
    assert list(rows) == [case.name for case in TOY.cases]
    # One page of 30 rows; 29 Next's 5 orders on one page, then one request per order.
    assert rows["shopline"]["requests_needed"] == 1
    assert rows["24nettbutikk (no joins)"]["requests_needed"] == 1
    assert rows["29next (full orders)"]["requests_needed"] == 1 + 5
    # The day-windows case shares the naive loop's and dlt's runs (the same requests).
    windowed = rows["29next (full orders, day windows)"]
    assert windowed["runs_s"]["naive"] == rows["29next (full orders)"]["runs_s"]["naive"]
    assert windowed["runs_s"]["dlt"] == rows["29next (full orders)"]["runs_s"]["dlt"]
    # Joins add one request per customer and product the page names.
    assert rows["24nettbutikk (joins)"]["requests_needed"] > 2
    for row in rows.values():
        limit = row["limit_per_second"]
        assert row["bound_s"] == pytest.approx(row["requests_needed"] / limit, abs=1e-3)
        assert set(row["runs_s"]) == {"storebridge", "naive", "dlt"}
        assert row["requests_answered"]["dlt"] == row["requests_needed"]
        assert row["requests_answered"]["storebridge"] >= row["requests_needed"]
        for ratio in ("bound_over_storebridge", "naive_over_storebridge", "dlt_over_storebridge"):
            assert row[ratio] > 0


def test_conversion_memory_stores_and_migration(figures: dict[str, Any]) -> None:
    conversion = figures["conversion"]
    assert set(conversion) == {"29next", "shopline", "24nettbutikk"}
    for r in conversion.values():
        assert r["us_per_order"] > 0 and r["orjson_us_per_order"] > 0
        assert 0 < r["models_us_per_order"] < r["us_per_order"]
        # What only storing the fields costs (too small to order against `models` reliably
        # at this toy size); the floor counts it, not the checks.
        assert r["stored_us_per_order"] >= 0
        # The ratio comes from the unrounded figures; each printed one is within 0.05.
        orjson, stored = r["orjson_us_per_order"], r["stored_us_per_order"]
        lowest = (orjson - 0.05 + max(0.0, stored - 0.05)) / (orjson + 0.05)
        highest = (orjson + 0.05 + stored + 0.05) / max(orjson - 0.05, 0.01)
        assert lowest - 0.01 <= r["floor_ratio"] <= highest + 0.01
        assert r["floor_ratio"] >= 1
    memory = figures["memory"]
    assert memory["n"]["orders"] == 20 and memory["4n"]["orders"] == 80
    assert 0 < memory["floor_rss_mib"] <= memory["n"]["peak_rss_mib"]
    stores = figures["stores"]
    assert stores["requests"] >= 3  # one page per store at least
    assert 0 <= stores["client_gc_s"] <= stores["client_cpu_s"] + 0.5
    assert stores["tuned_gc_orders_per_s"] > 0 and stores["tuned_gc_client_cpu_s"] > 0
    assert stores["bounds_sum_orders_per_s"] == pytest.approx(3 * 30 / (1 / 4000))
    migration = figures["migration"]
    assert migration["writes"] > migration["orders"]


def test_the_figures_are_printed_and_serialisable(figures: dict[str, Any]) -> None:
    text = "\n".join(figures["said"])
    for heading in ("1. Export", "2. Conversion", "3. Memory", "4. Many stores", "5. Migration"):
        assert heading in text
    assert "latency 0 ms" in text and "shopline 4000/s (burst 40)" in text
    measured = {key: value for key, value in figures.items() if key != "said"}
    assert json.loads(json.dumps(measured))["config"]["mode"] == "toy"


def test_only_takes_known_sections(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--only", "export,speed"])
    assert exit_.value.code == 2
    assert "--only takes a comma-separated list of export" in capsys.readouterr().err


def test_documented_runs_at_the_limits_themselves(capsys: pytest.CaptureFixture[str]) -> None:
    config = documented()
    assert config.mode == "documented"
    for platform, limit in DOCUMENTED.items():
        assert config.limit(platform) == limit
    # SHOPLINE's bucket is ten seconds of its rate: its export must need far more requests
    # than the bucket holds (100 orders a page), or the burst alone would beat the bound.
    shopline = next(case for case in config.cases if case.platform == "shopline")
    assert shopline.orders / 100 >= 4 * DOCUMENTED["shopline"].burst
    assert documented(latency=0.1).latency == 0.1
    with pytest.raises(SystemExit) as exit_:
        main(["--quick", "--documented"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def _loaded(names: tuple[str, ...]) -> dict[str, int | bool]:
    """Which of ``names`` the calling interpreter has imported (run in a reader's process)."""
    import os
    import sys

    found: dict[str, int | bool] = {name: name in sys.modules for name in names}
    found["pid"] = os.getpid()
    return found


def test_each_reader_runs_in_a_warmed_interpreter_of_its_own() -> None:
    import os

    from benchmarks.harness.export import READERS, reader_processes

    names = ("dlt", "storebridge_shopline")
    with reader_processes(("shopline",)) as pools:
        seen = {reader: pools[reader].submit(_loaded, names).result() for reader in READERS}
    pids = {found["pid"] for found in seen.values()}
    assert len(pids) == len(READERS) and os.getpid() not in pids
    # storebridge's reader never pays for dlt in memory; each is warmed with its own imports.
    assert seen["storebridge"] == {
        **seen["storebridge"],
        "dlt": False,
        "storebridge_shopline": True,
    }
    assert seen["dlt"]["dlt"] is True
    assert seen["naive"]["dlt"] is False
