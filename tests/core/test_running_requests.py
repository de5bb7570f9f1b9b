"""``Running``: what waits for an engine's last request (the client's close) waits for one
being handed to a thread too, so a close on another thread never closes the client under
a request just started."""

from __future__ import annotations

from concurrent.futures import Future

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
