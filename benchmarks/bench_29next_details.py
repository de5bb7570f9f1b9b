"""29 Next full orders by one cursor: pages and details through one window, or in turn.

``orders.list(detail=True)`` costs a list page per 20 orders and one request per order.
The shipped reader (``window``) asks for the next page while a page's details are out and
sends later details before earlier ones are all back, never more in flight than the
facade's number; ``in_turn`` (``PAGES_AHEAD`` set to 1) reads a page, then its details,
then the next page, as before. Both run alternately on the same sandbox
(``benchmarks/harness/alternate.py`` says how), with day windows off (the default).

Printed: each run's seconds and requests (counted where the sandbox answers them), and the
medians of both variants and their ratio. No figure is asserted anywhere.

    .venv/bin/python benchmarks/bench_29next_details.py                # 3 rounds
    .venv/bin/python benchmarks/bench_29next_details.py --rounds 5 --json details.json
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness.alternate import Variant, alternate, command
from benchmarks.harness.config import Case

import storebridge_29next._expanding as expanding

SIZES: dict[str, tuple[int, ...]] = {"29next": (500,)}
"""Orders per store: 25 pages of 20 and 500 details, the benchmark's full-orders case."""
VARIANTS = ("window", "in_turn")


def _window(platform: str) -> AbstractContextManager[object]:
    return nullcontext()


def _in_turn(platform: str) -> AbstractContextManager[object]:
    return mock.patch.object(expanding, "PAGES_AHEAD", 1)


def _full_orders(platform: str, orders: int) -> Case:
    return Case(platform, orders, detail=True)


def measure(
    sizes: dict[str, tuple[int, ...]], rounds: int, latency: float, scale: float
) -> dict[str, Any]:
    variants: dict[str, Variant] = {"window": _window, "in_turn": _in_turn}
    return alternate(sizes, variants, rounds, latency, scale, _full_orders)


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.splitlines()[0] if __doc__ else ""
    return command(argv, doc, measure, SIZES, list(VARIANTS), rounds=3)


if __name__ == "__main__":
    raise SystemExit(main())
