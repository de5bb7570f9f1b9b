"""`storebridge demo`, the README's first command, ends with a PASS report."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

import storebridge
from storebridge.cli.demo import _open_sandboxes, _refund
from storebridge.registry import adapter_class
from tests.cli.support import COMMAND, cli_env

RAISED = ["--rate-limit", "100"]
"""What these runs check is the report, not the pacing: sandboxes and clients at 100/s."""
RUNS = {
    "json": ["demo", "--json", "--orders", "4", *RAISED],
    "quiet": ["demo", "--orders", "1", "--quiet", *RAISED],
    "steps": ["demo", "--orders", "1", *RAISED],
}
"""The demo's ways of reporting, each checked by a test below."""


@pytest.fixture(scope="module")
def demo_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every run of :data:`RUNS`, the real command in a process of its own, all started at once.

    A demo spends most of its time waiting on the sandboxes' rate limits, so side by side
    the runs take about as long as one.
    """
    runs = {
        name: _start(args, tmp_path_factory.mktemp(f"demo-{name}")) for name, args in RUNS.items()
    }
    yield runs
    for proc in runs.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
        [*COMMAND, *args], cwd=cwd, env=cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finished(run: subprocess.Popen[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``run`` once it has ended."""
    out, err = run.communicate(timeout=120)
    return run.returncode, out, err


def test_demo_passes_and_refunds(demo_runs: dict[str, subprocess.Popen[str]]) -> None:
    code, out, err = _finished(demo_runs["json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["status"] == "PASS"
    assert set(report["migrations"]) == {"24nettbutikk->shopline-nok", "29next->shopline-usd"}
    for migration in report["migrations"].values():
        assert migration["status"] == "PASS"
        assert migration["results"]["orders"]["created"] == 4
    assert report["refund"]["amount"].endswith("USD")
    assert err == ""


def test_demo_quiet_prints_only_the_verdict(demo_runs: dict[str, subprocess.Popen[str]]) -> None:
    code, out, err = _finished(demo_runs["quiet"])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("demo PASS in ")
    assert err == ""


def test_demo_steps_are_plain_lines(demo_runs: dict[str, subprocess.Popen[str]]) -> None:
    code, out, err = _finished(demo_runs["steps"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("sandbox 24nettbutikk  http://127.0.0.1:")
    assert any(line.startswith("partial refund on 29next order ") for line in lines)
    assert lines[-1].startswith("demo PASS in ")
    # Not a terminal: no progress bars, nothing on stderr.
    assert err == ""


def test_refund_step_is_skipped_when_no_order_qualifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kit = adapter_class("29next").sandbox(orders=0)
    with storebridge.connect("29next", transport=kit.emulator.transport(),
                             **kit.settings("https://x.example")) as store:  # fmt: skip
        assert _refund(store, 0, show=True) is None
    assert "refund step skipped" in capsys.readouterr().out


@pytest.mark.parametrize("rate_limit", [None, 100.0])
def test_sandboxes_and_clients_keep_the_documented_limits_unless_raised(
    rate_limit: float | None,
) -> None:
    with ExitStack() as stack:
        stores = _open_sandboxes(stack, 1, rate_limit, show=False)
        assert set(stores) == {"24nettbutikk", "29next", "shopline-nok", "shopline-usd"}
        for store in stores.values():
            if rate_limit is None:
                # Each sandbox's own settings: the platform's documented limit.
                assert store.options.rate_limit is None
            else:
                limit = store.options.rate_limit or store.adapter.rate_limit
                assert 0.5 * rate_limit <= limit.per_second <= rate_limit
