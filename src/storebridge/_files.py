"""Files written whole or not at all: a part file beside the final path, renamed over it."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

_TRIES = 8


def open_part(path: Path, *, newline: str | None = None) -> tuple[TextIO, Path]:
    """A new file beside ``path``, open for writing, and its path (``NAME.XXXXXXXX.part``).

    The name is new for every call and the file is created exclusively: two writers of the
    same ``path`` (overlapping scheduled runs) never write into one part file, and a file
    or link already under that name is never written through. When ``path`` is a file,
    the part file gets its permissions and, where allowed, its group before any data goes
    in: an export kept private (0600, customers' e-mails) stays private, also while it is
    written. Otherwise permissions follow the umask, as for any new file. ``OSError`` when
    the folder cannot hold it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    kept = _replaced(path)
    for attempt in range(_TRIES):
        part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            # Owner-only until the kept permissions are set: never wider than either.
            fd = os.open(part, flags, 0o666 if kept is None else 0o600)
        except FileExistsError:
            if attempt == _TRIES - 1:
                raise
            continue
        try:
            if kept is not None:
                _keep(fd, kept)
            return os.fdopen(fd, "w", encoding="utf-8", newline=newline), part
        except BaseException:
            os.close(fd)
            part.unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _replaced(path: Path) -> os.stat_result | None:
    """The status of the regular file ``path`` names (a link followed), if there is one."""
    try:
        status = os.stat(path)
    except OSError:  # nothing there yet (or nothing we may look at): a new file
        return None
    return status if stat.S_ISREG(status.st_mode) else None


def _keep(fd: int, old: os.stat_result) -> None:
    if old.st_gid != os.fstat(fd).st_gid:
        # A group we are not in cannot be given: the new file keeps ours, as `cp` would.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, -1, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)


@contextmanager
def replacing(path: Path, handle: TextIO, part: Path) -> Iterator[TextIO]:
    """``handle`` (on ``part``, from :func:`open_part`) for the block; when it ends without
    an error, the data are synced to disk and ``part`` is renamed over ``path``. Any error
    or interrupt (closing, syncing or renaming included) removes ``part`` and leaves
    ``path`` as it was.

    Synced first: a rename reaches the disk before the data of a file just written unless
    they were, and a crash in between would leave an empty or cut file under ``path``.
    """
    try:
        try:
            yield handle
        except BaseException:
            # Closing flushes, and what made the block fail (a full disk) would fail that
            # too, masking the block's own error: the data are discarded anyway.
            with contextlib.suppress(OSError):
                handle.close()
            raise
        with handle:
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


__all__ = ["open_part", "replacing"]
