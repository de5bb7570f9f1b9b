"""Progress bars on stderr, only for a person at a terminal.

One line per phase (drawn by :mod:`storebridge.cli.progress_bars`). When the bars are off
(stderr is not a terminal, ``--quiet``, ``--json``), finished phases are logged at INFO
instead, so ``-v`` still shows how a run in a pipe or CI is going; Rich is then not even
loaded, which keeps commands in pipes and scripts quick to start.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

log = logging.getLogger("storebridge.cli")


def terminal_wants_progress() -> bool:
    """Bars only when a person watches stderr."""
    return sys.stderr.isatty()


def _not_shown(steps: int = 1) -> None:
    """The counter of a phase nobody watches."""


class ProgressDisplay:
    """Bars for phases of work; thread-safe (the migration reports from worker threads)."""

    def __init__(self, *, enabled: bool, label: str = "") -> None:
        self.enabled = enabled
        self._label = label
        self._bars: Progress | None = None
        if enabled:
            from storebridge.cli.progress_bars import stderr_bars

            self._bars = stderr_bars()
        self._tasks: dict[str, TaskID] = {}
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def phase(self, phase: str, done: int, total: int) -> None:
        """The migration's ``progress(phase, done, total)`` callback (total 0: unknown)."""
        name = f"{self._label}{phase}"
        with self._lock:
            if self._bars is not None:
                task = self._tasks.get(name)
                if task is None:
                    task = self._tasks[name] = self._bars.add_task(name, total=total or None)
                self._bars.update(task, completed=done, total=total or None)
            elif total and done >= total and name not in self._logged:
                self._logged.add(name)
                log.info("%s: %d done", name, done)

    def counter(self, name: str, total: int | None = None) -> Callable[[int], None]:
        """A phase fed one step at a time: call the result with how many steps were done."""
        bars = self._bars
        if bars is None:
            return _not_shown
        with self._lock:
            task = bars.add_task(f"{self._label}{name}", total=total)

        def advance(steps: int = 1) -> None:
            bars.advance(task, steps)

        return advance

    def __enter__(self) -> ProgressDisplay:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Leave the bars as they are and give the terminal back (cursor shown again)."""
        if self._bars is not None:
            self._bars.stop()


__all__ = ["ProgressDisplay", "terminal_wants_progress"]
