"""Files written whole or not at all: a part file beside the final path, renamed over it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TextIO

_TRIES = 8


def open_part(path: Path, *, newline: str | None = None) -> tuple[TextIO, Path]:
    """A new file beside ``path``, open for writing, and its path (``NAME.XXXXXXXX.part``).

    The name is new for every call and the file is created exclusively: two writers of the
    same ``path`` (overlapping scheduled runs) never write into one part file, and a file
    or link already under that name is never written through. Permissions follow the
    umask, as for any new file. ``OSError`` when the folder cannot hold it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for attempt in range(_TRIES):
        part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(part, flags, 0o666)
        except FileExistsError:
            if attempt == _TRIES - 1:
                raise
            continue
        try:
            return os.fdopen(fd, "w", encoding="utf-8", newline=newline), part
        except BaseException:
            os.close(fd)
            part.unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["open_part"]
