"""Progress bars on stderr, only for a person at a terminal.

One line per phase: a bar with done/total, percent, rate and time left when the total is
known; the count so far, rate and time elapsed when it is not (a listing being read).
When the bars are off (stderr is not a terminal, ``--quiet``, ``--json``), finished phases
are logged at INFO instead, so ``-v`` still shows how a run in a pipe or CI is going.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.table import Column
from rich.text import Text

log = logging.getLogger("storebridge.cli")


def terminal_wants_progress() -> bool:
    """Bars only when a person watches stderr."""
    return sys.stderr.isatty()


class _Column(ProgressColumn):
    """A column that never wraps: a narrow terminal shortens the bar instead."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))


class _Count(_Column):
    def render(self, task: Task) -> Text:
        done = int(task.completed)
        if task.total:
            return Text(f"{done:,}/{int(task.total):,}", style="progress.download")
        return Text(f"{done:,}", style="progress.download")


class _Percent(_Column):
    def render(self, task: Task) -> Text:
        return Text(f"{task.percentage:>3.0f}%" if task.total else "", style="progress.percentage")


def _average_rate(task: Task) -> float | None:
    # The average since the phase began: listings arrive a page at a time, so a rate over
    # the last few updates swings between zero and thousands.
    elapsed = task.finished_time if task.finished else task.elapsed
    if not elapsed or not task.completed:
        return None
    return task.completed / elapsed


class _Rate(_Column):
    def render(self, task: Task) -> Text:
        rate = _average_rate(task)
        return Text(f"{rate:,.1f}/s" if rate else "", style="progress.data.speed")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class _Time(_Column):
    """Time left (``~0:01:20 left``) when the total is known, else time elapsed."""

    def render(self, task: Task) -> Text:
        rate = _average_rate(task)
        if task.total and not task.finished and rate:
            left = (task.total - task.completed) / rate
            return Text(f"~{_clock(left)} left", style="progress.remaining")
        return Text(_clock(task.finished_time or task.elapsed or 0), style="progress.elapsed")


class ProgressDisplay:
    """Bars for phases of work; thread-safe (the migration reports from worker threads)."""

    def __init__(self, *, enabled: bool, label: str = "") -> None:
        self.enabled = enabled
        self._label = label
        self._progress = Progress(
            # The phase text is never markup: names may contain brackets.
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=None),
            _Count(),
            _Percent(),
            _Rate(),
            _Time(),
            console=Console(stderr=True, highlight=False),
            # Results on stdout must never be routed into the bars' console.
            redirect_stdout=False,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def phase(self, phase: str, done: int, total: int) -> None:
        """The migration's ``progress(phase, done, total)`` callback (total 0: unknown)."""
        name = f"{self._label}{phase}"
        with self._lock:
            task = self._tasks.get(name)
            if task is None:
                task = self._tasks[name] = self._progress.add_task(name, total=total or None)
            self._progress.update(task, completed=done, total=total or None)
            if not self.enabled and total and done >= total and name not in self._logged:
                self._logged.add(name)
                log.info("%s: %d done", name, done)

    def counter(self, name: str, total: int | None = None) -> Callable[[int], None]:
        """A phase fed one step at a time: call the result with how many steps were done."""
        label = f"{self._label}{name}"
        with self._lock:
            task = self._progress.add_task(label, total=total)

        def advance(steps: int = 1) -> None:
            self._progress.advance(task, steps)

        return advance

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
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
        self._progress.stop()


__all__ = ["ProgressDisplay", "terminal_wants_progress"]
