"""What one benchmark run measures: latency, scaled rate limits, sizes and repetitions."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "DOCUMENTED",
    "Case",
    "Config",
    "Limit",
    "documented",
    "emulator_limit",
    "full",
    "quick",
]


@attrs.frozen
class Limit:
    """A rate limit as both sides see it: the emulator enforces it, the client is given it."""

    per_second: float
    burst: int

    def scaled(self, factor: float) -> Limit:
        # Scaling time keeps the bucket: a burst is a count of requests, not a rate.
        return Limit(self.per_second * factor, self.burst)

    def refill_seconds(self) -> float:
        """How long an emptied bucket takes to be full again."""
        return self.burst / self.per_second

    def rest_seconds(self) -> float:
        """How long to wait between runs so both buckets (the emulator's and the client's)
        are full again: the refill, and as much again up to 0.2 s for the two clocks to
        agree (a fixed 0.2 s was most of a toy-sized run's time)."""
        refill = self.refill_seconds()
        return refill + min(refill, 0.2)


DOCUMENTED: dict[str, Limit] = {
    # 4 requests/second per token; the emulator's bucket of 4 (the notes leave it open).
    "29next": Limit(4.0, 4),
    # 4 requests/second, leaky bucket of 40 (documented).
    "shopline": Limit(4.0, 40),
    # Undocumented: the adapter's declared 2 requests/second, burst 2.
    "24nettbutikk": Limit(2.0, 2),
}


_SWITCHES: dict[str, tuple[str, str, Any]] = {
    # platform: (rate switch, burst switch, the rate switch's "off")
    "29next": ("rate_limit", "burst", None),
    "shopline": ("rate_limit", "bucket_size", False),
    "24nettbutikk": ("rate_limit", "rate_burst", None),
}


def emulator_limit(platform: str, limit: Limit | None) -> dict[str, Any]:
    """The sandbox options that make ``platform``'s emulator enforce ``limit`` (None: off)."""
    rate, burst, off = _SWITCHES[platform]
    if limit is None:
        return {rate: off}
    return {rate: limit.per_second, burst: limit.burst}


@attrs.frozen
class Case:
    """One export measured three ways: which platform, how many orders, which variant."""

    platform: str
    orders: int
    joins: bool = True
    """24Nettbutikk: fill customers and SKUs (one request per customer and product)."""
    detail: bool = False
    """29 Next: complete orders (one request per order after each list page)."""
    day_windows: bool = False
    """29 Next: the store setting that reads listings in day windows (off by default)."""

    @property
    def name(self) -> str:
        if self.platform == "24nettbutikk":
            return f"24nettbutikk ({'joins' if self.joins else 'no joins'})"
        if self.platform == "29next":
            parts = [*(["full orders"] if self.detail else []),
                     *(["day windows"] if self.day_windows else [])]  # fmt: skip
            return f"29next ({', '.join(parts)})" if parts else "29next"
        return self.platform


@attrs.frozen(kw_only=True)
class Config:
    """Everything a run depends on; printed with the figures and written to the JSON."""

    mode: str
    latency: float = 0.25
    scale: float = 10.0
    cases: tuple[Case, ...]
    repeat: int = 3
    """Runs of storebridge per case (the median is reported)."""
    baseline_repeat: int = 1
    """Runs of the naive loop and dlt per case: both are sequential, so their time is
    requests x latency within a few percent and one run says it."""
    conversion_orders: int = 2000
    conversion_repeat: int = 5
    memory_orders: int = 5000
    stores: int = 20
    store_orders: int = 1000
    migration_orders: int = 300

    def limit(self, platform: str) -> Limit:
        return DOCUMENTED[platform].scaled(self.scale)

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["limits"] = {p: attrs.asdict(self.limit(p)) for p in DOCUMENTED}
        return data


def _cases(shopline: int, nettbutikk: int, joined: int, twentynine: int) -> tuple[Case, ...]:
    return (
        Case("shopline", shopline),
        Case("24nettbutikk", nettbutikk, joins=False),
        Case("24nettbutikk", joined, joins=True),
        Case("29next", twentynine, detail=True),
        Case("29next", twentynine, detail=True, day_windows=True),
    )


def quick(**overrides: Any) -> Config:
    """Small sizes and one repetition: under three minutes on two cores."""
    given: dict[str, Any] = dict(
        mode="quick", cases=_cases(1000, 1000, 40, 40), repeat=1, baseline_repeat=1,
        conversion_orders=500, conversion_repeat=3, memory_orders=500, stores=20,
        store_orders=1000, migration_orders=40,
    )  # fmt: skip
    return Config(**{**given, **overrides})


def full(**overrides: Any) -> Config:
    """The sizes the figures are quoted at; medians of three storebridge runs."""
    given: dict[str, Any] = dict(
        mode="full", cases=_cases(5000, 5000, 500, 500), repeat=3, baseline_repeat=1,
        conversion_orders=2000, conversion_repeat=5, memory_orders=5000, stores=20,
        store_orders=1000, migration_orders=300,
    )  # fmt: skip
    return Config(**{**given, **overrides})


def documented(**overrides: Any) -> Config:
    """The documented limits themselves (x1), at sizes where each export takes seconds.

    At these limits the rate allows one request per latency (4/s at 250 ms) or less, so a
    sequential loop is already close to the bound and what is measured is whether
    storebridge's extra requests (SHOPLINE's counts and probes, 24Nettbutikk's look-ahead)
    cost it that. SHOPLINE's bucket of 40 is ten seconds of its rate: its listing is sized
    to need several times that, or the burst alone would beat the bound.
    """
    given: dict[str, Any] = dict(
        mode="documented", scale=1.0, cases=_cases(20000, 1000, 20, 40), repeat=3,
        baseline_repeat=1, conversion_orders=2000, conversion_repeat=5, memory_orders=5000,
        stores=20, store_orders=1000, migration_orders=40,
    )  # fmt: skip
    return Config(**{**given, **overrides})
