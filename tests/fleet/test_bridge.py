"""The sync bridge over a fleet's async streams: a consumer that stops at any moment (here,
raising on the very last item) leaves no thread failing behind it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

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

    async def stream() -> AsyncIterator[list[int]]:
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
