"""The change feed's cost in requests, per platform and per resource.

Each platform's sandbox runs in-process on a fake clock (no latency, the emulator's rate
limit off, so every request counted is one the feed asked for). Per resource, one feed
(``store.changes(resource, since=...)``) makes four passes, each resumed from the
checkpoint the one before saved:

1. **full**: the first pass, from long before the store's records: every record once;
2. **unchanged**: an hour later, nothing changed since;
3. **after k**: an hour later, a minute after ``k`` orders were changed (their shipping
   address through the facade; on 24Nettbutikk, which has no such write, the emulator
   changes them);
4. **next poll**: a minute later again, nothing new, as a ``follow=True`` feed polling
   every 60 s sees it: the k changes still lie inside the feed's overlap window (10
   minutes by default), so the listings that hold them are read again and nothing is
   yielded twice.

Printed: the requests each pass sent and the changes it yielded; a pass that raised is
marked FAILED and its error printed below the table.

    .venv/bin/python benchmarks/bench_changes.py                  # 500 records each, k = 10
    .venv/bin/python benchmarks/bench_changes.py --records 200 --changed 3 --json out.json

Requests are counted where the emulator receives them. With no latency the facade keeps
few requests in flight, so listings whose plans grow with the requests in flight (day
windows, read-ahead) send the fewest extra requests they can.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import storebridge
from storebridge import Address
from storebridge.changes import Checkpoint
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock, Sandbox
from storebridge.testing import FakeTime

PLATFORMS = ("29next", "shopline", "24nettbutikk")
RESOURCES = ("orders", "customers", "products")
PASSES = ("full", "unchanged", "after_k", "next_poll")
NO_LIMIT: dict[str, dict[str, Any]] = {
    "29next": {"rate_limit": None},
    "shopline": {"rate_limit": False},
    "24nettbutikk": {"rate_limit": None},
}
LONG_AGO = timedelta(days=3650)
ADDRESS = Address(
    first_name="Kari", line1="Storgata 1", city="Oslo", postal_code="0155", country="NO"
)

__all__ = [
    "PASSES",
    "PLATFORMS",
    "RESOURCES",
    "failures",
    "main",
    "measure",
    "measure_platform",
    "table",
]


class _World:
    """One platform's sandbox on a fake clock, and a store connected to it in-process."""

    def __init__(self, platform: str, records: int, seed: int) -> None:
        self.clock = FakeClock()
        self.time = FakeTime(emulator_clock=self.clock)
        self.sandbox: Sandbox = adapter_class(platform).sandbox(
            seed=seed,
            orders=records,
            customers=records,
            products=records,
            clock=self.clock,
            **NO_LIMIT[platform],
        )
        self.store = storebridge.connect(
            platform,
            transport=self.sandbox.emulator.transport(),
            options=self.time.options(),
            **self.sandbox.settings("https://sandbox.example"),
        )

    def now(self) -> datetime:
        return self.clock.utcnow()

    def feed_pass(
        self, resource: str, since: Checkpoint | datetime
    ) -> tuple[dict[str, Any], Checkpoint | datetime]:
        """Requests sent and changes yielded by one pass, and where the next pass starts.

        A pass that fails is reported with its error (the figures are what the code does)
        and the next pass resumes from the last change it delivered, as a user's would.
        """
        received = self.sandbox.emulator.requests
        before = len(received)
        feed = self.store.changes(resource, since=since, now=self.now)
        changes = 0
        figures: dict[str, Any] = {}
        try:
            for change in feed:
                changes += 1
                since = change.checkpoint
            since = feed.checkpoint
        except Exception as exc:  # a measurement reports a failure instead of stopping
            figures["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        figures.update(requests=len(received) - before, changes=changes)
        if isinstance(since, Checkpoint):
            # Saved and read back, as a user's program would between runs.
            since = Checkpoint.from_json(since.to_json())
        return figures, since

    def change_orders(self, k: int) -> None:
        refs = [order.ref for _, order in zip(range(k), self.store.orders.list(), strict=False)]
        for ref in refs:
            if "orders.update_shipping_address" in self.store.capabilities:
                self.store.orders.update_shipping_address(ref, ADDRESS)
            else:
                emulator: Any = self.sandbox.emulator
                emulator.touch("orders", ref)
            self.clock.advance(5)


def measure_platform(platform: str, records: int, changed: int, seed: int = 3) -> dict[str, Any]:
    """The four passes over each resource of one platform's sandbox (see the module doc)."""
    world = _World(platform, records, seed)
    result: dict[str, Any] = {"platform": platform, "records": records, "changed": changed}
    with world.store:
        start = world.now() - LONG_AGO
        checkpoints: dict[str, Checkpoint | datetime] = dict.fromkeys(RESOURCES, start)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("full", lambda: None),
            ("unchanged", lambda: world.clock.advance(3600)),
            ("after_k", lambda: _change(world, changed)),
            ("next_poll", lambda: world.clock.advance(60)),
        ]
        for name, before in steps:
            before()
            row: dict[str, dict[str, Any]] = {}
            for resource in RESOURCES:
                row[resource], checkpoints[resource] = world.feed_pass(
                    resource, checkpoints[resource]
                )
            result[name] = row
    return result


