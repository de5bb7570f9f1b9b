"""Cleanup that a cancellation cannot cut short, and producers that stop when cancelled.

Closing an async store waits for its last requests, then closes its HTTP client. If the
task closing it is cancelled meanwhile (a fleet stopping its readers when the consumer
leaves, an ``asyncio.timeout`` around ``async with``, Ctrl-C), an ordinary ``await`` stops
halfway: the client is never closed and its connections stay open until the process exits
(``ResourceWarning: unclosed transport``). Here the cleanup runs to its end in a task of
its own, and the cancellation is raised once it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def to_the_end(work: Coroutine[Any, Any, T], *, hurry: Callable[[], None] | None = None) -> T:
    """Await ``work`` to its end even if this task is cancelled meanwhile, then raise the
    cancellation: the caller was stopped, so what ``work`` returned or raised after that is
    dropped (looked at, so asyncio logs nothing). ``work`` itself cancelled (the loop
    shutting down) ends the wait at once.

    A cancellation is a request to stop soon: ``hurry()``, called at the first one, makes
    ``work`` finish quickly (a store cancels the requests it was waiting for), so a timeout
    around the close still bounds it.
    """
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if task.cancelled():
                raise
            if cancelled is None and hurry is not None:
                hurry()
            cancelled = exc  # this task was cancelled, not the work: wait on
        except BaseException:
            if cancelled is None:
                raise  # the work's own error, with nobody cancelling: the caller's to see
    if cancelled is not None:
        if not task.cancelled():
            task.exception()
        raise cancelled
    return task.result()


def stop_if_cancelling(cause: BaseException | None = None) -> None:
    """Raise ``CancelledError`` (from ``cause``) if this task has been asked to stop.

    For a producer about to hand its reader a result (an error, its end): once cancelled,
    its reader is gone, and a put into a full queue nobody reads would never return.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from cause


__all__ = ["stop_if_cancelling", "to_the_end"]
