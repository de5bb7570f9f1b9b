"""Progress of a migration: counts, totals where they are known, rates and time left.

Phases are ``"read <resource>"`` (source records read), ``"<resource>"`` (records
processed: written, reused, skipped...) and ``"verify"``. A callback receives either a
:class:`ProgressEvent` (one parameter) or, as before, ``(phase, done, total)`` with
``total`` 0 when unknown. A resumed run counts only its own work: ``done`` and ``total``
leave out what earlier runs did (``earlier``), so the time left is the time left.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

_EVERY = 0.1
"""Seconds between two events of one phase (the last one always goes out)."""


@attrs.frozen
class ProgressEvent:
    """Where one phase of a migration stands."""

    phase: str
    done: int
    total: int | None
    """What this run has to do in the phase; None while unknown (no count, still reading)."""
    elapsed: float
    """Seconds since the phase started in this run."""
    earlier: int = 0
    """Done by earlier runs of an interrupted pass (not in ``done`` or ``total``)."""
    finished: bool = False

    @property
    def rate(self) -> float | None:
        """Records per second in this run."""
        if self.elapsed <= 0 or self.done == 0:
            return None
        return self.done / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds left, when the total is known."""
        rate = self.rate
        if self.total is None or rate is None:
            return None
        return max(0.0, (self.total - self.done) / rate)


Progress = Callable[..., None]
"""``progress(event)`` with a :class:`ProgressEvent`, or ``progress(phase, done, total)``."""


def _wants_event(callback: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind("phase", 0, 0)
    except TypeError:
        return True
    return False


class Reporter:
    """Turns counts into events for the user's callback, at most every 0.1 s per phase."""

    def __init__(self, callback: Progress | None, clock: Callable[[], float] = time.monotonic):
        self._callback = callback
        self._as_event = callback is not None and _wants_event(callback)
        self._clock = clock
        self._started: dict[str, float] = {}
        self._sent: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, phase: str) -> None:
        with self._lock:
            self._started[phase] = self._clock()
            self._sent.pop(phase, None)

    def update(
        self,
        phase: str,
        done: int,
        total: int | None,
        *,
        earlier: int = 0,
        finished: bool = False,
    ) -> None:
        if self._callback is None:
            return
        now = self._clock()
        with self._lock:
            started = self._started.setdefault(phase, now)
            if not finished and now - self._sent.get(phase, -_EVERY) < _EVERY:
                return
            self._sent[phase] = now
        event = ProgressEvent(phase, done, total, now - started, earlier, finished)
        if self._as_event:
            self._callback(event)
        else:
            self._callback(phase, done, total or 0)


__all__ = ["Progress", "ProgressEvent", "Reporter"]
