"""Per-store jobs on Dask: a LocalCluster of worker processes gives the in-process results."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import storebridge
from storebridge.errors import ConfigurationError
from storebridge.fleet import ExportJob, FleetReport, StoreSpec
from storebridge.fleet.dask import local_cluster, run_on_dask
from storebridge.profiles import env_name
from tests.fleet.extras import DASK, require
from tests.fleet.support import FAST, in_process_specs, layout, served_fleet

require("distributed", extra="dask")
pytestmark = DASK


def _comparable(report: FleetReport) -> dict[str, object]:
    return {
        name: (result.platform, dict(result.counts), result.error)
        for name, result in report.results.items()
    }


def test_six_store_export_on_a_local_cluster_matches_the_in_process_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = layout(6, orders=15)
    broken = "24nettbutikk-5"
    with served_fleet(tmp_path, monkeypatch, stores) as sandboxes:
        # A wrong secret in the environment the workers inherit: that store fails alone.
        monkeypatch.setenv(env_name(broken, "token"), "wrong-token-0000")
        # The options travel with each task: the workers pace as this process would.
        fleet = storebridge.fleet(all_profiles=True, config=sandboxes.config, options=FAST)
        here = fleet.run(ExportJob("orders", tmp_path / "here"))
        with local_cluster(workers=2) as client:
            pids = set(client.run(os.getpid).values())
            there = fleet.run(ExportJob("orders", tmp_path / "there"), cluster=client)

    assert len(pids) == 2 and os.getpid() not in pids
    assert _comparable(there) == _comparable(here)
    error = here[broken].error
    assert set(here.failed) == {broken} and error is not None
    assert error.status == 401
    for name, _, size in stores:
        if name == broken:
            continue
        assert here[name].counts == {"orders": size["orders"]}
        ours = Path(here[name].details["file"]).read_text("utf-8")
        theirs = Path(there[name].details["file"]).read_text("utf-8")
        assert sorted(ours.splitlines()) == sorted(theirs.splitlines())
        assert len(ours.splitlines()) == size["orders"]


def test_in_process_transports_cannot_travel() -> None:
    specs, _ = in_process_specs(layout(1))
    with pytest.raises(ConfigurationError, match="transport") as raised:
        run_on_dask(ExportJob("orders", "unused"), specs, "tcp://127.0.0.1:1")
    assert raised.value.setting == "transport"


def test_a_store_spec_with_settings_runs_on_threads_in_a_local_cluster(tmp_path: Path) -> None:
    kit = storebridge.registry.adapter_class("24nettbutikk").sandbox(orders=4)
    with kit.emulator.serve() as url, local_cluster(workers=1, processes=False) as client:
        spec = StoreSpec("nb", platform="24nettbutikk", settings=kit.settings(url))
        report = run_on_dask(ExportJob("customers", tmp_path), [spec], client)
    assert report.ok and report["nb"].counts["customers"] > 0
