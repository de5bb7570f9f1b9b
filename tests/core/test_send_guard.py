"""A client that stalls (a long garbage collection, a busy interpreter) wakes its waiting
requests late: what actually leaves must still keep to the platform's limit.

Requests are driven through the real per-request policy (``_policy.attempts``) by a small
discrete-event loop: every wake-up that falls inside a stall happens when the stall ends,
and a server bucket enforcing the platform's declared limit judges the moments requests
arrive.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections.abc import Generator
from typing import Any

import pytest

from storebridge import RateLimit, StoreOptions
from storebridge._policy import Policy, Sleep, Transmit, attempts
from storebridge._ratelimit import TokenBucket, client_limit
from storebridge._redact import Redactor
from storebridge.http import Request, Response
from storebridge.sandbox import FakeClock
from tests.support.toy import ToyAdapter

DECLARED = RateLimit(per_second=20, burst=2)  # 24Nettbutikk's shape at x10


def _arrivals(
    declared: RateLimit, requests: int, stalls: list[tuple[float, float]], seed: int
) -> list[float]:
    """When each of ``requests`` reads, all started at once, reaches the server."""
    clock = FakeClock(0)
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 12)
    # Buckets are shared per credential and clock: this fake clock gives the test its own.
    policy = Policy(adapter, StoreOptions(rate_limit=declared, clock=clock), Redactor())
    rng = random.Random(seed)
    flows: dict[int, Generator[Sleep | Transmit, Any, Response]] = {}
    due: list[tuple[float, int, int]] = []
    order = itertools.count()
    for n in range(requests):
        flows[n] = attempts(policy, Request("GET", f"https://toy.example/rows/{n}"))
        heapq.heappush(due, (0.0, next(order), n))
    arrived: list[float] = []
    while due:
        at, _, n = heapq.heappop(due)
        for start, end in stalls:  # a wake-up inside a stall happens when it ends
            if start < at < end:
                at = end
        clock.advance(max(0.0, at - clock()))
        step = flows[n].send(None)
        if isinstance(step, Sleep):
            heapq.heappush(due, (clock() + step.seconds, next(order), n))
            continue
        assert isinstance(step, Transmit)
        arrived.append(clock() + rng.uniform(0.25, 0.27))  # latency with a little jitter
        with pytest.raises(StopIteration):
            flows[n].send(Response(200, json={}, request=step.request))
    return sorted(arrived)


def _refused(declared: RateLimit, arrivals: list[float]) -> int:
    clock = FakeClock(0)
    server = TokenBucket(declared, clock)
    refused = 0
    for at in arrivals:
        clock.advance(at - clock())
        refused += server.try_take() is not None
    return refused


def _scheduled_only(declared: RateLimit, requests: int, stalls: list[tuple[float, float]]) -> int:
    """Refusals when each request leaves at its scheduled turn, or when a stall ends."""
    clock = FakeClock(0)
    schedule = TokenBucket(client_limit(declared), clock)
    leaves = []
    for _ in range(requests):
        at = schedule.reserve()
        for start, end in stalls:
            if start < at < end:
                at = end
        leaves.append(at + 0.26)
    return _refused(declared, sorted(leaves))


STALLS = [(0.50, 0.80), (1.30, 1.45), (2.0, 2.6)]


def test_requests_woken_late_by_a_stall_leave_one_by_one() -> None:
    # Control: the turns alone, kept by requests that wake when a stall ends, go out in a
    # clump the platform's small burst refuses.
    assert _scheduled_only(DECLARED, 80, STALLS) > 0
    arrivals = _arrivals(DECLARED, 80, STALLS, seed=1)
    assert len(arrivals) == 80
    assert _refused(DECLARED, arrivals) == 0


@pytest.mark.parametrize("seed", range(4))
def test_random_stalls_never_make_the_platform_refuse(seed: int) -> None:
    rng = random.Random(seed)
    stalls = []
    at = 0.0
    for _ in range(6):
        at += rng.uniform(0.05, 0.6)
        length = rng.uniform(0.05, 0.5)
        stalls.append((at, at + length))
        at += length
    arrivals = _arrivals(DECLARED, 70, stalls, seed)
    assert len(arrivals) == 70
    assert _refused(DECLARED, arrivals) == 0


def test_requests_on_time_are_not_held_back() -> None:
    # Without stalls the guard adds no wait: the last request leaves at its scheduled turn.
    arrivals = _arrivals(DECLARED, 40, [], seed=3)
    kept = client_limit(DECLARED)
    last_turn = (40 - kept.burst) / kept.per_second
    assert arrivals[-1] <= last_turn + 0.27 + 1e-9


def test_a_clock_that_sleeping_does_not_move_never_hangs_a_request() -> None:
    # A test harness may freeze time and make sleeping a no-op: requests then go out
    # without their waits, as they always did, instead of waiting for the guard forever.
    sent: list[str] = []

    def run() -> None:
        options = StoreOptions(rate_limit=RateLimit(per_second=1, burst=1),
                               clock=lambda: 0.0, sleep=lambda _seconds: None)  # fmt: skip
        adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 12)
        policy = Policy(adapter, options, Redactor())
        for n in range(5):
            flow = attempts(policy, Request("GET", f"https://toy.example/rows/{n}"))
            step = flow.send(None)
            while isinstance(step, Sleep):
                step = flow.send(None)
            assert isinstance(step, Transmit)
            with pytest.raises(StopIteration):
                flow.send(Response(200, json={}, request=step.request))
            sent.append(str(step.request.url))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "a request waited for the guard forever"
    assert len(sent) == 5
