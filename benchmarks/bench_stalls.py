"""429s a client provokes when it stalls: with the send guard, and without it.

A process that reads stores stalls now and then: a long garbage collection, a C call that
holds the interpreter lock. Its requests waiting for their turn wake late, together. The
facade checks each request again as it leaves (``storebridge._ratelimit.send_limit``);
this benchmark shows what that check is worth. A 24Nettbutikk sandbox (the smallest burst
of the three platforms: 2) is served on loopback by a child process with ``--latency``
seconds on every answer and its documented limit scaled x``--scale``; the client exports
every order (joins off) while a thread of its own holds the interpreter lock for about
``--stall-ms`` every ``--every`` seconds. Each round runs the export four times, alternately:
with the sync and the async API, each as shipped and with the check taken out (the guard
replaced by one that always admits).
Printed: seconds, requests and 429s of each run, and the totals per variant. No figure is
asserted anywhere; stalls depend on the machine.

    .venv/bin/python benchmarks/bench_stalls.py                 # 5,000 orders, 3 rounds
    .venv/bin/python benchmarks/bench_stalls.py --rounds 5 --json stalls.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness.config import DOCUMENTED, Case, Limit, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec, Served
from benchmarks.harness.readers import connect_settings, storebridge_export

import storebridge
from storebridge import _policy
from storebridge._concurrency import forget_pacers

PLATFORM = "24nettbutikk"
ENGINES = ("sync", "async")
VARIANTS = ("guarded", "unguarded")


class _Open:
    """A guard that always admits: what going at one's turn, however late, amounts to."""

    def try_go(self, ticket: int | None = None) -> None:
        return None

    def leave(self, ticket: int) -> None:
        return None


def _unguarded() -> Any:
    """Stores built inside take the guard out (the policy looks it up by this name)."""
    return mock.patch.object(_policy, "shared_send_guard", return_value=_Open())


async def _async_export(case: Case, served: Served, limit: Limit) -> int:
    """What ``storebridge_export`` does, with the async API."""
    options = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(limit.per_second, limit.burst)
    )
    settings = connect_settings(case, served, limit)
    refs: set[str] = set()
    async with storebridge.connect_async(case.platform, options=options, **settings) as store:
        async for order in store.orders.list():
            refs.add(order.ref)
    return len(refs)


def _sortable(stall_ms: float) -> list[int]:
    """A shuffled list whose sort takes about ``stall_ms`` here (list.sort holds the lock)."""
    rng = random.Random(1)
    size = 50_000
    while True:
        data = list(range(size))
        rng.shuffle(data)
        started = time.perf_counter()
        sorted(data)
        took = (time.perf_counter() - started) * 1000
        if took >= stall_ms or size >= 20_000_000:
            return data
        size = int(size * max(1.2, stall_ms / max(took, 0.1)))


@contextmanager
def _stalling(data: list[int], every: float) -> Iterator[None]:
    stop = threading.Event()

    def hog() -> None:
        while not stop.wait(every):
            sorted(data)

    thread = threading.Thread(target=hog, name="stall", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def measure(
    orders: int, rounds: int, latency: float, scale: float, stall_ms: float, every: float
) -> dict[str, Any]:
    limit = DOCUMENTED[PLATFORM].scaled(scale)
    case = Case(PLATFORM, orders, joins=False)
    data = _sortable(stall_ms)
    started = time.perf_counter()
    sorted(data)
    stall = time.perf_counter() - started
    spec = SandboxSpec(PLATFORM, orders, latency=latency, options=emulator_limit(PLATFORM, limit))
    runs: list[dict[str, Any]] = []
    with SandboxHost({"shop": spec}) as host:
        served = host.served["shop"]
        for round_ in range(rounds):
            for engine, variant in itertools.product(ENGINES, VARIANTS):
                # Both buckets (the sandbox's and the client's) full again before each run,
                # and no latency learned (nor a cut after 429s) carried over from the last.
                time.sleep(limit.rest_seconds())
                forget_pacers()
                host.take("shop")
                with (
                    _stalling(data, every),
                    _unguarded() if variant == "unguarded" else nullcontext(),
                ):
                    began = time.perf_counter()
                    if engine == "sync":
                        read = storebridge_export(case, served, limit)
                    else:
                        read = asyncio.run(_async_export(case, served, limit))
                    seconds = time.perf_counter() - began
                answers = host.take("shop")
                name = f"{engine} {variant}"
                if read != orders:
                    raise RuntimeError(f"{name}: read {read} of {orders} orders")
                runs.append({"round": round_ + 1, "engine": engine, "variant": variant,
                             "seconds": round(seconds, 3), "requests": answers.served,
                             "too_many": answers.too_many})  # fmt: skip
                print(f"  round {round_ + 1} {name:<15}: {seconds:6.2f} s, {answers.served} "
                      f"requests, {answers.too_many} x 429", flush=True)  # fmt: skip
    totals = {}
    for engine, variant in itertools.product(ENGINES, VARIANTS):
        mine = [r for r in runs if r["engine"] == engine and r["variant"] == variant]
        totals[f"{engine} {variant}"] = {
            "runs": len(mine),
            "too_many": sum(r["too_many"] for r in mine),
            "median_seconds": statistics.median(r["seconds"] for r in mine),
        }
    return {
        "platform": PLATFORM,
        "orders": orders,
        "limit": {"per_second": limit.per_second, "burst": limit.burst},
        "latency": latency,
        "stall_seconds": round(stall, 3),
        "every": every,
        "runs": runs,
        "totals": totals,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--stall-ms", type=float, default=100.0)
    parser.add_argument("--every", type=float, default=0.4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.orders, args.rounds, args.latency, args.scale, args.stall_ms,
                     args.every)  # fmt: skip
    limit = result["limit"]
    print(f"{PLATFORM}, {args.orders} orders, {limit['per_second']:g}/s (burst "
          f"{limit['burst']}), {args.latency * 1000:.0f} ms; a stall of "
          f"{result['stall_seconds'] * 1000:.0f} ms every {args.every:g} s")  # fmt: skip
    for name, total in result["totals"].items():
        print(f"{name:<15}: {total['too_many']} x 429 in {total['runs']} runs, "
              f"median {total['median_seconds']:.2f} s")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
