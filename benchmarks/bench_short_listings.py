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

The runs alternate on the same sandboxes (``benchmarks/harness/alternate.py`` says how).
Printed: each run's seconds and requests (counted where the sandbox answers them), and per
case the medians of both variants and their ratio. No figure is asserted anywhere.

    .venv/bin/python benchmarks/bench_short_listings.py                # 3 rounds
    .venv/bin/python benchmarks/bench_short_listings.py --rounds 5 --json short.json
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness.alternate import Variant, alternate, command
from benchmarks.harness.config import Case

import storebridge_29next._listings as twentynine_listings
import storebridge_shopline._paging as shopline_paging

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


def _shipped(platform: str) -> AbstractContextManager[object]:
    return nullcontext()


def measure(
    sizes: dict[str, tuple[int, ...]], rounds: int, latency: float, scale: float
) -> dict[str, Any]:
    variants: dict[str, Variant] = {"shipped": _shipped, "planned": _planned}
    return alternate(sizes, variants, rounds, latency, scale, _windowed)


def _windowed(platform: str, orders: int) -> Case:
    """29 Next stores with day windows on (the store setting): what is measured is how
    they are planned."""
    return Case(platform, orders, day_windows=platform == "29next")


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.splitlines()[0] if __doc__ else ""
    return command(argv, doc, measure, SIZES, list(VARIANTS), rounds=3)


if __name__ == "__main__":
    raise SystemExit(main())
