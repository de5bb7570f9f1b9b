"""The change feed's ``overlap`` and ``interval``: nonsense is refused before any request.

A negative overlap once passed unchecked: each pass then set its watermark *after* it
started, and a change made just after a pass was skipped by every later pass, silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

import storebridge
from storebridge import ValidationError
from storebridge.changes import Position, Tracker, change_feed
from tests.core.test_change_feed_edges import World as SandboxWorld


class Counted:
    """The sandbox's in-process transport, counting the requests that reach it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = 0

    def handle_request(self, request: Any) -> Any:
        self.requests += 1
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: Any) -> Any:
        self.requests += 1
        return await self.inner.handle_async_request(request)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def counted_world() -> SandboxWorld:
    """A SHOPLINE sandbox store whose transport counts the requests that reach it."""
    return SandboxWorld("shopline", wrap=Counted)


NOT_AN_OVERLAP: list[Any] = [
    timedelta(minutes=-10),  # the sign slip the review found
    timedelta(microseconds=-1),
    timedelta.max,  # reaches back before the year 1
    600,  # seconds? minutes? a timedelta says
    600.0,
    float("nan"),
    None,
    "10m",
    True,
]


@pytest.mark.parametrize("overlap", NOT_AN_OVERLAP, ids=repr)
def test_an_overlap_that_is_not_a_timedelta_of_zero_or_more_is_refused(overlap: Any) -> None:
    w = counted_world()
    for since in (None, w.clock.utcnow(), _a_checkpoint(w)):
        before = w.transport.requests
        with pytest.raises(ValidationError, match="overlap") as raised:
            w.store.changes("orders", since=since, overlap=overlap, now=w.clock.utcnow)
        assert raised.value.field == "overlap"
        assert "timedelta(minutes=10)" in str(raised.value)  # the fix, in the message
        assert w.transport.requests == before  # refused before any request


def _a_checkpoint(w: SandboxWorld) -> Any:
    feed = w.store.changes("orders", now=w.clock.utcnow)
    list(feed)
    return feed.checkpoint


def test_the_async_store_refuses_a_negative_overlap_too() -> None:
    w = counted_world()

    async def check() -> None:
        async with storebridge.connect_async(
            "shopline", transport=w.transport,
            **w.kit.settings("https://sandbox.example"),
        ) as store:  # fmt: skip
            with pytest.raises(ValidationError, match="overlap must not be negative") as raised:
                store.changes("orders", overlap=timedelta(minutes=-10))
            assert raised.value.field == "overlap"

    asyncio.run(check())
    assert w.transport.requests == 0


def test_the_flow_itself_refuses_a_negative_overlap() -> None:
    w = counted_world()
    tracker = Tracker("shopline", "shop", {"orders": Position(watermark=w.clock.utcnow())})
    flow = change_feed(
        w.store.adapter, ("orders",), tracker, overlap=timedelta(minutes=-10),
        now=w.clock.utcnow,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="overlap must not be negative"):
        next(flow)


@pytest.mark.parametrize("overlap", [timedelta(0), timedelta(seconds=1), timedelta(hours=6)])
def test_a_change_right_after_a_pass_comes_with_any_overlap_allowed(overlap: timedelta) -> None:
    w = counted_world()
    now: Callable[[], datetime] = w.clock.utcnow
    feed = w.store.changes("orders", now=now, overlap=overlap)
    assert list(feed) == []
    saved = feed.checkpoint
    w.clock.advance(60)
    edited = w.edit_an_order()
    delivered = []
    for _ in range(3):
        w.clock.advance(60)
        following = w.store.changes("orders", since=saved, now=now, overlap=overlap)
        delivered += [c.ref for c in following]
        saved = following.checkpoint
    assert delivered == [edited]


@pytest.mark.parametrize(
    "interval", [0, -1, float("nan"), float("inf"), "60", None, True], ids=repr
)
def test_an_interval_that_is_not_a_positive_finite_number_is_refused(interval: Any) -> None:
    w = counted_world()
    with pytest.raises(ValidationError, match="interval must be a positive number") as raised:
        w.store.changes("orders", follow=True, interval=interval, now=w.clock.utcnow)
    assert raised.value.field == "interval"
    assert w.transport.requests == 0
