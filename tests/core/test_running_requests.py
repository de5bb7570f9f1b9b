"""``Running``: what waits for an engine's last request (the client's close) waits for one
being handed to a thread too, so a close on another thread never closes the client under
a request just started."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from storebridge._inflight import Running


def test_a_close_while_a_request_is_handed_over_waits_for_it() -> None:
    running = Running()
    closed: list[str] = []
    future: Future[None] = Future()

    def submit() -> Future[None]:
        # Another thread closes the store between the hand-over and its counting.
        running.then(lambda: closed.append("client"))
        assert closed == []
        return future

    assert running.start(submit) is future
    assert closed == []
    future.set_result(None)
    assert closed == ["client"]


def test_nothing_running_closes_at_once_and_only_once() -> None:
    running = Running()
    closed: list[str] = []
    done: Future[None] = Future()
    done.set_result(None)
    running.start(lambda: done)  # ended before it was counted
    running.then(lambda: closed.append("client"))
    assert closed == ["client"]


def test_a_hand_over_that_fails_does_not_hold_the_close_back() -> None:
    running = Running()
    closed: list[str] = []

    def refused() -> Future[None]:
        running.then(lambda: closed.append("client"))
        raise RuntimeError("cannot schedule new futures after shutdown")

    with pytest.raises(RuntimeError, match="shutdown"):
        running.start(refused)
    assert closed == ["client"]


def test_a_request_cancelled_by_a_finalizer_inside_the_counting_does_not_hang() -> None:
    """The garbage collector may run a let-go listing's finalizer on a thread that is
    counting a request it just started (on Python 3.12+ even between two bytecodes under
    the lock). The finalizer cancels the listing's queued requests, whose ends are counted
    under the same lock, on the same thread."""
    running = Running()
    queued: Future[None] = Future()
    running.start(lambda: queued)

    class Finalizing(set[Future[Any]]):
        def add(self, item: Future[Any]) -> None:
            queued.cancel()  # what the finalizer does here: _settle runs at once
            super().add(item)

    running._futures = Finalizing(running._futures)
    started: Future[None] = Future()
    outcome: list[Future[None]] = []
    thread = threading.Thread(target=lambda: outcome.append(running.start(lambda: started)))
    thread.daemon = True
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the counting waited for its own thread"
    assert outcome == [started]
    closed: list[str] = []
    running.then(lambda: closed.append("client"))
    assert closed == []  # `started` still runs
    started.set_result(None)
    assert closed == ["client"]
