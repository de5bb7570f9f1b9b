"""Clocks for emulators: the real one, or one tests move by hand."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time in epoch seconds."""

    def now(self) -> float:
        return time.time()

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def __call__(self) -> float:
        return self.now()


class FakeClock(Clock):
    """A clock that only moves when told to (``advance``), or at ``speed`` x real time."""

    def __init__(self, start: float | datetime = 1_767_225_600.0, speed: float = 0.0) -> None:
        self._base = start.timestamp() if isinstance(start, datetime) else float(start)
        self._real = time.monotonic()
        self._speed = speed
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._real) * self._speed

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._base += seconds

    def set(self, when: float | datetime) -> None:
        with self._lock:
            self._base = when.timestamp() if isinstance(when, datetime) else float(when)
            self._real = time.monotonic()


__all__ = [
    "Clock",
    "FakeClock",
]
