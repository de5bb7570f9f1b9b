"""A handler that outlived its claim (``hold``) ends only its own claim.

A handler still running after ``hold`` lets a re-delivery claim the delivery again (the
documented duplicate). When that first, stale handler then fails, its release used to remove
the second handler's live claim: a third delivery was handled while the second still ran.
Each claim now carries its owner; release only removes the caller's own. Through
``receive``, ``asgi_app``, both seen-stores, two SQLite connections and two processes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from storebridge import _http
from storebridge.model import Change
from storebridge.webhooks import (
    DeliveryInProgress,
    DeliveryState,
    MemorySeenStore,
    SeenStore,
    SQLiteSeenStore,
    asgi_app,
    receive,
    serve,
)
from tests.core.test_webhooks import _adapter, _delivery

HOLD = 0.2
"""The short hold the first handler outlives."""

LONG = 300.0
"""The hold once the second handler took over: its claim must stay live however slow this
machine is, so the third delivery meets a live claim (or, before the fix, none)."""

WAIT = 20.0
"""Longest any step waits for another before the test gives up."""


def _wait(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not ready():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.005)


async def _await(ready: threading.Event) -> None:
    deadline = time.monotonic() + WAIT
    while not ready.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


Store = MemorySeenStore | SQLiteSeenStore


def _pair(kind: str, tmp_path: Path) -> tuple[Store, Store]:
    """The store the first handler claims through, and the one every later delivery uses
    (the same memory store; another connection to the same SQLite file: another worker)."""
    if kind == "memory":
        shared = MemorySeenStore(hold=HOLD)
        return shared, shared
    db = tmp_path / "seen.sqlite"
    return SQLiteSeenStore(db, hold=HOLD), SQLiteSeenStore(db, hold=HOLD)


class Script:
    """What each handling does, in order: the first outlives its claim and then fails, the
    second runs until told to finish, any later one is a handling too many."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.first_started = threading.Event()
        self.second_started = threading.Event()
        self.finish_second = threading.Event()

    def let_go(self) -> None:
        self.second_started.set()
        self.finish_second.set()

    def sync(self, change: Change) -> None:
        self.calls.append(change.event_id or "")
        if len(self.calls) == 1:
            self.first_started.set()
            self.second_started.wait(WAIT)
            raise RuntimeError("database down")
        if len(self.calls) == 2:
            self.second_started.set()
            self.finish_second.wait(WAIT)

    async def coroutine(self, change: Change) -> None:
        self.calls.append(change.event_id or "")
        if len(self.calls) == 1:
            self.first_started.set()
            await _await(self.second_started)
            raise RuntimeError("database down")
        if len(self.calls) == 2:
            self.second_started.set()
            await _await(self.finish_second)


