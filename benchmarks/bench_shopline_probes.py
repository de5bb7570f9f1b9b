"""SHOPLINE whole-store exports: the probe counts sent with the first page, capped or not.

A whole store's listing sends its count, its first page and a batch of probe counts in one
round trip to plan its ``created_at`` windows. The batch is capped at
``WHOLE_STORE_PROBES`` (8); before the cap it took as many points of the ladder as there
was room in flight (up to 15). At the rate limit every probe costs a request's share of
the budget before the store's size is known. This measures the shipped cap against the
full ladder (``ladder``: the cap raised to 15), alternately on the same sandboxes
(``benchmarks/harness/alternate.py`` says how).

Printed: each run's seconds and requests (counted where the sandbox answers them), and per
store the medians of both variants and their ratio. No figure is asserted anywhere.

    .venv/bin/python benchmarks/bench_shopline_probes.py                # 8 rounds
    .venv/bin/python benchmarks/bench_shopline_probes.py --rounds 3 --json probes.json
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

import storebridge_shopline._paging as shopline_paging

SIZES: dict[str, tuple[int, ...]] = {"shopline": (5000,)}
"""Orders per store: 50 pages of 100, the export the cap was measured on."""
LADDER = 15
"""Probe times in a whole store's ladder: what the batch took before the cap."""
VARIANTS = ("capped", "ladder")


def _capped(platform: str) -> AbstractContextManager[object]:
    return nullcontext()


def _ladder(platform: str) -> AbstractContextManager[object]:
    return mock.patch.object(shopline_paging, "WHOLE_STORE_PROBES", LADDER)


def measure(
    sizes: dict[str, tuple[int, ...]], rounds: int, latency: float, scale: float
) -> dict[str, Any]:
    variants: dict[str, Variant] = {"capped": _capped, "ladder": _ladder}
    return alternate(sizes, variants, rounds, latency, scale)


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.splitlines()[0] if __doc__ else ""
    return command(argv, doc, measure, SIZES, list(VARIANTS), rounds=8)


if __name__ == "__main__":
    raise SystemExit(main())
