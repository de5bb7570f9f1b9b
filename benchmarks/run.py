"""One benchmark command: export, conversion, memory, many stores and migration, as ratios.

Starts the sandboxes on 127.0.0.1 (in a child process) with injected latency and the
documented rate limits scaled (x10 by default, so runs take seconds), and prints, from one
run:

1. export per platform: storebridge with its defaults, a naive sequential loop, dlt's
   RESTClient, the bound, their ratios and the 429s each provoked;
2. conversion: CPU per order from page bytes against ``orjson.loads``;
3. peak RSS of ``storebridge export`` at N and 4N orders;
4. many stores: 20 SHOPLINE stores exported concurrently with the async API;
5. migration writes per second against the target's limit.

    python benchmarks/run.py [--quick | --documented] [--json out.json] [--only export,memory]

``--quick`` finishes in under three minutes on two cores; ``--documented`` measures at
the documented limits themselves. Needs the ``bench`` extra (dlt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: the repository root makes ``benchmarks`` importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import report
from benchmarks.harness.config import Config, documented, full, quick

import storebridge

__all__ = ["SECTIONS", "machine", "main", "run"]

SECTIONS = ("export", "conversion", "memory", "stores", "migration")


def machine() -> dict[str, Any]:
    """What the figures were measured on (the load says how shared the machine was)."""
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "storebridge": storebridge.__version__,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def run(
    config: Config,
    sections: tuple[str, ...] = SECTIONS,
    say: Callable[[str], None] = print,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Measure ``sections``; ``say`` gets each section's text, ``progress`` every run."""
    from benchmarks.harness.conversion import measure_conversion
    from benchmarks.harness.export import measure_exports
    from benchmarks.harness.memory import measure_memory
    from benchmarks.harness.migration import measure_migration
    from benchmarks.harness.stores import measure_many_stores

    measures: dict[str, tuple[Callable[[], Any], Callable[[Any], str]]] = {
        "export": (lambda: measure_exports(config, progress), report.exports),
        "conversion": (
            lambda: measure_conversion(config.conversion_orders, config.conversion_repeat),
            lambda r: report.conversion(r, config.conversion_orders, config.conversion_repeat),
        ),
        "memory": (lambda: measure_memory(config.memory_orders), report.memory),
        "stores": (lambda: measure_many_stores(config), report.many_stores),
        "migration": (lambda: measure_migration(config), report.migration),
    }
    figures: dict[str, Any] = {"machine": machine(), "config": config.as_dict(), "seconds": {}}
    say(report.configuration(config, figures["machine"]))
    started = time.perf_counter()
    for section in sections:
        measure, text = measures[section]
        progress(f"{section}...")
        began = time.perf_counter()
        figures[section] = measure()
        figures["seconds"][section] = round(time.perf_counter() - began, 1)
        say("\n" + text(figures[section]))
    figures["seconds"]["all"] = round(time.perf_counter() - started, 1)
    figures["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    spent = ", ".join(f"{k} {v:.0f} s" for k, v in figures["seconds"].items())
    say(f"\nseconds: {spent}; load average after {figures['machine']['load_average_after']}")
    return figures


def _sections(value: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"--only takes a comma-separated list of {', '.join(SECTIONS)}"
        )
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    size.add_argument(
        "--documented",
        action="store_true",
        help="the documented limits (x1), sizes where each export takes seconds",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--only", type=_sections, default=SECTIONS, help=", ".join(SECTIONS))
    parser.add_argument("--latency", type=float, help="seconds added to every answer [0.25]")
    parser.add_argument("--scale", type=float, help="factor on the documented limits [10]")
    args = parser.parse_args(argv)
    overrides = {
        name: value
        for name, value in (("latency", args.latency), ("scale", args.scale))
        if value is not None
    }
    make = quick if args.quick else documented if args.documented else full
    config = make(**overrides)
    figures = run(
        config, args.only, say=print, progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
