"""The migration's write pool: at most its limit in flight, errors handed back, and the
checkpoint kept moving while the last writes of a listing finish."""

from __future__ import annotations

import threading
import time

import pytest

from storebridge.migrate.streaming import WritePool


def test_drain_ticks_while_the_last_writes_finish() -> None:
    release = threading.Event()
    ticks: list[float] = []

    def held() -> None:
        release.wait(5)

    pool = WritePool(lambda: 4)
    try:
        for _ in range(3):
            pool.submit(held)
        threading.Timer(0.3, release.set).start()
        pool.drain(lambda: ticks.append(time.monotonic()), every=0.05)
    finally:
        pool.close()
    assert release.is_set()
    assert len(ticks) >= 2  # the checkpoint was saved again while waiting


def test_drain_hands_back_a_write_error_after_every_write_ended() -> None:
    done: list[int] = []

    def slow() -> None:
        time.sleep(0.1)
        done.append(1)

    def fails() -> None:
        raise RuntimeError("boom")

    pool = WritePool(lambda: 2)
    try:
        pool.submit(slow)
        pool.submit(fails)
        with pytest.raises(RuntimeError, match="boom"):
            pool.drain()
    finally:
        pool.close()
    assert done == [1]


def test_no_more_writes_in_flight_than_the_limit() -> None:
    lock = threading.Lock()
    running = [0]
    most = [0]

    def job() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1

    pool = WritePool(lambda: 3)
    try:
        for _ in range(20):
            pool.submit(job)
        pool.drain()
    finally:
        pool.close()
    assert most[0] == 3
