"""Section 4: many stores at once from one process, with the async API.

Every store is its own SHOPLINE sandbox (own port, own bucket, own seed) with the
injected latency and the scaled limit; all are exported concurrently by one event loop.
The bound of one store is its listing's pages at the limit plus one latency; the sum of
the stores' bounds (orders/s) is what the platforms would allow together. The client's
CPU seconds are this process's alone: the sandboxes run in a child process, whose CPU
seconds are reported too (on a small machine a saturated emulator holds the figure down).
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from benchmarks.harness.config import Config, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec

import storebridge
from storebridge_shopline import PAGE_CAPS

__all__ = ["PLATFORM", "export_concurrently", "measure_many_stores"]

PLATFORM = "shopline"


async def export_concurrently(
    stores: list[Mapping[str, Any]], options: storebridge.StoreOptions
) -> list[int]:
    """Every store's orders read at once; the number each store gave."""

    async def one(settings: Mapping[str, Any]) -> int:
        count = 0
        async with storebridge.connect_async(PLATFORM, options=options, **settings) as store:
            async for _ in store.orders.list():
                count += 1
        return count

    return list(await asyncio.gather(*(one(settings) for settings in stores)))


@contextmanager
def collector_seconds() -> Iterator[list[float]]:
    """Seconds Python's cyclic garbage collector ran while the block ran (in ``[0]``): part
    of the client's CPU that grows with how many parsed pages and orders are alive at once."""
    spent = [0.0]
    started: list[float] = []

    def timed(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            spent[0] += time.perf_counter() - started.pop()

    gc.callbacks.append(timed)
    try:
        yield spent
    finally:
        gc.callbacks.remove(timed)


TUNED_THRESHOLD = (50_000, 20, 100)
"""The collector thresholds docs/fleet.md suggests for a process reading many stores."""


@contextmanager
def tuned_collector() -> Iterator[None]:
    """``gc.set_threshold(*TUNED_THRESHOLD)`` for the block, then what it was before."""
    before = gc.get_threshold()
    gc.set_threshold(*TUNED_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def measure_many_stores(config: Config) -> dict[str, Any]:
    limit = config.limit(PLATFORM)
    specs = {
        f"store-{i:02d}": SandboxSpec(
            PLATFORM,
            config.store_orders,
            seed=i + 1,
            latency=config.latency,
            options=emulator_limit(PLATFORM, limit),
        )
        for i in range(config.stores)
    }
    options = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(limit.per_second, limit.burst)
    )
    with SandboxHost(specs) as host:
        stores = [host.served[name].settings for name in specs]
        for name in specs:
            host.take(name)
        server_cpu = host.cpu()
        with collector_seconds() as collected:
            cpu, started = time.process_time(), time.perf_counter()
            counts = asyncio.run(export_concurrently(stores, options))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = host.cpu() - server_cpu
        answers = [host.take(name) for name in specs]
        # The same again with the collector tuned as docs/fleet.md suggests: an
        # application's choice (the library never changes it), measured side by side.
        time.sleep(limit.rest_seconds())
        with tuned_collector():
            tuned_cpu, started = time.process_time(), time.perf_counter()
            tuned_counts = asyncio.run(export_concurrently(stores, options))
            tuned_wall = time.perf_counter() - started
            tuned_cpu = time.process_time() - tuned_cpu
        for name in specs:
            host.take(name)
    if tuned_counts != counts:
        raise RuntimeError(f"many stores, tuned collector: read {tuned_counts}")
    orders = sum(counts)
    if counts != [config.store_orders] * config.stores:
        raise RuntimeError(f"many stores: read {counts}, expected {config.store_orders} each")
    pages = max(1, math.ceil(config.store_orders / PAGE_CAPS["orders"]))
    store_bound_s = pages / limit.per_second + config.latency
    bounds_sum = config.stores * config.store_orders / store_bound_s
    rate = orders / wall
    return {
        "platform": PLATFORM,
        "stores": config.stores,
        "orders_per_store": config.store_orders,
        "wall_s": round(wall, 3),
        "orders_per_s": round(rate, 1),
        "bounds_sum_orders_per_s": round(bounds_sum, 1),
        "rate_over_bounds": round(rate / bounds_sum, 3),
        "client_cpu_s": round(cpu, 3),
        "client_cpu_over_wall": round(cpu / wall, 3),
        "client_cpu_us_per_order": round(cpu / orders * 1e6, 1),
        "client_gc_s": round(collected[0], 3),
        "tuned_gc_wall_s": round(tuned_wall, 3),
        "tuned_gc_orders_per_s": round(orders / tuned_wall, 1),
        "tuned_gc_client_cpu_s": round(tuned_cpu, 3),
        "tuned_gc_client_cpu_over_wall": round(tuned_cpu / tuned_wall, 3),
        "sandbox_cpu_s": round(server_cpu, 3),
        "requests": sum(a.served for a in answers),
        "too_many": sum(a.too_many for a in answers),
    }
