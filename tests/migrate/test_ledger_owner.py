"""One migration run per ledger at a time.

Two runs resumed at once on one ledger each saw a record as not yet written and both
created it on the target: duplicate orders, which a platform may not let anyone delete.
A run now holds ``<ledger>.lock`` from opening the ledger to closing it; a second run,
in this process or another, is refused with :class:`LedgerInUse` before it reads or
writes anything. The lock goes with its process, so a killed run leaves nothing behind.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import storebridge
from storebridge import _http
from storebridge.cli.migrate import _ledger_hint
from storebridge.migrate import LedgerInUse, MigrationReport
from storebridge.migrate.ledger import Ledger, Route
from tests.migrate.support import connect, sandbox

ROUTE = Route("toy", "a", "toy", "b")


class Held(_http.BaseTransport):
    """The target's transport: its first write waits until the test lets it go."""

    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.writing = threading.Event()
        self.go_on = threading.Event()
        self.writes = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method in ("POST", "PUT", "PATCH"):
            self.writes += 1
            self.writing.set()
            assert self.go_on.wait(30)
        return self.inner.handle_request(request)


def test_a_second_run_on_a_ledger_in_use_is_refused_before_it_writes(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    source = sandbox("24nettbutikk", seed=3, orders=8, customers=5)
    dest = sandbox("shopline", empty=True, seed=4, currency="NOK")
    held = Held(dest.emulator.transport())
    reports: list[MigrationReport] = []
    with connect(source, "src") as src, connect(dest, "dst", transport=held) as dst:
        first = threading.Thread(
            target=lambda: reports.append(storebridge.migrate(src, dst, ledger=ledger))
        )
        first.start()
        try:
            assert held.writing.wait(30)
            writes = held.writes
            with pytest.raises(LedgerInUse, match="in use by another migration run"):
                storebridge.migrate(src, dst, ledger=ledger)
            assert held.writes == writes  # the refused run wrote nothing
        finally:
            held.go_on.set()
            first.join(60)
        assert reports and reports[0].status == "PASS", reports[0].summary()
        made = held.writes
        again = storebridge.migrate(src, dst, ledger=ledger)  # free again once it ended
        assert again.status == "PASS", again.summary()
    assert held.writes == made


def test_another_process_holding_the_ledger_keeps_it_until_it_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    holder = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from storebridge.migrate.ledger import Ledger, Route\n"
            f"Ledger({str(path)!r}, Route('toy', 'a', 'toy', 'b'))\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LedgerInUse, match=r"ledger\.sqlite\.lock"):
            Ledger(path, ROUTE)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
    deadline = time.monotonic() + 10
    while True:  # the kill released the lock; nothing to clean up
        try:
            Ledger(path, ROUTE).close()
            break
        except LedgerInUse:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_a_closed_ledger_is_free_and_a_dry_run_snapshot_takes_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = Ledger(path, ROUTE)
    snapshot = Ledger.snapshot(path, ROUTE)  # a dry run beside a real one plans on a copy
    snapshot.close()
    with pytest.raises(LedgerInUse):
        Ledger(path, ROUTE)
    first.close()
    Ledger(path, ROUTE).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite"]  # no lock left


def test_a_lock_file_left_by_a_killed_run_is_taken_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    (tmp_path / "ledger.sqlite.lock").write_text("")  # its process died holding it
    ledger = Ledger(path, ROUTE)
    with pytest.raises(LedgerInUse):
        Ledger(path, ROUTE)
    ledger.close()
    assert not (tmp_path / "ledger.sqlite.lock").exists()


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (sqlite3.OperationalError("database or disk is full"), "--resume"),
        (sqlite3.OperationalError("disk I/O error"), "--resume"),
        (sqlite3.DatabaseError("file is not a database"), "pick another path"),
    ],
)
def test_the_ledger_error_hint_fits_the_cause(error: sqlite3.Error, says: str) -> None:
    hint = _ledger_hint(error)
    assert says in hint
    if says == "--resume":
        assert "another path" not in hint  # a new ledger would have to be rebuilt


def test_a_ledger_that_fails_to_open_lets_go_of_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"not a database, but long enough to be read as one" * 40)
    for _ in range(2):  # the same error again, not "in use by another migration run"
        with pytest.raises(sqlite3.DatabaseError):
            Ledger(path, ROUTE)
    path.unlink()
    Ledger(path, ROUTE).close()


def test_in_memory_ledgers_take_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first, second = Ledger(":memory:", ROUTE), Ledger(":memory:", ROUTE)  # unrelated runs
    first.close()
    second.close()
    assert list(tmp_path.iterdir()) == []


def test_the_lock_follows_the_file_not_the_path_spelling(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    alias = tmp_path / "alias.sqlite"
    held = Ledger(path, ROUTE)
    alias.symlink_to(path)
    try:
        with pytest.raises(LedgerInUse):
            Ledger(alias, ROUTE)
    finally:
        held.close()


def test_a_discarded_ledger_is_gone_before_another_run_can_take_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path, ROUTE)
    ledger.close(discard=True)
    assert list(tmp_path.iterdir()) == []