@contextmanager
def _running(target: Callable[[], Any], script: Script) -> Iterator[list[Any]]:
    """``target()`` in a thread; yields the list its result (or exception) lands in. On the
    way out every handler is let go, so a failed assertion does not leave one waiting."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield out
    finally:
        script.let_go()
        thread.join(WAIT)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_receive_a_stale_handlers_failure_leaves_the_newer_claim_alone(
    kind: str, tmp_path: Path
) -> None:
    first_seen, seen = _pair(kind, tmp_path)
    script = Script()
    headers, body = _delivery("e-slow")

    def deliver(store: SeenStore) -> Callable[[], Any]:
        return lambda: receive(_adapter(), headers, body, handle=script.sync, seen=store)

    with _running(deliver(first_seen), script) as first:
        assert script.first_started.wait(WAIT)
        time.sleep(HOLD + 0.1)  # the first handler outlives its claim
        with _running(deliver(seen), script) as second:
            assert script.second_started.wait(WAIT)
            _wait(lambda: bool(first), "the first handler to fail")
            assert isinstance(first[0], RuntimeError)  # ... and released its claim
            seen.hold = LONG
            # The second handler still runs: a third delivery is retried, not handled.
            with pytest.raises(DeliveryInProgress):
                deliver(seen)()
            script.finish_second.set()
        assert isinstance(second[0], Change)
    assert deliver(seen)() is None  # handled once the second finished: a duplicate
    assert len(script.calls) == 2


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_asgi_app_a_stale_handlers_failure_leaves_the_newer_claim_alone(
    kind: str, tmp_path: Path
) -> None:
    """Two apps (workers) for SQLite, sharing the file; one for the memory store."""
    first_seen, seen = _pair(kind, tmp_path)
    script = Script()
    headers, body = _delivery("e-slow")
    stores = {"acme": _adapter()}
    with (
        serve(asgi_app(script.coroutine, stores, seen=first_seen)) as first_worker,
        serve(asgi_app(script.coroutine, stores, seen=seen)) as worker,
        _http.Client(timeout=WAIT * 2) as client,
    ):

        def post(url: str) -> Callable[[], _http.Response]:
            return lambda: client.post(f"{url}/acme", headers=headers, content=body)

        with _running(post(first_worker), script) as first:
            assert script.first_started.wait(WAIT)
            time.sleep(HOLD + 0.1)  # the first handler outlives its claim
            with _running(post(worker), script) as second:
                assert script.second_started.wait(WAIT)
                _wait(lambda: bool(first), "the first handler to fail")
                assert first[0].status_code == 500
                seen.hold = LONG
                third = post(worker)()
                # The second handler still runs: retried (503), not handled a third time.
                assert third.status_code == 503, (third.status_code, script.calls)
                script.finish_second.set()
            assert second[0].status_code == 200 and second[0].json()["status"] == "accepted"
        assert post(worker)().json() == {"status": "duplicate"}
    assert len(script.calls) == 2


STALE_PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from storebridge import webhooks
    from tests.core.test_webhooks import _adapter, _delivery

    db, marks, hold = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])

    def handle(change):
        (marks / "started").touch()
        deadline = time.monotonic() + 60
        while not (marks / "fail").exists():  # outlive the claim until told to fail
            if time.monotonic() > deadline:
                sys.exit(3)
            time.sleep(0.005)
        raise RuntimeError("database down")

    headers, body = _delivery("e-slow")
    try:
        webhooks.receive(_adapter(), headers, body, handle=handle,
                         seen=webhooks.SQLiteSeenStore(db, hold=hold))
    except RuntimeError:
        sys.exit(0)  # failed and released its claim
    sys.exit(1)
    """
)


def test_sqlite_a_stale_process_does_not_delete_another_processs_claim(tmp_path: Path) -> None:
    db, marks = tmp_path / "seen.sqlite", tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    stale = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", STALE_PROCESS, str(db), str(marks), str(HOLD)], env=env
    )
    try:
        _wait(lambda: (marks / "started").exists() or stale.poll() is not None, "the process")
        assert stale.poll() is None
        time.sleep(HOLD + 0.1)  # the other process's handler outlives its claim
        seen = SQLiteSeenStore(db, hold=HOLD)
        script = Script()
        script.first_started.set()
        script.calls.append("the other process")
        headers, body = _delivery("e-slow")

        def deliver() -> Any:
            return receive(_adapter(), headers, body, handle=script.sync, seen=seen)

        with _running(deliver, script) as second:
            assert script.second_started.wait(WAIT)
            (marks / "fail").touch()
            assert stale.wait(WAIT * 3) == 0  # it failed and released (only) its own claim
            seen.hold = LONG
            with pytest.raises(DeliveryInProgress):
                deliver()
            script.finish_second.set()
        assert isinstance(second[0], Change)
        assert deliver() is None
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.wait()
    assert len(script.calls) == 2


