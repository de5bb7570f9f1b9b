"""`storebridge demo`, the README's first command, ends with a PASS report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import storebridge
from storebridge.cli.demo import _refund
from storebridge.registry import adapter_class
from tests.cli.conftest import Cli
from tests.cli.support import run_storebridge


def test_demo_passes_and_refunds(cli: Cli) -> None:
    code, out, err = cli("demo", "--json", "--orders", "4")
    assert code == 0, err
    report = json.loads(out)
    assert report["status"] == "PASS"
    assert set(report["migrations"]) == {"24nettbutikk->shopline-nok", "29next->shopline-usd"}
    for migration in report["migrations"].values():
        assert migration["status"] == "PASS"
        assert migration["results"]["orders"]["created"] == 4
    assert report["refund"]["amount"].endswith("USD")
    assert err == ""


def test_demo_quiet_prints_only_the_verdict(cli: Cli) -> None:
    code, out, err = cli("demo", "--orders", "1", "--quiet")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("demo PASS in ")
    assert err == ""


def test_demo_steps_are_plain_lines(tmp_path: Path) -> None:
    proc = run_storebridge(["demo", "--orders", "1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("sandbox 24nettbutikk  http://127.0.0.1:")
    assert any(line.startswith("partial refund on 29next order ") for line in lines)
    assert lines[-1].startswith("demo PASS in ")
    # Not a terminal: no progress bars, nothing on stderr.
    assert proc.stderr == ""


def test_refund_step_is_skipped_when_no_order_qualifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kit = adapter_class("29next").sandbox(orders=0)
    with storebridge.connect("29next", transport=kit.emulator.transport(),
                             **kit.settings("https://x.example")) as store:  # fmt: skip
        assert _refund(store, 0, show=True) is None
    assert "refund step skipped" in capsys.readouterr().out
