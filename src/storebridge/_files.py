"""Files written whole or not at all: a part file beside the final path, renamed over it.

A path that is a symlink names the file it points at: that file is the one replaced (the
part file is made beside it and renamed over it) and the link stays, as a shell's ``>``
would leave it. Renaming over the link itself would turn it into a file of its own and
leave the file it pointed at as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

_TRIES = 8


def written_path(path: Path) -> Path:
    """The file a write to ``path`` replaces: the file a symlink there points at (through
    every link in between), else ``path`` itself. ``OSError`` for a loop of links."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop, before Python 3.13
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None


def open_part(path: Path, *, newline: str | None = None) -> tuple[TextIO, Path]:
    """A new file beside ``path`` (beside the file it points at, when it is a symlink: see
    :func:`written_path`), open for writing, and its path (``NAME.XXXXXXXX.part``).

    The name is new for every call and the file is created exclusively: two writers of the
    same ``path`` (overlapping scheduled runs) never write into one part file, and a file
    or link already under that name is never written through. When ``path`` is a file,
    the part file gets its permissions and, where allowed, its group before any data goes
    in: an export kept private (0600, customers' e-mails) stays private, also while it is
    written. Otherwise permissions follow the umask, as for any new file. ``OSError`` when
    the folder cannot hold it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    path = written_path(path)
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
    an error, the data are synced to disk and ``part`` is renamed over ``path`` (over the
    file it points at when it is a symlink, as :func:`open_part` placed ``part``). Any error
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
        os.replace(part, written_path(path))
    except BaseException:
        part.unlink(missing_ok=True)
        raise


__all__ = ["open_part", "replacing", "written_path"]
