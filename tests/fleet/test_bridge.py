"""The sync bridge over a fleet's async streams: a consumer that stops at any moment (here,
raising on the very last item) leaves no thread failing behind it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator

import pytest

from storebridge.fleet._bridge import iterate_blocking


class Stop(Exception):
    pass


@pytest.mark.parametrize("attempt", range(20))
def test_a_consumer_raising_on_the_last_item_cancels_quietly(attempt: int) -> None:
    failures: list[BaseException | None] = []
    previous = threading.excepthook

    def record(args: threading.ExceptHookArgs) -> None:
        failures.append(args.exc_value)

    async def stream() -> AsyncGenerator[list[int], None]:
        yield [1, 2]
        await asyncio.sleep(0)
        yield [3]

    def consume() -> None:
        for item in iterate_blocking(stream):
            if item == 3:  # the stream is ending: its end marker is on its way
                raise Stop

    threading.excepthook = record
    try:
        with pytest.raises(Stop):
            consume()
    finally:
        threading.excepthook = previous
    assert failures == []


def test_a_stream_let_go_on_its_own_loop_thread_ends_without_waiting_for_itself() -> None:
    """The garbage collector finalizes an abandoned iterator on whichever thread allocates,
    the stream's own loop thread included. Closing it there waited for that very thread."""
    go = threading.Event()
    closed_there: list[BaseException | None] = []
    cleaned_up = threading.Event()
    iterator: list[Iterator[int]] = []

    async def stream() -> AsyncGenerator[list[int], None]:
        try:
            yield [1]
            while not go.is_set():
                await asyncio.sleep(0.01)
            try:
                iterator[0].close()  # type: ignore[attr-defined]
                closed_there.append(None)
            except BaseException as exc:
                closed_there.append(exc)
            for n in range(2, 100):  # more than the hand-off holds: nobody takes them
                yield [n]
        finally:
            cleaned_up.set()

    def consume() -> None:
        iterator.append(iterate_blocking(stream))
        assert next(iterator[0]) == 1
        go.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(timeout=10)
    assert not consumer.is_alive()
    assert cleaned_up.wait(timeout=10), "the stream was never cancelled"
    assert closed_there == [None]
    assert _loop_threads_end()


def _loop_threads_end() -> bool:
    """Whether the bridge's loop threads are all gone within 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name == "storebridge-fleet"]:
            return True
        time.sleep(0.01)
    return False


def _counting(
    cleanup: Callable[[], Awaitable[object]], cleaned_up: threading.Event
) -> Callable[[], AsyncGenerator[list[int], None]]:
    """A stream of [0], [1], ... whose cleanup (run when it is cancelled) awaits
    ``cleanup()`` and then sets ``cleaned_up``."""

    async def stream() -> AsyncGenerator[list[int], None]:
        try:
            for n in range(100):
                yield [n]
                await asyncio.sleep(0.01)
        finally:
            await cleanup()
            cleaned_up.set()

    return stream


def test_a_stream_closed_off_its_consumers_thread_is_cancelled_without_waiting() -> None:
    """Finalized by the garbage collector on another thread (one serving the stream's own
    requests, say), closing waited for the stream's cleanup, which may need that thread."""
    cleanup_may_end = threading.Event()
    cleaned_up = threading.Event()
    # A cleanup that needs the closing thread: it ends only once that thread has.
    stream = _counting(lambda: asyncio.to_thread(cleanup_may_end.wait, 30), cleaned_up)
    iterator = iterate_blocking(stream)
    assert next(iterator) == 0
    closer = threading.Thread(target=iterator.close)  # type: ignore[attr-defined]
    closer.start()
    closer.join(timeout=10)
    try:
        assert not closer.is_alive(), "closing on another thread waited for the cleanup"
    finally:
        cleanup_may_end.set()
    assert cleaned_up.wait(timeout=10), "the stream was never cancelled"
    assert _loop_threads_end()


def test_a_stream_closed_by_its_consumer_waits_for_its_cleanup() -> None:
    cleaned_up = threading.Event()
    iterator = iterate_blocking(_counting(lambda: asyncio.sleep(0.2), cleaned_up))
    assert next(iterator) == 0
    iterator.close()  # type: ignore[attr-defined]
    assert cleaned_up.is_set()


def test_a_stream_handed_to_another_thread_waits_for_its_cleanup_there() -> None:
    """Waiting for the cleanup follows the thread that last asked for an item: an iterator
    started on a worker and then read and closed on another still closes every store."""
    cleaned_up = threading.Event()
    iterator = iterate_blocking(_counting(lambda: asyncio.sleep(0.2), cleaned_up))
    first: list[int] = []
    starter = threading.Thread(target=lambda: first.append(next(iterator)))
    starter.start()
    starter.join(timeout=10)
    assert first == [0]
    assert next(iterator) == 1
    iterator.close()  # type: ignore[attr-defined]
    assert cleaned_up.is_set()
