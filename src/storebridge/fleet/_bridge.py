"""Driving the fleet's async machinery from synchronous code.

Each sync call runs its coroutine on a fresh event loop in a helper thread, so it works the
same whether or not the caller already runs a loop (a notebook, an ASGI app). Streams
cross back in batches (whatever the loop has ready), bounded so a slow consumer holds back
the stores instead of buffering them in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from storebridge._handoff import put_unless_stopped

T = TypeVar("T")

_BATCHES_AHEAD = 8
"""Batches the loop may run ahead of a synchronous consumer."""
_CHECK_CANCEL_EVERY = 0.1
"""Seconds between looks at whether the caller's task was cancelled meanwhile."""


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` to completion on a loop of its own; return its result.

    In this thread when no loop runs here; otherwise in a helper thread, since a running
    loop cannot be blocked on.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    outcome: list[tuple[bool, Any]] = []
    state: dict[str, Any] = {}
    loop_ready = threading.Event()

    async def run() -> T:
        state["loop"] = asyncio.get_running_loop()
        state["task"] = asyncio.current_task()
        loop_ready.set()
        return await make()

    ended = threading.Event()

    def main() -> None:
        try:
            outcome.append((True, asyncio.run(run())))
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append((False, exc))
        finally:
            loop_ready.set()
            ended.set()

    thread = threading.Thread(target=main, name="storebridge-fleet", daemon=True)
    thread.start()
    caller = asyncio.current_task()
    # Cancellations delivered before this call (caught, or being cleaned up after) are
    # not this call's to act on: only a new one is.
    already = caller.cancelling() if caller is not None else 0
    try:
        # Woken now and then: under asyncio.run, Ctrl-C does not raise here but cancels
        # the caller's task, which only shows in its cancelling().
        while not ended.wait(_CHECK_CANCEL_EVERY):
            if caller is not None and caller.cancelling() > already:
                raise asyncio.CancelledError
    except BaseException:
        # Ctrl-C (or any exception) in the caller's thread: the work on the helper loop
        # stops too, and its cleanup (stores closed, files not left claiming completeness)
        # is waited for, rather than going on behind the caller's back. (An Event, not
        # Thread.join: a join that Ctrl-C interrupted may take the thread as ended.)
        loop_ready.wait()
        _cancel(state)
        ended.wait()
        raise
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result


class _End:
    """Marks the end of a stream (carrying its error, if it failed)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def iterate_blocking(make: Callable[[], AsyncGenerator[list[T], None]]) -> Iterator[T]:
    """Iterate, synchronously, the items of the async stream of batches ``make()``.

    Stopping early (``break``, closing the iterator, an exception in the consumer) cancels
    the stream and waits for its cleanup, so every store it opened is closed; closed on any
    other thread than the consumer's (by the garbage collector), it is cancelled without
    waiting.
    """
    handoff: queue.Queue[list[T] | _End] = queue.Queue(maxsize=_BATCHES_AHEAD)
    loop_ready = threading.Event()
    state: dict[str, Any] = {}
    stopped = threading.Event()

    def put(item: list[T] | _End) -> None:
        put_unless_stopped(handoff, item, stopped)  # a consumer gone takes nothing more

    async def pump() -> None:
        state["loop"] = asyncio.get_running_loop()
        state["task"] = asyncio.current_task()
        loop_ready.set()
        error: BaseException | None = None
        try:
            # Closed however the loop ends: ``async for`` alone would leave the stream,
            # and the stores it reads, to the loop's shutdown.
            async with contextlib.aclosing(make()) as batches:
                async for batch in batches:
                    try:
                        handoff.put_nowait(batch)
                    except queue.Full:
                        # Waiting in a worker thread keeps this loop serving the other stores.
                        await asyncio.to_thread(put, batch)
        except asyncio.CancelledError:
            return
        except BaseException as exc:  # handed to the consumer
            error = exc
        try:
            await asyncio.to_thread(put, _End(error))
        except asyncio.CancelledError:
            return  # the consumer stopped while the end was on its way: nobody needs it

    def main() -> None:
        try:
            asyncio.run(pump())
        finally:
            loop_ready.set()

    consumer = threading.get_ident()  # the thread that last asked for an item
    thread = threading.Thread(target=main, name="storebridge-fleet", daemon=True)
    thread.start()
    loop_ready.wait()
    finished = False
    try:
        while True:
            batch = handoff.get()
            if isinstance(batch, _End):
                finished = True
                if batch.error is not None:
                    raise batch.error
                return
            for item in batch:
                yield item
                consumer = threading.get_ident()  # an iterator may be handed on
    finally:
        if not finished:
            stopped.set()  # a producer waiting for room gives up
            _cancel(state)
        # Waiting for the cleanup is for the consumer, who may go on to use what it
        # closes. The garbage collector finalizes an abandoned iterator on whichever thread
        # allocates: the stream's own loop (waiting there would wait for itself), a thread
        # its loop waits for (a host name lookup), or one that serves its stores' requests
        # (a loopback sandbox's, holding its lock). There the stream is only cancelled; its
        # loop ends on its own, every store it opened closed.
        if threading.get_ident() == consumer:
            thread.join()


def _cancel(state: dict[str, Any]) -> None:
    loop = state.get("loop")
    task = state.get("task")
    if loop is not None and task is not None:
        # RuntimeError: the loop already finished on its own.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(task.cancel)
