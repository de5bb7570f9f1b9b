"""Section 1: export per platform, storebridge against a naive loop, dlt and the bound.

Every case runs against a sandbox on 127.0.0.1 with the injected latency and the scaled
limit on both sides (the emulator enforces it, the client is given it). Before each run
the benchmark waits for the buckets to be full again, so no run pays for the previous one.

Each reader runs in an interpreter of its own, started once for the section and warmed
with the imports it needs: the three are measured as a user's process would run them, and
none pays for what another left in memory. (Run in the benchmark's own process, the
storebridge reader paid for dlt: importing it adds about 60,000 objects that Python's
garbage collector walks on every full collection, which cost a SHOPLINE export at x10
about a tenth of its time.)

The bound is what the platform allows: the requests the listing minimally needs (what the
naive loop, which asks for the largest page and fetches each lookup once, had answered) at
the rate limit, plus one latency for the last answer. It ignores the burst, so a short
listing that fits in the bucket can beat it (a ratio above 1).
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

import attrs
from benchmarks.harness.config import Case, Config, Limit, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec, Served
from benchmarks.harness.readers import dlt_export, naive_export, storebridge_export

__all__ = ["READERS", "measure_exports", "reader_processes", "sandbox_key", "timed_export"]

Say = Callable[[str], None]


def _ratio(part: float, whole: float) -> float:
    """``part / whole`` to three significant figures (tiny toy-sized ratios stay above 0)."""
    return float(f"{part / whole:.3g}")


def sandbox_key(case: Case) -> str:
    """Cases of one platform and size share a sandbox (24Nettbutikk with and without joins)."""
    return f"{case.platform}-{case.orders}"


READERS = ("naive", "dlt", "storebridge")
"""In the order they run: the naive loop first, its answered requests are the minimum."""


def _warm(reader: str, platforms: tuple[str, ...]) -> None:
    """Import what ``reader`` uses, so its first timed run does not pay for it."""
    if reader == "dlt":
        import dlt.sources.helpers.rest_client.client  # noqa: F401
    elif reader == "storebridge":
        from storebridge.registry import adapter_class

        for platform in platforms:
            adapter_class(platform)


def timed_export(reader: str, case: Case, served: Served, limit: Limit) -> tuple[int, float]:
    """One export by ``reader``: the orders it read and the seconds it took."""
    started = time.perf_counter()
    if reader == "naive":
        count = naive_export(case, served)
    elif reader == "dlt":
        count = dlt_export(case, served)
    else:
        count = storebridge_export(case, served, limit)
    return count, time.perf_counter() - started


@contextmanager
def reader_processes(platforms: tuple[str, ...]) -> Iterator[dict[str, ProcessPoolExecutor]]:
    """One fresh interpreter per reader, warmed, for the whole section."""
    spawn = multiprocessing.get_context("spawn")
    with ExitStack() as stack:
        pools = {
            reader: stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
            for reader in READERS
        }
        for reader, pool in pools.items():
            pool.submit(_warm, reader, platforms).result()
        yield pools


Baseline = dict[str, tuple[list[float], list[int], int]]
"""The naive loop's and dlt's runs of a case: (seconds, requests answered, 429s) each."""


def measure_exports(config: Config, say: Say) -> list[dict[str, Any]]:
    specs = {
        sandbox_key(case): SandboxSpec(
            case.platform,
            case.orders,
            latency=config.latency,
            options=emulator_limit(case.platform, config.limit(case.platform)),
        )
        for case in config.cases
    }
    say(f"seeding {len(specs)} sandboxes ({', '.join(specs)}) in a child process")
    platforms = tuple(sorted({case.platform for case in config.cases}))
    baselines: dict[Case, Baseline] = {}
    with SandboxHost(specs) as host, reader_processes(platforms) as pools:
        return [_measure_case(case, host, pools, config, say, baselines) for case in config.cases]


def _baseline_key(case: Case) -> Case:
    """Cases that differ only in a storebridge setting share the naive loop's and dlt's
    runs: those readers send the same requests whatever the setting."""
    return attrs.evolve(case, day_windows=False)


def _measure_case(
    case: Case,
    host: SandboxHost,
    pools: dict[str, ProcessPoolExecutor],
    config: Config,
    say: Say,
    baselines: dict[Case, Baseline],
) -> dict[str, Any]:
    key = sandbox_key(case)
    served = host.served[key]
    limit = config.limit(case.platform)
    repeats = {
        "naive": config.baseline_repeat,
        "dlt": config.baseline_repeat,
        "storebridge": config.repeat,
    }
    seconds: dict[str, list[float]] = {}
    served_requests: dict[str, list[int]] = {}
    too_many: dict[str, int] = {}
    shared = baselines.get(_baseline_key(case))
    for reader in READERS:
        if shared is not None and reader in shared:
            seconds[reader], served_requests[reader], too_many[reader] = shared[reader]
            say(f"  {case.name:<33} {reader:<11} as for {_baseline_key(case).name}")
            continue
        repeat = repeats[reader]
        for attempt in range(repeat):
            # Both buckets (the emulator's and the client's) full again before each run.
            time.sleep(limit.rest_seconds())
            host.take(key)
            count, elapsed = (
                pools[reader].submit(timed_export, reader, case, served, limit).result()
            )
            answers = host.take(key)
            if count != case.orders:
                raise RuntimeError(f"{case.name}: {reader} read {count} of {case.orders} orders")
            if answers.errors:
                raise RuntimeError(f"{case.name}: {reader} was refused {answers.errors} times")
            seconds.setdefault(reader, []).append(elapsed)
            served_requests.setdefault(reader, []).append(answers.served)
            too_many[reader] = too_many.get(reader, 0) + answers.too_many
            say(
                f"  {case.name:<33} {reader:<11} run {attempt + 1}/{repeat}: {elapsed:7.2f} s, "
                f"{answers.served} requests, {answers.too_many} x 429"
            )
    baselines.setdefault(
        _baseline_key(case),
        {r: (seconds[r], served_requests[r], too_many[r]) for r in READERS if r != "storebridge"},
    )
    needed = min(served_requests["naive"])
    bound = needed / limit.per_second + config.latency
    median = {reader: statistics.median(times) for reader, times in seconds.items()}
    sb = median["storebridge"]
    return {
        "case": case.name,
        "platform": case.platform,
        "orders": case.orders,
        "limit_per_second": limit.per_second,
        "burst": limit.burst,
        "requests_needed": needed,
        "bound_s": round(bound, 3),
        "storebridge_s": round(sb, 3),
        "naive_s": round(median["naive"], 3),
        "dlt_s": round(median["dlt"], 3),
        "bound_over_storebridge": _ratio(bound, sb),
        "naive_over_storebridge": _ratio(median["naive"], sb),
        "dlt_over_storebridge": _ratio(median["dlt"], sb),
        "too_many": too_many,
        "requests_answered": {r: max(v) for r, v in served_requests.items()},
        "runs_s": {r: [round(t, 3) for t in v] for r, v in seconds.items()},
    }
