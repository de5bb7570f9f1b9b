"""The example adapter, installed as a third-party package, is found and used like a built-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pytest

import storebridge
from storebridge.registry import adapter_class
from storebridge.testing.conformance import check_all
from storebridge.testing.faults import LOST_ANSWER_FAULTS
from tests.cli.support import run_storebridge
from tests.cli.test_sandbox_serve import serving


def test_platforms_lists_it_through_its_entry_point(example: ModuleType) -> None:
    assert "example" in storebridge.platforms()
    assert adapter_class("example") is example.ExampleAdapter
    (point,) = [p for p in entry_points(group="storebridge.adapters") if p.name == "example"]
    assert point.value == "storebridge_example:ExampleAdapter"
    assert point.dist is not None
    assert point.dist.name == "storebridge-example"


def test_connect_uses_it_against_its_sandbox(example: ModuleType) -> None:
    sandbox = example.ExampleAdapter.sandbox(seed=2, orders=7)
    with (
        sandbox.emulator.serve() as url,
        storebridge.connect("example", **sandbox.settings(url)) as store,
    ):
        assert type(store.adapter) is example.ExampleAdapter
        orders = list(store.orders.list(page_size=3))
        created = store.customers.create(storebridge.CustomerDraft(email="new@example.com"))
        assert store.customers.get(created.ref) == created
    assert [order.ref for order in orders] == [str(n) for n in range(1001, 1008)]
    assert {order.platform for order in orders} == {"example"}
    pages = [r for r in sandbox.emulator.requests if r.path == "/api/v1/orders"]
    assert len(pages) == 3
    assert all(r.url.host == "127.0.0.1" for r in sandbox.emulator.requests)


@pytest.mark.anyio
async def test_connect_async_uses_it_too(example: ModuleType) -> None:
    sandbox = example.ExampleAdapter.sandbox(seed=2, orders=5)
    with sandbox.emulator.serve() as url:
        async with storebridge.connect_async("example", **sandbox.settings(url)) as store:
            refs = [order.ref async for order in store.orders.list(page_size=2)]
            first = await store.orders.get(refs[0])
    assert refs == [str(n) for n in range(1001, 1006)]
    assert first.ref == "1001"


def test_it_passes_the_conformance_kit(example: ModuleType) -> None:
    report = check_all(example.ExampleAdapter)
    assert report["check_adapter"] == {"orders": 6, "customers": 3}
    assert "products.list" in report["check_unsupported"]
    assert set(report["check_listings_under_faults"]) == {"orders", "customers"}
    writes = report["check_lost_answer_writes"]
    assert set(writes) == {"customers.create", "refunds.create"}
    assert all(set(by_fault) == set(LOST_ANSWER_FAULTS) for by_fault in writes.values())


def test_its_own_tests_pass(example_installed: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"], cwd=example_installed, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None, output
    assert int(passed.group(1)) >= 20, output
    assert not re.search(r"\d+ (skipped|xfailed|deselected)", done.stdout), output


def test_the_command_line_lists_and_serves_it(
    example_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = run_storebridge(["platforms"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "example" in listed.stdout
    args = ["example", "--orders", "4", "--currency", "NOK"]
    with serving(args, tmp_path) as (profile, env, _notes):
        table = tomllib.loads(profile)["stores"]["sandbox-example"]
        assert table["platform"] == "example"
        assert env and all(value not in profile for value in env.values())
        config = tmp_path / "storebridge.toml"
        config.write_text(profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with storebridge.connect(profile="sandbox-example", config=config) as store:
            currencies = {order.currency for order in store.orders.list()}
            count = len(list(store.orders.list()))
    assert (count, currencies) == (4, {"NOK"})
