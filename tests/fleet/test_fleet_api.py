"""Naming a fleet's stores, fan-out with per-store results, jobs in-process, reports."""

from __future__ import annotations

import contextlib
import json
import pickle
from pathlib import Path

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import ConfigurationError
from storebridge.fleet import ExportJob, MigrateJob, StoreFailure, StoreSpec
from storebridge.profiles import env_name
from storebridge.registry import adapter_class
from tests.fleet.support import FAST, in_process_specs, layout, served_fleet

PROFILES = """\
[stores.oslo]
platform = "24nettbutikk"
tags = ["eu", "nordics"]
base_url = "https://oslo.example"
token = "${OSLO_TOKEN}"

[stores.austin]
platform = "29next"
tags = ["us"]
store = "austin"
access_token = "${AUSTIN_TOKEN}"

[stores.plain]
platform = "29next"
store = "plain"
access_token = "${PLAIN_TOKEN}"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "storebridge.toml"
    path.write_text(PROFILES, "utf-8")
    return path


def test_stores_by_name_tag_or_all(config: Path) -> None:
    assert storebridge.fleet(["austin", "oslo"], config=config).names == ["austin", "oslo"]
    assert storebridge.fleet(tag="eu", config=config).names == ["oslo"]
    assert storebridge.fleet(all_profiles=True, config=config).names == ["oslo", "austin", "plain"]
    spec = storebridge.fleet(tag="us", config=config).specs[0]
    assert spec.profile == "austin" and spec.config == config.resolve()
    assert spec.platform_name() == "29next"


def test_naming_mistakes_fail_before_any_work(config: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no profile 'austn'.*austin") as raised:
        storebridge.fleet(["austn"], config=config)
    assert raised.value.setting == "profile"
    with pytest.raises(ConfigurationError, match=r"tag 'asia'.*eu, nordics, us"):
        storebridge.fleet(tag="asia", config=config)
    with pytest.raises(ConfigurationError, match="one way"):
        storebridge.fleet(["oslo"], tag="eu", config=config)
    with pytest.raises(ConfigurationError, match="one way"):
        storebridge.fleet(config=config)
    with pytest.raises(ConfigurationError, match="unique"):
        storebridge.fleet([StoreSpec("a", platform="29next"), StoreSpec("a", platform="29next")])
    with pytest.raises(ConfigurationError, match="either profile= or platform="):
        StoreSpec("x")


def test_tags_must_be_words_and_never_reach_the_adapter(tmp_path: Path, config: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[stores.a]\nplatform = "29next"\ntags = "eu"\n', "utf-8")
    with pytest.raises(ConfigurationError, match="tags must be a list") as raised:
        storebridge.fleet(tag="eu", config=bad)
    assert raised.value.setting == "tags"
    kit = adapter_class("24nettbutikk").sandbox(orders=2, rate_limit=None)
    tagged = tmp_path / "tagged.toml"
    with kit.emulator.serve() as url:
        # A raised limit for a sandbox that has none: tags, not pacing, are the subject.
        tagged.write_text(
            f'[stores.t]\nplatform = "24nettbutikk"\ntags = ["eu"]\nbase_url = "{url}"\n'
            f'token = "{kit.settings(url)["token"]}"\nrequests_per_second = 50.0\n',
            "utf-8",
        )
        with storebridge.connect(profile="t", config=tagged) as store:
            assert len(list(store.orders.list())) == 2


def test_a_missing_secret_fails_that_store_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = layout(3)
    with served_fleet(tmp_path, monkeypatch, stores) as sandboxes:
        monkeypatch.delenv(env_name("shopline-1", "access_token"))
        fleet = storebridge.fleet(all_profiles=True, config=sandboxes.config, options=FAST)
        report = fleet.map(lambda store: store.platform)
    assert report.values() == {"29next-0": "29next", "24nettbutikk-2": "24nettbutikk"}
    failure = report["shopline-1"].error
    assert failure is not None and failure.kind == "ConfigurationError"
    assert "SHOPLINE_1_ACCESS_TOKEN" in failure.message
    assert report["shopline-1"].platform == "shopline"


def test_map_returns_values_and_errors_per_store() -> None:
    specs, _ = in_process_specs(layout(3))
    fleet = storebridge.fleet(specs, options=FAST)

    async def first_order(store: storebridge.AsyncStore) -> str:
        async for order in store.orders.list():
            found = await store.orders.get(order.ref)
            return found.ref
        return ""

    report = fleet.map(first_order)
    assert report.ok and set(report.values()) == set(fleet.names)
    assert all(isinstance(ref, str) and ref for ref in report.values().values())
    refused = fleet.map(lambda store: store.orders.get("no such order"))
    assert not refused.ok and set(refused.failed) == set(fleet.names)
    assert {f.kind for f in refused.failed.values()} <= {"NotFound", "ValidationError"}


def test_report_is_plain_data() -> None:
    specs, _ = in_process_specs(layout(2))
    bad = StoreSpec("bad", platform="nosuchplatform")
    listing = storebridge.fleet([*specs, bad], options=FAST).products.list(errors="report")
    items = list(listing)
    report = listing.report
    assert report is not None
    again = pickle.loads(pickle.dumps(report))  # noqa: S301 - our own bytes, as Dask ships them
    assert again == report
    data = json.loads(report.to_json())
    assert data["operation"] == "products.list" and data["failed"] == ["bad"]
    assert data["totals"] == {"products": len(items)}
    assert data["stores"]["bad"]["error"]["kind"] == "ConfigurationError"
    assert data["stores"][specs[0].name]["counts"]["products"] > 0
    text = report.summary()
    assert "3 stores, 1 failed" in text and "FAILED (ConfigurationError" in text
    assert str(StoreFailure("X", "y")) == "X: y"


def test_export_job_in_process_writes_one_file_per_store(tmp_path: Path) -> None:
    specs, _ = in_process_specs(layout(3))
    fleet = storebridge.fleet(specs, options=FAST)
    report = fleet.run(ExportJob("orders", tmp_path / "out"))
    assert report.ok and report.operation == "export orders"
    for index, spec in enumerate(specs):
        path = Path(report[spec.name].details["file"])
        lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        assert len(lines) == 12 + index == report[spec.name].counts["orders"]
        assert len({line["ref"] for line in lines}) == len(lines)
        assert not any(line.get("partial") for line in lines)  # complete orders by default
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{spec.name}.orders.jsonl" for spec in specs
    )
    with pytest.raises(ConfigurationError, match="resource"):
        ExportJob("refunds", tmp_path)


def test_migrate_job_keeps_one_ledger_per_migration(tmp_path: Path) -> None:
    source = adapter_class("29next").sandbox(seed=4, orders=5, rate_limit=None)
    target = adapter_class("shopline").sandbox(
        seed=4, orders=0, customers=0, products=0, currency="USD", rate_limit=False
    )
    specs = [
        StoreSpec("src", platform="29next", settings=source.settings("https://src.example"),
                  transport=source.emulator.transport()),
        StoreSpec("dst", platform="shopline", settings=target.settings("https://dst.example"),
                  transport=target.emulator.transport(), options=FAST),
    ]  # fmt: skip
    fleet = storebridge.fleet(specs[:1], options=FAST)
    job = MigrateJob({"src": specs[1]}, tmp_path / "ledgers")
    report = fleet.run(job)
    assert report.ok, report.summary()
    assert report["src"].counts["orders"] == 5
    assert report["src"].details["status"] == "PASS"
    assert (tmp_path / "ledgers" / "src-to-dst.sqlite").exists()
    again = fleet.run(job)  # resumes from the same ledger: nothing is written twice
    assert again.ok and again["src"].counts["orders"] == 5
    with specs[1].connect() as dst:
        assert len(list(dst.orders.list())) == 5
    orphan = storebridge.fleet([StoreSpec("other", platform="29next")]).run(job)
    assert orphan["other"].error is not None and "no target" in orphan["other"].error.message


def test_two_migrations_whose_names_join_alike_keep_two_ledgers(tmp_path: Path) -> None:
    """ "a-to-b" into "c" and "a" into "b-to-c" were both ledgers/a-to-b-to-c.sqlite."""
    settings = {"base_url": "https://x.example", "token": "t" * 20}
    spec = {name: StoreSpec(name, platform="24nettbutikk", settings=settings)
            for name in ("a-to-b", "c", "a", "b-to-c", "d", "e")}  # fmt: skip
    first = MigrateJob({"a-to-b": spec["c"]}, tmp_path).ledger(spec["a-to-b"])
    second = MigrateJob({"a": spec["b-to-c"]}, tmp_path).ledger(spec["a"])
    assert first != second
    assert first.name.startswith("a-to-b-to-c-") and second.name.startswith("a-to-b-to-c-")
    plain = MigrateJob({"d": spec["e"]}, tmp_path).ledger(spec["d"])
    assert plain == tmp_path / "d-to-e.sqlite"  # the usual names keep their ledgers


class _CutAfter(_http.BaseTransport):
    """The target's transport: refuses its 2nd and 3rd order writes (422), and stops the
    run (as a killed worker) at its ``cut``-th."""

    def __init__(self, inner: _http.BaseTransport, cut: int) -> None:
        self.inner, self.cut, self.writes, self.armed = inner, cut, 0, True

    def handle_request(self, request: _http.Request) -> _http.Response:
        if self.armed and request.method in ("POST", "PUT") and "order" in request.url.path:
            self.writes += 1
            if self.writes > self.cut:
                raise KeyboardInterrupt
            if self.writes in (2, 3):
                return _http.Response(422, json={"message": "refused"}, request=request)
        return self.inner.handle_request(request)


@pytest.mark.parametrize("cut", [5, 9])
def test_a_migration_job_resuming_an_interrupted_run_counts_what_the_target_holds(
    tmp_path: Path, cut: int
) -> None:
    # A retried task (a lost Dask worker) resumes the killed run: the job counted only what
    # it did itself ("0 customers"), then, counting the report's "earlier", the records the
    # first run failed and the one at the resume boundary twice.
    source = adapter_class("29next").sandbox(seed=4, orders=12, rate_limit=None)
    target = adapter_class("shopline").sandbox(
        seed=5, orders=0, customers=0, products=0, currency="USD", rate_limit=False
    )
    cutting = _CutAfter(target.emulator.transport(), cut)
    src = StoreSpec("src", platform="29next", settings=source.settings("https://src.example"),
                    transport=source.emulator.transport(), options=FAST)  # fmt: skip
    dst = StoreSpec("dst", platform="shopline", settings=target.settings("https://dst.example"),
                    transport=cutting, options=FAST)  # fmt: skip
    job = MigrateJob({"src": dst}, tmp_path)
    with src.connect() as s, dst.connect() as t, contextlib.suppress(KeyboardInterrupt):
        storebridge.migrate(s, t, ledger=job.ledger(src))
    cutting.armed = False
    result = job.run(src)
    with dst.connect() as t:
        holds = {r: len(list(getattr(t, r).list())) for r in ("customers", "products", "orders")}
    assert result.counts == holds
    # The two refused stay out unless the resumed run reads them again (writes run side by
    # side, so the checkpoint the cut left may lie before one of them): never counted twice.
    assert 10 <= holds["orders"] <= 12
