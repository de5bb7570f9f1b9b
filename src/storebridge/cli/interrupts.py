"""Ctrl-C during a migration: stop at once, say how to continue, exit 130.

A KeyboardInterrupt cannot leave the migration engine promptly: its worker pools finish
every queued write of the current phase before the exception gets out. Stopping the
process right away is safe instead, because a migration killed at any point resumes
from its ledger with every record exactly once on the target.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from storebridge.cli.output import EXIT_INTERRUPTED


@contextmanager
def stop_at_once_on_interrupt(
    message: Callable[[], str], cleanup: Callable[[], None] | None = None
) -> Iterator[None]:
    """While active, Ctrl-C runs ``cleanup``, prints ``message()`` and exits 130 at once."""
    if threading.current_thread() is not threading.main_thread():
        # Signal handlers can only be set from the main thread; elsewhere keep Python's.
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        try:
            if cleanup is not None:
                cleanup()
            sys.stdout.flush()
            sys.stderr.write("\n" + message() + "\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def terminate_like_interrupt() -> Iterator[None]:
    """While active, SIGTERM (a scheduler or ``kill`` stopping the job) interrupts the
    command as Ctrl-C does, so it cleans up as it does then: an export removes its part
    file and says nothing was written, instead of dying with the file left behind."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


__all__ = ["stop_at_once_on_interrupt", "terminate_like_interrupt"]
