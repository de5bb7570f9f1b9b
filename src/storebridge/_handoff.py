"""Handing items from one thread to another through a bounded queue."""

from __future__ import annotations

import queue
import threading
from typing import TypeVar

T = TypeVar("T")


def put_unless_stopped(buffer: queue.Queue[T], item: T, stopped: threading.Event) -> bool:
    """Put ``item`` in ``buffer``, waiting for room until ``stopped`` is set (the reader
    is gone: nobody would take it). Whether it was put."""
    while not stopped.is_set():
        try:
            buffer.put(item, timeout=0.05)
        except queue.Full:
            continue
        return True
    return False


__all__ = ["put_unless_stopped"]
