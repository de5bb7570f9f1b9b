"""A dry run leaves the ledger's directory as it was, and the private databases of dry runs
and verification never outlive the process, not even one killed with SIGKILL."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import storebridge
from tests.migrate.support import connect, sandbox

ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_dry_run_creates_no_file_next_to_a_closed_ledger(tmp_path: Path) -> None:
    sk, tk = sandbox("29next", seed=3, orders=4), sandbox("shopline", empty=True, seed=4)
    ledger = tmp_path / "l.sqlite"
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        before = _files(tmp_path)
        assert list(before) == ["l.sqlite"]
        report = storebridge.migrate(s, t, ledger=ledger, dry_run=True)
    assert report.results["orders"].already == 4
    assert _files(tmp_path) == before


def test_a_dry_run_sees_what_a_killed_run_left_in_the_wal(tmp_path: Path) -> None:
    sk, tk = sandbox("29next", seed=3, orders=4), sandbox("shopline", empty=True, seed=4)
    ledger = tmp_path / "run" / "l.sqlite"
    ledger.parent.mkdir()
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
    # The files of a run killed with changes still in its WAL: copied while a connection
    # that never checkpoints holds them.
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("DELETE FROM items WHERE resource='orders'")
    left = tmp_path / "left"
    left.mkdir()
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(f"{ledger}{suffix}", left / f"l.sqlite{suffix}")
    db.close()
    before = _files(left)
    assert (left / "l.sqlite-wal").stat().st_size > 0
    with connect(sk, "src") as s, connect(tk, "dst") as t:
        report = storebridge.migrate(s, t, ledger=left / "l.sqlite", dry_run=True)
    assert report.results["orders"].already == 0
    assert report.results["orders"].created == 4
    assert _files(left) == before


_KILLED = """
import os, signal, sys
sys.path.insert(0, {root!r})
import storebridge
from tests.migrate.support import connect, sandbox

def die(event):
    if event.phase == {phase!r}:
        os.kill(os.getpid(), signal.SIGKILL)

sk, tk = sandbox("29next", seed=3, orders=4), sandbox("shopline", empty=True, seed=4)
with connect(sk, "src") as s, connect(tk, "dst") as t:
    if {dry_run!r}:
        storebridge.migrate(s, t, ledger={ledger!r}, resources=("customers",))
    storebridge.migrate(s, t, ledger={ledger!r}, dry_run={dry_run!r}, progress=die)
"""


@pytest.mark.parametrize(("phase", "dry_run"), [("verify", False), ("orders", True)])
def test_a_killed_run_leaves_no_temporary_database(
    tmp_path: Path, phase: str, dry_run: bool
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    script = _KILLED.format(
        root=str(ROOT), phase=phase, dry_run=dry_run, ledger=str(tmp_path / "l.sqlite")
    )
    env = {**os.environ, "TMPDIR": str(temp), "SQLITE_TMPDIR": str(temp)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(script)], env=env, cwd=ROOT, timeout=120,
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert sorted(p.name for p in temp.iterdir()) == []
