"""A listing closed while a batch of its requests is in flight (complete orders: one
request per order, sent side by side) stops those requests with it: none goes on after
the store closed, to fail there and be reported by the event loop as an exception never
retrieved (a CLI export interrupted mid-batch printed that traceback before its error)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any

import storebridge
from storebridge.registry import adapter_class


def test_an_async_listing_closed_mid_batch_leaves_no_request_behind() -> None:
    kit = adapter_class("29next").sandbox(seed=1, orders=120, rate_limit=None, latency=0.02)
    options = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 100))

    async def run(url: str) -> list[dict[str, Any]]:
        reported: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(
            lambda _, context: reported.append(context)
        )
        for stop_at in (20, 33, 46):
            async with storebridge.connect_async(
                "29next", options=options, **kit.settings(url)
            ) as store:
                async with contextlib.aclosing(store.orders.list(detail=True)) as orders:
                    read = 0
                    async for _ in orders:
                        read += 1
                        if read == stop_at:
                            break
            gc.collect()
            await asyncio.sleep(0.1)  # what was left running would fail by now
        gc.collect()
        return reported

    with kit.emulator.serve() as url:
        reported = asyncio.run(run(url))
    assert reported == []
