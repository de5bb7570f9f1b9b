"""Verification ended early (Ctrl-C, a store closed) stops its source side: no request
after ``migrate`` has raised, and no write into its closed database.

The source side ran on in its thread: it sent requests after ``migrate`` had raised, then
wrote into the verification's database after it was closed (a ProgrammingError in that
thread, or a segfault inside SQLite).
"""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import _http
from tests.migrate.support import connect, sandbox


class Counted(_http.BaseTransport):
    """The source: slow and counted once verification starts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.slow = False
        self.sent = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if self.slow:
            time.sleep(0.1)
            self.sent += 1
        response: _http.Response = self.inner.handle_request(request)
        return response


class CtrlC(_http.BaseTransport):
    """The target: Ctrl-C on its first read once verification starts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed = False

    def handle_request(self, request: _http.Request) -> _http.Response:
        if self.armed and request.method == "GET":
            raise KeyboardInterrupt
        response: _http.Response = self.inner.handle_request(request)
        return response


def test_ctrl_c_during_verification_stops_its_source_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sandbox("29next", seed=7, orders=60, page_size=5)
    target = sandbox("shopline", empty=True, seed=8)
    slow, ctrl_c = Counted(source.emulator.transport()), CtrlC(target.emulator.transport())

    def progress(event: Any) -> None:
        if event.phase == "verify":
            slow.slow = ctrl_c.armed = True

    # A short wait for the source side: it must stop at its next record by itself, not be
    # left reading once the wait is over.
    monkeypatch.setattr(importlib.import_module("storebridge.migrate.verify"), "_LET_GO", 0.2)
    errors: list[str] = []
    monkeypatch.setattr(
        threading, "excepthook", lambda a: errors.append(f"{a.thread.name}: {a.exc_value!r}")
    )
    src, dst = connect(source, "src", transport=slow), connect(target, "dst", transport=ctrl_c)
    with src, dst:
        with pytest.raises(KeyboardInterrupt):
            storebridge.migrate(src, dst, ledger=tmp_path / "l.sqlite", progress=progress,
                                concurrency=1)  # fmt: skip
        sent = slow.sent
        time.sleep(1.0)
    assert slow.sent == sent, "the source side went on after migrate raised"
    assert errors == []
    names = {thread.name for thread in threading.enumerate()}
    assert "storebridge-verify-source" not in names
