"""Section 2: CPU per order from page bytes to Orders, against ``orjson.loads`` of the same
bodies (``benchmarks/bench_conversion.py`` does the measuring; minimum of the repeats)."""

from __future__ import annotations

from typing import Any

from benchmarks.bench_conversion import PLATFORMS, measure

__all__ = ["measure_conversion"]


def measure_conversion(orders: int, repeat: int) -> dict[str, dict[str, Any]]:
    return {platform: measure(platform, orders, repeat) for platform in PLATFORMS}
