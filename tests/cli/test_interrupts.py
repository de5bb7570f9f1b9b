"""Ctrl-C: exit 130 with what to do next (migrate, export); a sandbox just stops."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import storebridge
from storebridge.sandbox import Sandbox
from tests.cli.support import COMMAND, cli_env, profile_for, run_storebridge, served


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_then_resume(tmp_path: Path, signum: int) -> None:
    # SIGTERM (a scheduler stopping the job) ended the migration with -15 and no word.
    with (
        # A source at a raised limit: reading it is not what this test is about. Its few
        # customers and products (15 and 10 by default) are copied before the orders, at
        # the slow target's pace, before the interrupt can come.
        served("24nettbutikk", seed=3, orders=30, customers=3, products=3,
               rate_limit=200.0) as (source, source_url),
        # A slow target, so the run is still writing when Ctrl-C comes: its 30 orders take
        # three seconds at the client's 10 writes/s. Its server-side rate limit is off: the
        # resumed run's limiter would start with a full bucket while the server's still held
        # the interrupted run's requests.
        served("shopline", seed=3, orders=0, customers=0, products=0, currency="NOK",
               latency=0.05, rate_limit=False) as (target, target_url),
    ):  # fmt: skip
        old, old_env = profile_for("old", source, source_url)
        new, new_env = profile_for("new", target, target_url, rate_limit={"per_second": 10})
        (tmp_path / "storebridge.toml").write_text(old + new)
        env = {**old_env, **new_env}
        args = ["migrate", "--from", "old", "--to", "new", "--ledger", "m.sqlite"]
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, *args], cwd=tmp_path, env=cli_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not any(r.method == "POST" and "orders" in r.path for r in target.emulator.requests):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (out, err)
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1] == (
            "interrupted: the ledger m.sqlite keeps what was copied; run the same command "
            "with --resume to continue"
        )
        assert 0 < _orders_on(target, target_url) < 30

        # The rest needs no slow target: the resumed run writes at a raised limit.
        new, _ = profile_for("new", target, target_url, rate_limit={"per_second": 100})
        (tmp_path / "storebridge.toml").write_text(old + new)
        resumed = run_storebridge([*args, "--resume", "--quiet"], tmp_path, env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert ": PASS" in resumed.stdout.splitlines()[0]
        assert _orders_on(target, target_url) == 30


def _orders_on(kit: Sandbox, url: str) -> int:
    with storebridge.connect(kit.platform, **kit.settings(url)) as store:
        return sum(1 for _ in store.orders.list())


def _interrupt_when(
    proc: subprocess.Popen[str], ready: Callable[[], bool], signum: int = signal.SIGINT
) -> tuple[str, str]:
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signum)
    return proc.communicate(timeout=30)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_during_export_leaves_no_file(tmp_path: Path, signum: int) -> None:
    """SIGTERM (a scheduler stopping the job) once killed the export with its part file
    left behind; it now stops it as Ctrl-C does."""
    with served("29next", orders=40, latency=0.05) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "export", "orders", "--store", "shop", "-o", "o.jsonl"], cwd=tmp_path,
            env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _, err = _interrupt_when(proc, lambda: len(kit.emulator.requests) > 3, signum)
    assert proc.returncode == 130, err
    assert err.startswith("error: interrupted after ") and "nothing was written to o.jsonl" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("o.jsonl*"))  # neither the file nor its part file


def test_ctrl_c_stops_a_sandbox_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
        [*COMMAND, "sandbox", "serve", "24nettbutikk", "--orders", "1"], cwd=tmp_path,
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stderr = proc.stderr
    assert stderr is not None

    def announced() -> bool:
        return "Ctrl-C" in stderr.readline()

    _, err = _interrupt_when(proc, announced)
    assert proc.returncode == 0, err
    assert err.strip().splitlines()[-1] == "stopped" and "Traceback" not in err
