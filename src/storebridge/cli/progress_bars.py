"""The bars themselves (Rich), loaded only when a person at a terminal will see them.

One line per phase: a bar with done/total, percent, rate and time left when the total is
known; the count so far, rate and time elapsed when it is not (a listing being read).
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
)
from rich.table import Column
from rich.text import Text


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


def stderr_bars() -> Progress:
    """A set of bars drawn on stderr, one line per task."""
    return Progress(
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
    )


__all__ = ["stderr_bars"]
