"""A ledger's files: a private copy of what one holds, and removing them all."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_COMPANIONS = ("", "-wal", "-journal")
"""A ledger's file and those that hold committed changes not yet in it (``-shm`` is only
an index of the WAL, rebuilt from it)."""


@contextmanager
def ledger_image(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to what the ledger at ``path`` holds, leaving no file next to it.

    Opening the ledger itself, even read-only, creates its ``-wal`` and ``-shm`` files;
    ``immutable=1`` would not, but it ignores changes still in a WAL left by a killed run.
    So its files are copied, byte for byte, into a private directory and opened there
    (SQLite replays the WAL of the copy). A copy during which they changed (a run writing
    at the same moment) is taken again; if they keep changing, the ledger is read through
    SQLite's locks, which give a consistent view: a live run has those files already.
    """
    if not path.exists():
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="storebridge-plan-") as folder:
        copy = Path(folder) / "ledger.sqlite"
        for _attempt in range(5):
            before = _stat(path)
            for suffix in _COMPANIONS:
                if before[suffix] is not None:
                    shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
            if _stat(path) == before:
                target = copy.as_uri()
                break
            for suffix in _COMPANIONS:
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        else:
            target = f"{path.resolve().as_uri()}?mode=ro"
        image = sqlite3.connect(target, uri=True)
        try:
            yield image
        finally:
            image.close()


def _stat(path: Path) -> dict[str, tuple[int, int] | None]:
    found: dict[str, tuple[int, int] | None] = {}
    for suffix in _COMPANIONS:
        try:
            info = os.stat(f"{path}{suffix}")
        except FileNotFoundError:
            found[suffix] = None
        else:
            found[suffix] = (info.st_size, info.st_mtime_ns)
    return found


def remove_ledger_files(path: str | Path) -> None:
    """Delete a ledger file with its WAL and shared-memory companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            candidate.unlink()


__all__ = ["ledger_image", "remove_ledger_files"]
