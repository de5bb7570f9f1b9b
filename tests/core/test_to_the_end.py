"""Closing an async store runs to its end when the task closing it is cancelled meanwhile."""

from __future__ import annotations

import asyncio

import pytest

import storebridge
from storebridge._to_the_end import to_the_end
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
