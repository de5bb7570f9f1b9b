"""Stores of one credential keep together to the strictest limit any of them was given.

The platform counts a credential's requests together. Two profiles of one store with
different ``rate_limit`` s (one left at the documented limit, one raised by mistake) each
paced to their own bucket, and together went over: the platform answered 429s.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Generator
from typing import Any

import pytest

from storebridge import RateLimit, StoreOptions
from storebridge._policy import Policy, Sleep, Transmit, attempts
from storebridge._ratelimit import TokenBucket, client_limit, shared_bucket
from storebridge._redact import Redactor
from storebridge.http import Request, Response
from storebridge.sandbox import FakeClock
from tests.support.toy import ToyAdapter

PLATFORM = RateLimit(per_second=4, burst=2)
LOOSE = RateLimit(per_second=40, burst=8)


def _arrivals(limits: list[RateLimit], requests: int, seed: int) -> list[float]:
    """When the requests of stores of one credential, one per limit in ``limits``, all
    started at once, reach the platform."""
    clock = FakeClock(0)
    adapter = ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 12)
    policies = [
        Policy(adapter, StoreOptions(rate_limit=limit, clock=clock, rng=random.Random(seed)),
               Redactor())
        for limit in limits
    ]  # fmt: skip
    flows: dict[int, Generator[Sleep | Transmit, Any, Response]] = {}
    due: list[tuple[float, int, int]] = []
    order = itertools.count()
    for n in range(requests):
        policy = policies[n % len(policies)]
        flows[n] = attempts(policy, Request("GET", f"https://toy.example/rows/{n}"))
        heapq.heappush(due, (0.0, next(order), n))
    arrived = []
    while due:
        at, _, n = heapq.heappop(due)
        clock.advance(max(0.0, at - clock()))
        step = flows[n].send(None)
        if isinstance(step, Sleep):
            heapq.heappush(due, (clock() + step.seconds, next(order), n))
            continue
        assert isinstance(step, Transmit)
        arrived.append(clock() + 0.25)
        with pytest.raises(StopIteration):
            flows[n].send(Response(200, json={}, request=step.request))
    return sorted(arrived)


def _refused(arrivals: list[float]) -> int:
    clock = FakeClock(0)
    server = TokenBucket(PLATFORM, clock)
    refused = 0
    for at in arrivals:
        clock.advance(at - clock())
        refused += server.try_take() is not None
    return refused


@pytest.mark.parametrize("limits", [[PLATFORM, LOOSE], [LOOSE, PLATFORM]])
@pytest.mark.parametrize("seed", [1, 2])
def test_two_stores_of_one_credential_never_go_over_together(
    limits: list[RateLimit], seed: int
) -> None:
    assert _refused(_arrivals(limits, 60, seed)) == 0


def test_one_store_at_the_loose_limit_alone_would_go_over() -> None:
    # What the test above guards against: the loose limit is over the platform's.
    assert _refused(_arrivals([LOOSE], 60, 1)) > 0


def test_the_shared_bucket_keeps_to_the_strictest_limit_given() -> None:
    clock = FakeClock(0)
    first = shared_bucket("toy:one-credential", LOOSE, clock)
    second = shared_bucket("toy:one-credential", PLATFORM, clock)
    third = shared_bucket("toy:one-credential", LOOSE, clock)
    assert first is second is third
    assert first.limit == client_limit(PLATFORM)
