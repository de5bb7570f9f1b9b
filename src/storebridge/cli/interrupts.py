"""Ctrl-C and SIGTERM: a migration stops at once, an export stops between two records.

A KeyboardInterrupt cannot leave the migration engine promptly: its worker pools finish
every queued write of the current phase before the exception gets out. Stopping the
process right away is safe instead, because a migration killed at any point resumes
from its ledger with every record exactly once on the target.

An export to stdout says how many records it wrote when it is interrupted, and that
number must be what the reader got. An interrupt raised inside a write cannot say: the
record may already sit whole in the stream's buffer (it goes out when the command ends)
without having been counted. So while a record is written (:class:`WholeWrites`) the
interrupt waits for the write to end, and the record is counted first.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

from storebridge.cli.output import EXIT_INTERRUPTED


@contextmanager
def stop_at_once_on_interrupt(
    message: Callable[[], str], cleanup: Callable[[], None] | None = None
) -> Iterator[None]:
    """While active, Ctrl-C (or SIGTERM: a scheduler or ``kill`` stopping the job) runs
    ``cleanup``, prints ``message()`` and exits 130 at once."""
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

    # A signal set to be ignored stays ignored; a handler installed outside Python (None
    # here) cannot be put back, so it is left alone.
    chosen = [n for n in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(n) is not None
              and signal.getsignal(n) != signal.SIG_IGN]  # fmt: skip
    previous = {number: signal.signal(number, stop) for number in chosen}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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


class WholeWrites:
    """Marks the writing of one record (``with gate: write; count``): SIGINT or SIGTERM
    arriving then takes effect when the block ends, after the record is written whole and
    counted, instead of in the middle of the write. A second one during the same write
    takes effect at once (the reader may have stopped reading: the user must be able to
    stop the command), and :attr:`cut` says that record may be cut off in the output.

    The handlers are in place only inside :func:`whole_writes`; anywhere else (or outside
    the main thread, where handlers cannot be set) the block changes nothing.
    """

    def __init__(self) -> None:
        self._writing = False
        self._held: int | None = None
        self._previous: dict[int, Any] = {}
        self.cut = False
        """A second interrupt stopped a record in the middle of its write."""

    def __enter__(self) -> WholeWrites:
        self._writing = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._writing = False
        held, self._held = self._held, None
        if held is not None and exc is None:
            self._deliver(held)
        # With an exception on its way out (a closed pipe, a full disk) that one is the
        # outcome, and the command ends anyway.

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._writing and self._held is None:
            self._held = signum
            return
        if self._writing:
            self.cut = True
        self._deliver(signum)

    def _deliver(self, signum: int) -> None:
        """What would have happened without the gate: the handler it stands in for."""
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, None)
        elif previous != signal.SIG_IGN:  # SIG_DFL, or a handler set outside Python
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


@contextmanager
def whole_writes() -> Iterator[WholeWrites]:
    """A :class:`WholeWrites` gate whose handlers of SIGINT and SIGTERM are in place for the
    block, standing in for the handlers already there (which they call)."""
    gate = WholeWrites()
    if threading.current_thread() is not threading.main_thread():
        yield gate  # signal handlers can only be set from the main thread
        return
    for stop in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(stop) != signal.SIG_IGN:  # ignored stays ignored
            gate._previous[stop] = signal.signal(stop, gate._handle)
    try:
        yield gate
    finally:
        for signum, previous in gate._previous.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)


__all__ = ["WholeWrites", "stop_at_once_on_interrupt", "terminate_like_interrupt", "whole_writes"]
