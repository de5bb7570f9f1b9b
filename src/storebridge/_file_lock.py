"""An exclusive lock on a side file, held across threads and processes.

On POSIX systems the lock is ``fcntl.flock`` on the file: it excludes other processes, and
other open files in this process too (each lock holds its own descriptor). On Windows there
is no such lock: ``try_acquire`` always succeeds, and only the process's own threads are
kept apart by the caller's thread lock.
"""

from __future__ import annotations

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


def hold_exclusively(path: Path) -> int | None:
    """Lock ``path`` (created if missing) for as long as the returned descriptor is open,
    whichever thread closes it; None when another holder has it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if _lock_file(fd):
            return fd
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def let_go(fd: int) -> None:
    """Release a lock taken by :func:`hold_exclusively`."""
    try:
        _unlock_file(fd)
    finally:
        os.close(fd)


__all__ = ["FileLock", "hold_exclusively", "let_go"]
