"""Closing an async store runs to its end when the task closing it is cancelled meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

import storebridge
from storebridge._to_the_end import to_the_end
from storebridge.errors import TransportError
from storebridge.http import MockTransport, Request, Response
from storebridge.registry import adapter_class


def test_the_work_finishes_then_the_cancellation_is_raised() -> None:
    steps: list[str] = []

    async def work() -> str:
        await asyncio.sleep(0.05)
        steps.append("finished")
        return "done"

    async def main() -> None:
        task = asyncio.ensure_future(to_the_end(work()))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0)
        task.cancel()  # twice: a second cancellation does not cut it short either
        with pytest.raises(asyncio.CancelledError):
            await task
        steps.append("cancelled")

    asyncio.run(main())
    assert steps == ["finished", "cancelled"]


def test_without_a_cancellation_it_is_the_work_itself() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    async def main() -> str:
        with pytest.raises(ValueError, match="boom"):
            await to_the_end(fails())
        return await to_the_end(asyncio.sleep(0, result="ok"))

    assert asyncio.run(main()) == "ok"


def test_the_work_cancelled_itself_ends_the_wait() -> None:
    async def main() -> None:
        async def cancelled_inside() -> None:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await to_the_end(cancelled_inside())

    asyncio.run(main())


def test_a_store_whose_close_is_cancelled_still_closes_its_client() -> None:
    kit = adapter_class("24nettbutikk").sandbox(seed=1, orders=2)

    async def main() -> tuple[bool, bool]:
        store = storebridge.connect_async(
            "24nettbutikk",
            transport=kit.emulator.transport(),
            **kit.settings("https://shop.example"),
        )
        client = store._engine.client
        close = client.aclose
        slow = asyncio.Event()

        async def slow_close() -> None:
            slow.set()
            await asyncio.sleep(0.05)  # a connection that takes a moment to shut
            await close()

        client.aclose = slow_close  # type: ignore[method-assign]
        closing = asyncio.ensure_future(store.aclose())
        await slow.wait()
        closing.cancel()  # the fleet stopping this store's reader, a timeout, Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await closing
        return client.is_closed, closing.cancelled()

    closed, cancelled = asyncio.run(main())
    assert closed, "the client was left open"
    assert cancelled


def test_a_failure_after_the_cancellation_still_raises_the_cancellation() -> None:
    """A close that fails once its caller was cancelled: the caller gets the cancellation
    (a fleet waits for its cancelled readers; an ordinary error there read as a store's
    failure, and the reader then waited forever for room in a queue nobody reads)."""

    async def fails_late() -> None:
        await asyncio.sleep(0.05)
        raise OSError("the connection broke while closing")

    async def main() -> int:
        task = asyncio.ensure_future(to_the_end(fails_late()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelling()

    assert asyncio.run(main()) == 1


def test_a_timeout_around_a_store_close_cuts_its_wait_for_requests_read_ahead() -> None:
    """A store waits, as it closes, for the requests it started reading ahead. Cancelled
    meanwhile (here by ``asyncio.timeout``), it cancels them and closes at once, rather
    than holding the timeout up for as long as they take."""
    kit = adapter_class("24nettbutikk").sandbox(seed=1, customers=300)
    inner = kit.emulator.transport()
    answered: list[str] = []

    async def slow_after_the_first(request: Request) -> Response:
        if answered:
            await asyncio.sleep(60)  # a read-ahead page the server is slow to answer
        answered.append(str(request.url))
        return await inner.handle_async_request(request)

    async def main() -> tuple[float, bool]:
        store = storebridge.connect_async(
            "24nettbutikk",
            transport=MockTransport(slow_after_the_first),
            options=storebridge.StoreOptions(timeout=20.0),
            **kit.settings("https://shop.example"),
        )
        listing = store.customers.list()
        await anext(listing)  # the first page is in; pages after it are on the wire
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await store.aclose()
        elapsed = time.monotonic() - started
        await listing.aclose()
        return elapsed, store._engine.client.is_closed

    elapsed, closed = asyncio.run(main())
    assert closed
    assert elapsed < 5, f"the close held a 0.3 s timeout up for {elapsed:.1f} s"


def test_a_listing_in_another_task_raises_when_the_store_closes_under_it() -> None:
    """The close hurries by cancelling the requests read ahead, and a listing another task
    still reads waits for some of them: it must fail with an error, not end as cancelled
    (nobody cancelled its task; in a TaskGroup that read as a clean end, records lost)."""
    kit = adapter_class("24nettbutikk").sandbox(seed=1, orders=400)
    inner = kit.emulator.transport()

    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.2)
        return await inner.handle_async_request(request)

    async def main() -> list[BaseException]:
        store = storebridge.connect_async(
            "24nettbutikk",
            transport=MockTransport(slow),
            options=storebridge.StoreOptions(timeout=20.0),
            **kit.settings("https://shop.example"),
        )
        read: list[str] = []

        async def reader() -> None:
            async for order in store.orders.list():
                read.append(order.ref)

        async def close_while_it_reads() -> None:
            async with asyncio.TaskGroup() as group:
                group.create_task(reader())
                while not store._engine._background:  # its read-ahead is on the wire
                    await asyncio.sleep(0.01)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await store.aclose()

        try:
            await close_while_it_reads()
        except ExceptionGroup as failed:
            errors = list(failed.exceptions)
        else:
            errors = []  # the listing ended as if complete: the loss this test is about
        assert len(read) < 400
        return errors

    errors = asyncio.run(main())
    assert [type(error) for error in errors] == [TransportError], errors
    assert "closed while this listing was still reading" in str(errors[0])
