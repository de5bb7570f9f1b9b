"""Two or more variants of one listing choice, run alternately against the same sandboxes.

A choice (a threshold, a planner step) is measured against what it replaced by running
both, round after round, on the same sandboxes in one process: a machine that slows down
during the run slows both alike, so their ratio stays meaningful where two separate runs
would not. Each variant is a context manager factory that puts its choice in place for one
run (typically ``mock.patch.object`` on a module constant) and takes it out again.

Every store is its own sandbox, served on loopback by a child process with ``latency``
seconds on every answer and its documented limit scaled ``scale`` times; the client reads
``store.orders.list()`` with every default but the rate limit. Each run starts as a new
process would: the sandbox's bucket full again and no latency learned from the last run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from benchmarks.harness.config import DOCUMENTED, Case, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec
from benchmarks.harness.readers import storebridge_export

from storebridge._concurrency import forget_pacers

__all__ = ["Variant", "alternate", "command", "print_medians"]

Variant = Callable[[str], AbstractContextManager[object]]
"""Given the store's platform, what puts the variant's choice in place for one run."""


def alternate(
    sizes: Mapping[str, tuple[int, ...]],
    variants: Mapping[str, Variant],
    rounds: int,
    latency: float,
    scale: float,
    case: Callable[[str, int], Case] = Case,
) -> dict[str, Any]:
    """Every variant on every store, ``rounds`` times, alternately; each run's seconds and
    requests (counted where the sandbox answers them) and per store the medians of each
    variant and each one's ratio to the first. Raises if any run reads a wrong count.
    ``case`` makes the export case of a platform and size (its variant of the listing)."""
    names = list(variants)
    specs = {
        f"{platform}-{orders}": SandboxSpec(
            platform,
            orders,
            seed=3,
            latency=latency,
            options=emulator_limit(platform, DOCUMENTED[platform].scaled(scale)),
        )
        for platform, counts in sizes.items()
        for orders in counts
    }
    runs: list[dict[str, Any]] = []
    with SandboxHost(specs) as host:
        for round_ in range(rounds):
            for name, spec in specs.items():
                limit = DOCUMENTED[spec.platform].scaled(scale)
                export = case(spec.platform, spec.orders)
                for variant in names:
                    time.sleep(limit.rest_seconds())
                    forget_pacers()
                    host.take(name)
                    with variants[variant](spec.platform):
                        began = time.perf_counter()
                        read = storebridge_export(export, host.served[name], limit)
                        seconds = time.perf_counter() - began
                    answers = host.take(name)
                    if read != spec.orders:
                        raise RuntimeError(f"{name} {variant}: read {read} of {spec.orders}")
                    runs.append({"round": round_ + 1, "case": name, "variant": variant,
                                 "seconds": round(seconds, 3), "requests": answers.served,
                                 "too_many": answers.too_many})  # fmt: skip
                    print(f"  round {round_ + 1} {name:<14} {variant:<10}: {seconds:5.2f} s, "
                          f"{answers.served} requests, {answers.too_many} x 429",
                          flush=True)  # fmt: skip
    cases: dict[str, dict[str, Any]] = {}
    for name in specs:
        medians: dict[str, Any] = {}
        for variant in names:
            mine = [r for r in runs if r["case"] == name and r["variant"] == variant]
            medians[variant] = {
                "seconds": statistics.median(r["seconds"] for r in mine),
                "requests": statistics.median(r["requests"] for r in mine),
            }
        first = medians[names[0]]["seconds"]
        for variant in names[1:]:
            medians[f"{variant}_over_{names[0]}"] = round(medians[variant]["seconds"] / first, 2)
        cases[name] = medians
    return {"latency": latency, "scale": scale, "rounds": rounds, "runs": runs, "cases": cases}


def print_medians(result: Mapping[str, Any], names: list[str]) -> None:
    """The medians of each store and variant, and each variant's ratio to the first."""
    print(
        f"medians of {result['rounds']} rounds, {result['latency'] * 1000:.0f} ms, "
        f"limits x{result['scale']:g}"
    )
    ratios = [f"{v}/{names[0]}" for v in names[1:]]
    header = "".join(f"{v:>18}" for v in names)
    print(f"{'case':<14} {header}  {'  '.join(ratios)}")
    for case, medians in result["cases"].items():
        cells = "".join(
            f"{medians[v]['seconds']:7.2f} s {medians[v]['requests']:4g} req" for v in names
        )
        shown = "  ".join(f"{medians[f'{v}_over_{names[0]}']:.2f}" for v in names[1:])
        print(f"{case:<14} {cells}  {shown}")


Measure = Callable[[dict[str, tuple[int, ...]], int, float, float], dict[str, Any]]
"""``(sizes, rounds, latency, scale) -> figures``: one script's :func:`alternate` run."""


def command(
    argv: list[str] | None,
    description: str,
    measure: Measure,
    sizes: dict[str, tuple[int, ...]],
    names: list[str],
    rounds: int,
) -> int:
    """A script's command line: ``--rounds`` (default ``rounds``), ``--latency``,
    ``--scale`` and ``--json FILE``; runs ``measure`` and prints the medians."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(sizes, args.rounds, args.latency, args.scale)
    print_medians(result, names)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0