def _change(world: _World, k: int) -> None:
    world.clock.advance(3600)
    world.change_orders(k)
    world.clock.advance(60)


def measure(
    platforms: tuple[str, ...] = PLATFORMS, records: int = 500, changed: int = 10
) -> list[dict[str, Any]]:
    """:func:`measure_platform` for each of ``platforms``."""
    return [measure_platform(p, records, changed) for p in platforms]


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table: requests (changes yielded) per pass and resource."""
    head = "| platform | resource | " + " | ".join(_title(p, results) for p in PASSES) + " |"
    lines = [head, "|---|---|" + "---:|" * len(PASSES)]
    for result in results:
        for resource in (*RESOURCES, "all"):
            cells = []
            for name in PASSES:
                row = result[name]
                chosen = RESOURCES if resource == "all" else (resource,)
                requests = sum(row[r]["requests"] for r in chosen)
                changes = sum(row[r]["changes"] for r in chosen)
                failed = any("error" in row[r] for r in chosen)
                cells.append(f"{requests} ({changes}){' FAILED' if failed else ''}")
            label = f"**{resource}**" if resource == "all" else resource
            lines.append(f"| {result['platform']} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failures(results: list[dict[str, Any]]) -> list[str]:
    """One line per pass that failed: platform, pass, resource and the error."""
    return [
        f"FAILED {result['platform']} {name} {resource}: {figures['error']}"
        for result in results
        for name in PASSES
        for resource, figures in result[name].items()
        if "error" in figures
    ]


def _title(name: str, results: list[dict[str, Any]]) -> str:
    k = results[0]["changed"] if results else "k"
    return {
        "full": "full pass",
        "unchanged": "nothing changed",
        "after_k": f"after {k} orders changed",
        "next_poll": "next poll, 60 s later",
    }[name]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=500, help="orders, customers, products")
    parser.add_argument("--changed", type=int, default=10, help="orders changed (k)")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="comma-separated")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.records < 1 or not 0 <= args.changed <= args.records:
        parser.error("--records must be >= 1 and --changed between 0 and --records")
    platforms = tuple(p for p in args.platforms.split(",") if p)
    unknown = sorted(set(platforms) - set(PLATFORMS))
    if unknown:
        parser.error(f"unknown platform(s) {', '.join(unknown)}; choose from {PLATFORMS}")
    results = measure(platforms, args.records, args.changed)
    print(
        f"Requests per change-feed pass (changes yielded), {args.records} records per "
        f"resource, k = {args.changed}; measured {datetime.now(UTC):%Y-%m-%d}, "
        f"storebridge {storebridge.__version__}"
    )
    print(table(results))
    for failure in failures(results):
        print(failure)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
