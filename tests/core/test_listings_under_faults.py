"""Every listing on every platform under mixed faults: exactly the records, or an error.

Each built-in platform's sandbox is read through the fault layer (5xx, 429 with and without
Retry-After, resets before and after processing, timeouts, truncated, malformed, HTML and
wrongly shaped bodies, stale pages) at 10% and 30% of requests, with six seeds each, at the
facade's own pace, page by page (1 request in flight) and with the parallel readers (8). A
listing may end in a storebridge error when a fault persists past the retry budget; it may
never end normally with a record missing or doubled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import storebridge
from storebridge import StorebridgeError
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport

PLATFORMS = ("29next", "shopline", "24nettbutikk")
RESOURCES = ("orders", "customers", "products")
SEEDS = range(1, 7)
SIZES = {"orders": 60, "customers": 24, "products": 18}


def _listing(store: storebridge.Store, resource: str) -> Iterator[Any]:
    listing: Iterator[Any] = getattr(store, resource).list(page_size=7)
    return listing


def _read(
    platform: str, resource: str, rate: float, seed: int, in_flight: int | None = None
) -> tuple[list[str] | None, Any]:
    clock = FakeClock()
    time = FakeTime(emulator_clock=clock)
    sandbox = adapter_class(platform).sandbox(seed=3, clock=clock, **SIZES)
    faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
    settings = sandbox.settings("https://sandbox.example")
    options = time.options() if in_flight is None else time.options(max_concurrency=in_flight)
    with storebridge.connect(platform, transport=faulty, options=options, **settings) as s:
        try:
            return [item.ref for item in _listing(s, resource)], faulty
        except StorebridgeError:
            return None, faulty


def _truth(platform: str, resource: str) -> list[str]:
    refs, faulty = _read(platform, resource, 0.0, 0)
    assert refs is not None and not faulty.injected
    return refs


@pytest.mark.parametrize("in_flight", [None, 1, 8], ids=["own-pace", "1-in-flight", "8-in-flight"])
@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_listing_is_exact_or_an_error_under_faults(
    platform: str, resource: str, in_flight: int | None
) -> None:
    # One request in flight reads page by page; with 8 the parallel readers run: SHOPLINE's
    # windows, 24Nettbutikk's pages read ahead, 29 Next's planning and day windows.
    truth = _truth(platform, resource)
    assert len(truth) == len(set(truth)) == SIZES[resource]
    outcomes: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    for rate in (0.1, 0.3):
        for seed in SEEDS:
            refs, faulty = _read(platform, resource, rate, seed, in_flight)
            injected.update(faulty.injected)
            if refs is None:
                outcomes[f"error@{rate}"] += 1
                continue
            assert Counter(refs) == Counter(truth), (
                f"{platform} {resource} at {rate:.0%} faults, seed {seed}: "
                f"missing {sorted(set(truth) - set(refs))}, "
                f"doubled {sorted(r for r, n in Counter(refs).items() if n > 1)} "
                f"(faults: {dict(faulty.injected)})"
            )
            outcomes[f"exact@{rate}"] += 1
    assert sum(injected.values()) > 0
    # Retries absorb almost everything at 10%: a suite where every run errors proves nothing.
    assert outcomes["exact@0.1"] >= 4, outcomes
