"""Short and medium listings at high latency: how the planners read them, and what that buys.

Whole-store listings of a few pages are where planning parallel reads costs most against
what it gains. Two choices are measured here, each against what it replaced, alternately in
one run:

* 29 Next reads its first page's cursor on by a page with each batch of planning probes, and
  a listing that cursor finishes needs no windows (``planned`` takes the cursor out: the
  windows are always read, as before);
* SHOPLINE reads a whole store's listing in windows from 3 pages
  (``WHOLE_STORE_SPLIT_FROM_PAGES``; ``planned`` puts the threshold back at 8 pages, where
  listings with time filters still split).

Every store is its own sandbox, served on loopback by a child process with ``--latency``
seconds on every answer and its documented limit scaled x``--scale``; the client reads
``store.orders.list()`` with every default but the rate limit. Printed: each run's seconds
and requests (counted where the sandbox answers them), and per case the medians of both
variants and their ratio. No figure is asserted anywhere.

    .venv/bin/python benchmarks/bench_short_listings.py                # 3 rounds
    .venv/bin/python benchmarks/bench_short_listings.py --rounds 5 --json short.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness.config import DOCUMENTED, Case, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec
from benchmarks.harness.readers import storebridge_export

import storebridge_29next._listings as twentynine_listings
import storebridge_shopline._paging as shopline_paging
from storebridge._concurrency import forget_pacers

SIZES: dict[str, tuple[int, ...]] = {"29next": (40, 60, 200), "shopline": (300, 500, 700)}
"""Orders per store: 29 Next pages hold 20 (two, three and ten pages), SHOPLINE's 100."""
VARIANTS = ("shipped", "planned")


class _NotFollowed:
    """A cursor that is not read on while planning: the windows read every record."""

    def __init__(self, flow: Any) -> None:
        flow.close()
        self.rows: list[Any] = []
        self.ended = False
        self.pending = None

    def take(self, answer: Any) -> None:  # pragma: no cover - never given a request
        raise AssertionError("a cursor that is not followed sends nothing")

    def close(self) -> None:
        return None


@contextmanager
def _planned(platform: str) -> Iterator[None]:
    """Listings read as before each choice: windows planned whatever the cursor shows, and
    a whole store's listing split from 8 pages like the others."""
    if platform == "29next":
        with mock.patch.object(twentynine_listings, "_Cursor", _NotFollowed):
            yield
    else:
        with mock.patch.object(
            shopline_paging, "WHOLE_STORE_SPLIT_FROM_PAGES", shopline_paging.SPLIT_FROM_PAGES
        ):
            yield


def measure(
    sizes: dict[str, tuple[int, ...]], rounds: int, latency: float, scale: float
) -> dict[str, Any]:
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
                case = Case(spec.platform, spec.orders)
                for variant in VARIANTS:
                    # The sandbox's bucket full again and no latency learned from the last
                    # run: each run starts as a new process would.
                    time.sleep(limit.refill_seconds() + 0.2)
                    forget_pacers()
                    host.take(name)
                    with _planned(spec.platform) if variant == "planned" else nullcontext():
                        began = time.perf_counter()
                        read = storebridge_export(case, host.served[name], limit)
                        seconds = time.perf_counter() - began
                    answers = host.take(name)
                    if read != spec.orders:
                        raise RuntimeError(f"{name} {variant}: read {read} of {spec.orders}")
                    runs.append({"round": round_ + 1, "case": name, "variant": variant,
                                 "seconds": round(seconds, 3), "requests": answers.served,
                                 "too_many": answers.too_many})  # fmt: skip
                    print(f"  round {round_ + 1} {name:<14} {variant:<8}: {seconds:5.2f} s, "
                          f"{answers.served} requests, {answers.too_many} x 429",
                          flush=True)  # fmt: skip
    cases: dict[str, dict[str, Any]] = {}
    for name in specs:
        medians: dict[str, Any] = {}
        for variant in VARIANTS:
            mine = [r for r in runs if r["case"] == name and r["variant"] == variant]
            medians[variant] = {
                "seconds": statistics.median(r["seconds"] for r in mine),
                "requests": statistics.median(r["requests"] for r in mine),
            }
        ratio = medians["planned"]["seconds"] / medians["shipped"]["seconds"]
        medians["planned_over_shipped"] = round(ratio, 2)
        cases[name] = medians
    return {"latency": latency, "scale": scale, "rounds": rounds, "runs": runs, "cases": cases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = measure(SIZES, args.rounds, args.latency, args.scale)
    print(f"medians of {args.rounds} rounds, {args.latency * 1000:.0f} ms, limits x{args.scale:g}")
    print(f"{'case':<14} {'shipped':>16} {'planned':>16}  planned/shipped")
    for name, medians in result["cases"].items():
        shipped, planned = medians["shipped"], medians["planned"]
        print(f"{name:<14} {shipped['seconds']:6.2f} s {shipped['requests']:4g} req "
              f"{planned['seconds']:6.2f} s {planned['requests']:4g} req  "
              f"{medians['planned_over_shipped']:.2f}")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
