"""Rich progress bars fed by the migration engine's progress callback."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    TaskProgressColumn as _Pct,
)


class _Rate(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: object) -> object:  # type: ignore[override]
        speed = getattr(task, "speed", None)
        from rich.text import Text

        return Text(f"{speed:5.1f}/s" if speed else "   -  /s", style="progress.data.speed")


class ProgressBars:
    """One bar per phase; ``update`` is the migration's ``progress`` callback (thread-safe)."""

    def __init__(self, console: Console, *, enabled: bool = True, label: str = "") -> None:
        self._label = label
        self._progress = Progress(
            TextColumn("[bold]{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Pct(),
            _Rate(),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def update(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            name = f"{self._label}{phase}"
            task = self._tasks.get(name)
            if task is None:
                task = self._tasks[name] = self._progress.add_task(name, total=total or None)
            self._progress.update(task, completed=done, total=total or None)

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