# The stores themselves ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_release_ends_only_the_callers_claim_and_done_always_stands(
    kind: str, tmp_path: Path
) -> None:
    stale, seen = _pair(kind, tmp_path)
    assert stale.claim("k", owner="first") is DeliveryState.NEW
    time.sleep(HOLD + 0.1)
    assert seen.claim("k", owner="second") is DeliveryState.NEW  # took the expired claim
    seen.hold = LONG
    stale.release("k", owner="first")
    stale.release("k")  # nor does a release naming no owner end an owned claim
    assert seen.claim("k", owner="third") is DeliveryState.IN_PROGRESS
    seen.release("k", owner="second")
    assert seen.claim("k", owner="third") is DeliveryState.NEW
    # A handler that finished handled the delivery, whoever holds the claim now: it stands,
    # and the live claim's failure cannot reopen it.
    stale.done("k")
    seen.release("k", owner="third")
    assert seen.claim("k", owner="fourth") is DeliveryState.DONE
    # Claims taken without an owner end as before.
    assert seen.claim("plain") is DeliveryState.NEW
    seen.release("plain")
    assert seen.claim("plain") is DeliveryState.NEW


def test_a_seen_file_written_before_owners_is_read_and_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "seen.sqlite"
    old = sqlite3.connect(db)
    old.execute(
        "CREATE TABLE deliveries (key TEXT PRIMARY KEY, claimed REAL, "
        "done INTEGER NOT NULL DEFAULT 0)"
    )
    old.execute("INSERT INTO deliveries VALUES ('finished', ?, 1)", (time.time(),))
    old.execute("INSERT INTO deliveries VALUES ('running', ?, 0)", (time.time(),))
    old.commit()
    old.close()
    seen, other = SQLiteSeenStore(db), SQLiteSeenStore(db)
    assert seen.claim("finished", owner="a") is DeliveryState.DONE
    assert other.claim("running", owner="a") is DeliveryState.IN_PROGRESS
    seen.release("running", owner="a")  # not its claim (an older version's)
    assert other.claim("running", owner="a") is DeliveryState.IN_PROGRESS
    seen.release("running")  # the older version's own release still ends it
    assert other.claim("running", owner="a") is DeliveryState.NEW


class OwnerlessStore:
    """A seen-store written before claims had owners."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.inner = MemorySeenStore()

    def claim(self, key: str) -> DeliveryState:
        self.calls.append(("claim", key))
        return self.inner.claim(key)

    def done(self, key: str) -> None:
        self.calls.append(("done", key))
        self.inner.done(key)

    def release(self, key: str) -> None:
        self.calls.append(("release", key))
        self.inner.release(key)


class HalfOwned(OwnerlessStore):
    """Takes an owner on claim but not on release: cannot end only its own claim."""

    def claim(self, key: str, owner: str | None = None, **extra: Any) -> DeliveryState:
        assert owner is None, "an owner the store could not use on release"
        return super().claim(key)


@pytest.mark.parametrize("store_class", [OwnerlessStore, HalfOwned])
def test_a_store_without_owners_is_still_served_and_warned_about(
    store_class: type[OwnerlessStore], caplog: pytest.LogCaptureFixture
) -> None:
    legacy = store_class()
    assert isinstance(legacy, SeenStore)
    headers, body = _delivery("e-legacy")
    handled: list[Change] = []

    def boom(change: Change) -> None:
        raise RuntimeError("database down")

    with caplog.at_level(logging.WARNING, logger="storebridge.webhooks"):
        with pytest.raises(RuntimeError):
            receive(_adapter(), headers, body, handle=boom, seen=legacy)
        assert receive(_adapter(), headers, body, handle=handled.append, seen=legacy)
        assert receive(_adapter(), headers, body, handle=handled.append, seen=legacy) is None
    assert len(handled) == 1
    # Called with the old signatures, release included (its limit is documented).
    assert [name for name, _ in legacy.calls] == ["claim", "release", "claim", "done", "claim"]
    warned = [r for r in caplog.records if "owner" in r.getMessage()]
    assert len(warned) == 1 and store_class.__name__ in warned[0].getMessage()


def test_the_claim_answer_is_still_truthy_only_when_new() -> None:
    seen = MemorySeenStore()
    assert seen.claim("k", owner="a") and not seen.claim("k", owner="b")
    seen.done("k")
    assert not seen.claim("k", owner="c")
