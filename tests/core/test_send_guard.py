"""A client that stalls (a long garbage collection, a busy interpreter) wakes its waiting
requests late: what actually leaves must still keep to the platform's limit.

Requests are driven through the real per-request policy (``_policy.attempts``) by a small
discrete-event loop: every wake-up that falls inside a stall happens when the stall ends,
and a server bucket enforcing the platform's declared limit judges the moments requests
arrive.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import threading
from collections.abc import Generator
from typing import Any

import pytest

from storebridge import AsyncStore, RateLimit, StoreOptions
from storebridge._policy import Policy, Sleep, Transmit, attempts
from storebridge._ratelimit import SendGuard, TokenBucket, client_limit, shared_send_guard
from storebridge._redact import Redactor
from storebridge.flow import Flow, build_request
from storebridge.http import MockTransport, Request, Response
from storebridge.sandbox import FakeClock
from tests.support.toy import ToyAdapter

DECLARED = RateLimit(per_second=20, burst=2)  # 24Nettbutikk's shape at x10
SHAPES = [
    # (the platform's limit, how much the latency of one request varies)
    (DECLARED, 0.02),
    (RateLimit(per_second=4, burst=1), 0.005),  # no burst: the margin is in the rate
    (RateLimit(per_second=40, burst=4), 0.01),
]


def _arrivals(
    declared: RateLimit,
    requests: int,
    stalls: list[tuple[float, float]],
    seed: int,
    jitter: float = 0.02,
    waits: list[int] | None = None,
) -> list[float]:
    """When each of ``requests`` reads, all started at once, reaches the server; ``waits``
    gets how many times each of them slept."""
    clock = FakeClock(0)
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 12)
    # Buckets are shared per credential and clock: this fake clock gives the test its own.
    options = StoreOptions(rate_limit=declared, clock=clock, rng=random.Random(seed))
    policy = Policy(adapter, options, Redactor())
    rng = random.Random(seed)
    flows: dict[int, Generator[Sleep | Transmit, Any, Response]] = {}
    due: list[tuple[float, int, int]] = []
    order = itertools.count()
    for n in range(requests):
        flows[n] = attempts(policy, Request("GET", f"https://toy.example/rows/{n}"))
        heapq.heappush(due, (0.0, next(order), n))
    arrived: list[float] = []
    slept = dict.fromkeys(flows, 0)
    while due:
        at, _, n = heapq.heappop(due)
        for start, end in stalls:  # a wake-up inside a stall happens when it ends
            if start < at < end:
                at = end
        clock.advance(max(0.0, at - clock()))
        step = flows[n].send(None)
        if isinstance(step, Sleep):
            slept[n] += 1
            heapq.heappush(due, (clock() + step.seconds, next(order), n))
            continue
        assert isinstance(step, Transmit)
        if waits is not None:
            waits.append(slept[n])
        arrived.append(clock() + 0.25 + rng.uniform(0, jitter))  # latency, a little jitter
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


@pytest.mark.parametrize(("declared", "jitter"), SHAPES)
def test_requests_woken_late_by_a_stall_leave_one_by_one(
    declared: RateLimit, jitter: float
) -> None:
    # Control: the turns alone, kept by requests that wake when a stall ends, go out in a
    # clump the platform's small burst refuses.
    assert _scheduled_only(declared, 80, STALLS) > 0
    arrivals = _arrivals(declared, 80, STALLS, seed=1, jitter=jitter)
    assert len(arrivals) == 80
    assert _refused(declared, arrivals) == 0


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("declared", "jitter"), SHAPES)
def test_random_stalls_never_make_the_platform_refuse(
    declared: RateLimit, jitter: float, seed: int
) -> None:
    rng = random.Random(seed)
    stalls = []
    at = 0.0
    for _ in range(6):
        at += rng.uniform(0.05, 0.6)
        length = rng.uniform(0.05, 0.5)
        stalls.append((at, at + length))
        at += length
    waits: list[int] = []
    arrivals = _arrivals(declared, 70, stalls, seed, jitter, waits)
    assert len(arrivals) == 70
    assert _refused(declared, arrivals) == 0
    # Late requests wait in line: none is overtaken again and again by requests on time
    # (its turn's wait, then a few checks of the guard).
    assert max(waits) <= 6


@pytest.mark.parametrize(("declared", "jitter"), SHAPES)
def test_requests_on_time_are_not_held_back(declared: RateLimit, jitter: float) -> None:
    # Without stalls the guard adds no wait: the last request leaves at its scheduled turn.
    arrivals = _arrivals(declared, 40, [], seed=3, jitter=jitter)
    kept = client_limit(declared)
    last_turn = (40 - kept.burst) / kept.per_second
    assert arrivals[-1] <= last_turn + 0.25 + jitter + 1e-9


def test_a_clock_that_sleeping_does_not_move_never_hangs_a_request() -> None:
    # A test harness may freeze time and make sleeping a no-op: requests then go out after
    # GUARD_CHECKS waits that cannot help, instead of waiting for the guard forever.
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


def test_the_guard_lets_requests_go_in_the_order_they_first_asked() -> None:
    clock = FakeClock(0)
    guard = SendGuard(RateLimit(per_second=10, burst=1), clock)
    assert guard.try_go() is None  # a token, nobody in line: at once
    first = guard.try_go()
    second = guard.try_go()
    assert first is not None and second is not None
    assert first[0] == pytest.approx(0.1) and second[0] == pytest.approx(0.2)
    clock.advance(0.1)
    # A token is there, but the first in line has not come back for it: nobody overtakes.
    assert guard.try_go(second[1]) is not None
    assert guard.try_go() is not None
    assert guard.try_go(first[1]) is None
    clock.advance(0.1)
    assert guard.try_go(second[1]) is None


def test_a_request_that_stops_waiting_leaves_the_line() -> None:
    clock = FakeClock(0)
    guard = SendGuard(RateLimit(per_second=10, burst=1), clock)
    assert guard.try_go() is None
    gone, kept = guard.try_go(), guard.try_go()
    assert gone is not None and kept is not None
    guard.leave(gone[1])
    clock.advance(0.1)
    assert guard.try_go(kept[1]) is None  # first in line now


def test_a_request_that_gives_up_waiting_leaves_the_line() -> None:
    # A listing abandoned while one of its requests waits for the guard (the generator is
    # closed at its Sleep) must not hold the line for the requests behind it.
    clock = FakeClock(0)
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 12)
    options = StoreOptions(rate_limit=RateLimit(per_second=10, burst=2), clock=clock)
    policy = Policy(adapter, options, Redactor())
    assert policy.send_guard.try_go() is None  # the guard's one token (burst 2 - 1) is used
    flow = attempts(policy, Request("GET", "https://toy.example/rows/1"))
    step = flow.send(None)
    assert isinstance(step, Sleep)  # in line
    flow.close()
    clock.advance(0.1)
    assert policy.send_guard.try_go() is None


def test_a_cancelled_request_gives_up_its_place_in_line_at_once() -> None:
    # An abandoned listing's request waiting in the guard's line must not hold the line
    # until the garbage collector gets to it.
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="c" * 12)
    limit = RateLimit(per_second=1, burst=2)
    guard = shared_send_guard(adapter.credential_key, limit)

    async def main() -> int:
        transport = MockTransport(lambda request: Response(200, json={"n": 1}))
        options = StoreOptions(rate_limit=limit)
        async with AsyncStore(adapter, options=options, transport=transport) as store:
            while (answer := guard.try_go()) is None:  # its tokens used: the next one waits
                pass
            guard.leave(answer[1])
            flow = build_request("GET", "https://toy.example/rows/1", operation="rows")

            async def go() -> Response:
                return await store.run(_one(flow))

            task = asyncio.create_task(go())
            for _ in range(100):
                await asyncio.sleep(0.01)
                if guard.waiting:
                    break
            assert guard.waiting == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return guard.waiting

    assert asyncio.run(main()) == 0


def _one(request: Request) -> Flow[Response]:
    response: Response = yield request
    return response
