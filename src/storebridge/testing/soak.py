"""Read every listing of a platform's sandbox through the fault layer, many times, and count.

Run it as a command::

    python -m storebridge.testing.soak                       # all platforms, ~1 minute
    python -m storebridge.testing.soak --platform shopline --records 500 --seeds 50
    python -m storebridge.testing.soak --long                # the long soak (minutes)
    python -m storebridge.testing.soak --in-flight 16        # only the parallel readers

Each run lists orders (as list rows and complete), customers and products of a seeded
sandbox in-process, on fake time (nothing sleeps), once per ``--in-flight`` setting
(default: one request at a time, which reads page by page, and 8, which runs the
platform's parallel readers: windows, pages read ahead, details beside the pages), with a
share of requests faulted (see
:class:`~storebridge.testing.FaultTransport`). The summary counts faults injected by kind and
the outcome of every listing: exact, a storebridge error (a fault outlasted the retry
budget), or a failure of the promise -- records lost, records doubled, or a bare Python
exception. The exit status is 1 when any of those last three is not zero.

Works for any installed adapter that ships a sandbox, including your own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs

from storebridge.errors import StorebridgeError
from storebridge.registry import adapter_class, platforms
from storebridge.sandbox.clock import FakeClock
from storebridge.store import Store
from storebridge.testing.fake_time import FakeTime
from storebridge.testing.faults import FaultTransport

RESOURCES = ("orders", "full orders", "customers", "products")
"""The listings soaked; ``full orders`` is ``orders.list(detail=True)`` (complete orders,
which on some platforms costs a request per order beside the pages)."""
_LISTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "orders": ("orders", {}),
    "full orders": ("orders", {"detail": True}),
    "customers": ("customers", {}),
    "products": ("products", {}),
}
IN_FLIGHT = (1, 8)
"""Requests kept in flight, one soak each: page by page, and the parallel readers."""


@attrs.define
class Tally:
    """Outcomes of the listings of one platform and resource."""

    runs: int = 0
    exact: int = 0
    errors: Counter[str] = attrs.field(factory=Counter)
    lost: int = 0
    doubled: int = 0
    bare: Counter[str] = attrs.field(factory=Counter)


@attrs.define
class Summary:
    faults: Counter[str] = attrs.field(factory=Counter)
    tallies: dict[str, Tally] = attrs.field(factory=dict)

    @property
    def failures(self) -> int:
        """Listings that broke the promise (lost, doubled, bare exception)."""
        return sum(t.lost + t.doubled + sum(t.bare.values()) for t in self.tallies.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "faults": dict(self.faults),
            "listings": {key: _tally_dict(t) for key, t in self.tallies.items()},
            "failures": self.failures,
        }


def _tally_dict(t: Tally) -> dict[str, Any]:
    return {
        "runs": t.runs,
        "exact": t.exact,
        "errors": dict(t.errors),
        "lost": t.lost,
        "doubled": t.doubled,
        "bare_exceptions": dict(t.bare),
    }


def _list(
    platform: str, sizes: dict[str, int], rate: float, seed: int, resource: str, in_flight: int
) -> Any:
    clock = FakeClock()
    time = FakeTime(emulator_clock=clock)
    sandbox = adapter_class(platform).sandbox(seed=7, clock=clock, **sizes)
    faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
    adapter = adapter_class(platform).from_settings(**sandbox.settings("https://sandbox.test"))
    options = time.options(max_concurrency=in_flight)
    name, query = _LISTINGS[resource]
    with Store(adapter, options=options, transport=faulty) as store:
        try:
            listing = getattr(store, name).list(**query)
            refs: list[str] | BaseException = [item.ref for item in listing]
        except Exception as exc:  # counted: bare exceptions are what this hunts for
            refs = exc
    return refs, faulty


def soak(
    platform_names: Sequence[str],
    *,
    records: int,
    seeds: int,
    rates: Sequence[float],
    in_flight: Sequence[int] = IN_FLIGHT,
) -> Summary:
    """Run the listings and return the summary (see the module docstring)."""
    sizes = {"orders": records, "customers": max(1, records // 2), "products": max(1, records // 3)}
    summary = Summary()
    for platform in platform_names:
        for resource in RESOURCES:
            for width in in_flight:
                _soak_one(summary, platform, resource, sizes, seeds, rates, width)
    return summary


def _soak_one(
    summary: Summary,
    platform: str,
    resource: str,
    sizes: dict[str, int],
    seeds: int,
    rates: Sequence[float],
    width: int,
) -> None:
    tally = summary.tallies.setdefault(f"{platform} {resource} x{width}", Tally())
    truth, _ = _list(platform, sizes, 0.0, 0, resource, width)
    if isinstance(truth, BaseException):
        tally.bare[f"fault-free listing failed: {type(truth).__name__}"] += 1
        return
    expected = Counter(truth)
    for rate in rates:
        for seed in range(1, seeds + 1):
            outcome, faulty = _list(platform, sizes, rate, seed, resource, width)
            summary.faults.update(faulty.injected)
            tally.runs += 1
            if isinstance(outcome, StorebridgeError):
                tally.errors[type(outcome).__name__] += 1
            elif isinstance(outcome, BaseException):
                tally.bare[type(outcome).__name__] += 1
            else:
                got = Counter(outcome)
                missing = sum((expected - got).values())
                extra = sum((got - expected).values())
                tally.lost += missing > 0
                tally.doubled += extra > 0
                tally.exact += not missing and not extra


def _print(summary: Summary) -> None:
    width = max((len(k) for k in summary.tallies), default=10)
    print(f"{'listing':<{width}}  runs  exact  errors  lost  doubled  bare")
    for key, t in summary.tallies.items():
        errors = sum(t.errors.values())
        bare = sum(t.bare.values())
        print(f"{key:<{width}}  {t.runs:4}  {t.exact:5}  {errors:6}  {t.lost:4}  "
              f"{t.doubled:7}  {bare:4}")  # fmt: skip
    kinds = ", ".join(f"{k} {n}" for k, n in summary.faults.most_common())
    print(f"faults injected: {sum(summary.faults.values())} ({kinds})")
    verdict = "PASS" if not summary.failures else "FAIL"
    print(f"{verdict}: {summary.failures} listings lost records, doubled them or raised a "
          "bare exception")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storebridge.testing.soak",
        description="Read every listing of a sandbox through the fault layer and count.",
    )
    add = parser.add_argument
    add("--platform", action="append", help="a platform (default: all with a sandbox)")
    add("--records", type=int, default=120, help="orders per sandbox (default 120)")
    add("--seeds", type=int, default=8, help="seeds per fault rate (default 8)")
    add("--rates", default="0.1,0.3", help="fault rates (default 0.1,0.3)")
    add("--in-flight", default=",".join(map(str, IN_FLIGHT)),
        help="requests in flight, one soak each (default 1,8: page by page, parallel)")  # fmt: skip
    add("--long", action="store_true", help="the long soak: 1,000 records, 40 seeds")
    add("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    chosen = args.platform or [p for p in platforms() if _has_sandbox(p)]
    records, seeds = (1000, 40) if args.long else (args.records, args.seeds)
    rates = [float(r) for r in args.rates.split(",")]
    widths = _widths(parser, args.in_flight)
    summary = soak(chosen, records=records, seeds=seeds, rates=rates, in_flight=widths)
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        _print(summary)
    return 1 if summary.failures else 0


def _widths(parser: argparse.ArgumentParser, text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        parser.error(f"--in-flight {text!r}: give whole numbers from 1, comma-separated (1,8)")
    return widths


def _has_sandbox(platform: str) -> bool:
    try:
        adapter_class(platform).build_sandbox  # noqa: B018 - presence check
    except Exception:
        return False
    from storebridge.adapter import Adapter

    return adapter_class(platform).build_sandbox.__func__ is not Adapter.build_sandbox.__func__  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Summary", "Tally", "main", "soak"]
