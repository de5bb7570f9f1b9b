"""An exclusive lock on a side file, held across threads and processes.

On POSIX systems the lock is ``fcntl.flock`` on the file: it excludes other processes, and
other open files in this process too (each lock holds its own descriptor). On Windows there
is no such lock: ``try_acquire`` always succeeds, and only the process's own threads are
kept apart by the caller's thread lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _lock_file(fd: int) -> bool:
        return True

    def _unlock_file(fd: int) -> None:
        return None

else:
    import fcntl

    def _lock_file(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """An exclusive lock on a side file: excludes other processes and other threads.

    Re-entrant for the thread that holds it (the tokens file is saved inside a refresh),
    and released by that thread. The side file is never deleted: deleting a lock file lets
    two processes lock different files.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._guard = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if not self._guard.acquire(blocking=False):
            return False
        try:
            if self._depth == 0:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    locked = _lock_file(fd)
                except BaseException:
                    os.close(fd)
                    raise
                if not locked:
                    os.close(fd)
                    self._guard.release()
                    return False
                self._fd = fd
        except BaseException:
            self._guard.release()
            raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                _unlock_file(fd)
            finally:
                os.close(fd)
        self._guard.release()


class Held:
    """An exclusive hold on a lock file for as long as one job runs (a migration run on its
    ledger), released from any thread; the file is removed on release, so a finished job
    leaves nothing next to its data. A holder checks, once locked, that the file it locked
    is still the one at the path: one removed meanwhile (its holder finishing) is let go of
    and the path's new file tried, so two holders never lock different files."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def take(cls, path: Path) -> Held | None:
        """The hold on ``path`` (created if missing), or None when another holder has it."""
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if not _lock_file(fd):
                    os.close(fd)
                    return None
                if _same_file(path, fd):
                    return cls(path, fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # removed by a holder that finished: try the path's new file

    def release(self) -> None:
        """Remove the file and let go (again: nothing)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):  # Windows keeps an open file: it stays
                os.unlink(self.path)
            _unlock_file(fd)
        finally:
            os.close(fd)


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


__all__ = ["FileLock", "Held"]
