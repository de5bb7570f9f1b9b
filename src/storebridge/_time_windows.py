"""Time ranges cut into windows, for listings read window by window (``slices``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def time_windows(start: datetime, end: datetime, slices: int) -> list[tuple[datetime, datetime]]:
    """Split ``[start, end)`` into ``slices`` contiguous windows of equal length."""
    if slices < 1:
        raise ValueError("slices must be at least 1")
    if end <= start:
        return [(start, end)]
    step = (end - start) / slices
    bounds = [start + step * i for i in range(slices)] + [end]
    return [(bounds[i], bounds[i + 1]) for i in range(slices)]


def day_windows(
    start: datetime, end: datetime, days: int = 1
) -> Iterable[tuple[datetime, datetime]]:
    """Windows of ``days`` days covering ``[start, end)``."""
    cursor = start
    while cursor < end:
        nxt = min(cursor + timedelta(days=days), end)
        yield cursor, nxt
        cursor = nxt


__all__ = ["day_windows", "time_windows"]
