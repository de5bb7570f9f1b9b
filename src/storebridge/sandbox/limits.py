"""Server-side rate limiting for emulators."""

from __future__ import annotations

import threading
from collections.abc import Callable


class LeakyBucket:
    """Per-key leaky bucket: ``capacity`` requests queue up, draining at ``rate`` per second.

    ``admit(key)`` returns None when the request fits, else the seconds until it would.
    A token-bucket limit with burst 1 is the same thing with ``capacity=1``.
    """

    def __init__(self, rate: float, capacity: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> float | None:
        with self._lock:
            now = self._clock()
            level, stamp = self._levels.get(key, (0.0, now))
            level = max(0.0, level - (now - stamp) * self.rate)
            if level + 1 > self.capacity + 1e-9:
                self._levels[key] = (level, now)
                return (level + 1 - self.capacity) / self.rate
            self._levels[key] = (level + 1, now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._levels.clear()
