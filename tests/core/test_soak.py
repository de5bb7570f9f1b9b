"""The soak command: every listing through the fault layer, page by page and in parallel."""

from __future__ import annotations

import pytest

from storebridge.testing import soak


def test_the_soak_reads_each_listing_page_by_page_and_with_the_parallel_readers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = soak.main(["--platform", "shopline", "--records", "30", "--seeds", "2"])
    out = capsys.readouterr().out
    assert status == 0, out
    for resource in soak.RESOURCES:
        assert f"shopline {resource} x1 " in out and f"shopline {resource} x8 " in out
    assert "PASS" in out


def test_the_summary_counts_runs_per_setting_of_requests_in_flight() -> None:
    summary = soak.soak(["24nettbutikk"], records=20, seeds=2, rates=[0.2], in_flight=[1, 4])
    assert set(summary.tallies) == {
        f"24nettbutikk {resource} x{width}" for resource in soak.RESOURCES for width in (1, 4)
    }
    assert all(t.runs == 2 for t in summary.tallies.values())
    assert sum(summary.faults.values()) > 0
    assert summary.failures == 0


@pytest.mark.parametrize("given", ["0", "x", "1,,8", ""])
def test_a_bad_in_flight_setting_is_refused_with_the_fix(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        soak.main(["--platform", "shopline", "--in-flight", given])
    assert stopped.value.code == 2
    assert "--in-flight" in capsys.readouterr().err
