"""benchmarks/bench_changes.py on a toy size: the request counts of the change feed hold
together, and match what the platform pages promise (no timing is measured or asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.bench_changes import (
    PASSES,
    PLATFORMS,
    RESOURCES,
    failures,
    main,
    measure,
    measure_platform,
    table,
)

RECORDS = 30
CHANGED = 3


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    return {r["platform"]: r for r in measure(PLATFORMS, RECORDS, CHANGED)}


def _requests(result: dict[str, Any], name: str, resource: str) -> int:
    count: int = result[name][resource]["requests"]
    return count


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_version_comes_once_and_a_quiet_pass_costs_no_more_than_a_full_one(
    results: dict[str, dict[str, Any]], platform: str
) -> None:
    result = results[platform]
    assert failures([result]) == []
    for resource in RESOURCES:
        changes = {name: result[name][resource]["changes"] for name in PASSES}
        expected_after = CHANGED if resource == "orders" else 0
        assert changes == {"full": RECORDS, "unchanged": 0, "after_k": expected_after,
                           "next_poll": 0}  # fmt: skip
        full = _requests(result, "full", resource)
        assert 1 <= _requests(result, "unchanged", resource) <= full
        assert _requests(result, "next_poll", resource) <= full


def test_24nettbutikk_pays_one_head_request_per_resource_when_nothing_changed(
    results: dict[str, dict[str, Any]],
) -> None:
    result = results["24nettbutikk"]
    for resource in RESOURCES:
        assert _requests(result, "unchanged", resource) == 1
    # Resources the k changes did not touch stay at their HEAD request.
    for name in ("after_k", "next_poll"):
        assert _requests(result, name, "customers") == _requests(result, name, "products") == 1
    # Changed orders are read (with their joined customers and products), and read again
    # while they lie inside the overlap window, yielding nothing the second time.
    assert 1 < _requests(result, "after_k", "orders") < _requests(result, "full", "orders")
    assert _requests(result, "next_poll", "orders") == _requests(result, "after_k", "orders")


def test_29next_reads_every_listing_whole_on_every_pass(
    results: dict[str, dict[str, Any]],
) -> None:
    result = results["29next"]
    for resource in RESOURCES:
        costs = {_requests(result, name, resource) for name in PASSES}
        assert costs == {_requests(result, "full", resource)}
        assert costs != {0}


def test_shopline_asks_only_for_what_changed(results: dict[str, dict[str, Any]]) -> None:
    result = results["shopline"]
    for resource in RESOURCES:
        # A count and one (short or empty) page, whatever the store's size; orders one
        # page more, the archived orders' (see test_archived_orders.py).
        wanted = 3 if resource == "orders" else 2
        assert _requests(result, "unchanged", resource) == wanted
        assert _requests(result, "after_k", resource) == wanted


def test_a_shopline_order_listing_read_in_windows_is_fed_as_changes() -> None:
    result = measure_platform("shopline", 800, 0)
    assert failures([result]) == []


def test_the_command_prints_a_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "changes.json"
    main(["--records", "5", "--changed", "1", "--platforms", "24nettbutikk", "--json", str(out)])
    printed = capsys.readouterr().out
    written = json.loads(out.read_text(encoding="utf-8"))
    assert [r["platform"] for r in written] == ["24nettbutikk"]
    assert table(written) in printed
    assert "| 24nettbutikk | **all** |" in printed
    assert written[0]["unchanged"]["orders"] == {"requests": 1, "changes": 0}


def test_the_command_refuses_a_bad_size() -> None:
    with pytest.raises(SystemExit):
        main(["--records", "0"])
    with pytest.raises(SystemExit):
        main(["--platforms", "nowhere"])
