"""The change feed at its edges: clocks that disagree, fractions of a second, a repeated
DST hour, and a poller whose first pass fails. Each case once lost a change silently."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import storebridge
from storebridge import Address, StorebridgeError
from storebridge.changes import Checkpoint
from storebridge.cli import listen
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

ADDRESS = Address(first_name="Kari", line1="Storgata 1", city="Oslo", postal_code="0155",
                  country="NO")  # fmt: skip


class World:
    """A small sandbox store on fake time; ``wrap`` wraps its transport (to count, say)."""

    def __init__(self, platform: str, start: datetime | None = None, wrap: Any = None) -> None:
        self.clock = FakeClock(start=start) if start is not None else FakeClock()
        self.kit = adapter_class(platform).sandbox(
            seed=3, clock=self.clock, orders=3, customers=2, products=2
        )
        inner = self.kit.emulator.transport()
        self.transport: Any = wrap(inner) if wrap is not None else inner
        self.store = storebridge.connect(
            platform, transport=self.transport,
            options=FakeTime(emulator_clock=self.clock).options(),
            **self.kit.settings("https://sandbox.example"),
        )  # fmt: skip

    def edit_an_order(self) -> str:
        order = next(iter(self.store.orders.list()))
        self.store.orders.update_shipping_address(order.ref, ADDRESS)
        return order.ref


def test_from_now_with_our_clock_ahead_of_the_platform_within_the_overlap() -> None:
    w = World("shopline")
    ahead = lambda: w.clock.utcnow() + timedelta(minutes=2)  # noqa: E731 - a clock
    feed = w.store.changes("orders", now=ahead)
    list(feed)
    saved = feed.checkpoint
    w.clock.advance(5)
    edited = w.edit_an_order()  # stamped 5 s after the platform's now: before ours
    delivered = []
    for _ in range(3):
        w.clock.advance(600)
        following = w.store.changes("orders", since=saved, now=ahead)
        delivered += [c.ref for c in following]
        saved = following.checkpoint
    assert delivered == [edited]


def test_a_change_in_the_second_a_pass_ended_with_no_overlap() -> None:
    w = World("shopline")
    w.clock.advance(0.3)
    feed = w.store.changes("orders", now=w.clock.utcnow, overlap=timedelta(0))
    list(feed)
    saved = feed.checkpoint
    assert saved.positions["orders"].watermark.microsecond == 0  # type: ignore[union-attr]
    w.clock.advance(0.4)  # the same second, which the platform stamps whole
    edited = w.edit_an_order()
    w.clock.advance(60)
    later = w.store.changes("orders", since=saved, now=w.clock.utcnow, overlap=timedelta(0))
    assert [c.ref for c in later] == [edited]


def test_a_resource_the_checkpoint_does_not_cover_yet_starts_without_a_gap() -> None:
    w = World("shopline")
    first = w.store.changes("customers", now=w.clock.utcnow)
    list(first)
    w.clock.advance(0.6)
    both = w.store.changes(("customers", "orders"), since=first.checkpoint, now=w.clock.utcnow)
    edited = w.edit_an_order()  # the second "from now" started in
    assert [c.ref for c in both if c.resource == "orders"] == [edited]


def test_an_edit_in_the_repeated_dst_hour_is_delivered_once() -> None:
    # Oslo, 26 October 2025: 02:00-03:00 local happens twice; 01:20 UTC is the second 02:20.
    w = World("24nettbutikk", start=datetime(2025, 10, 26, 1, 20, tzinfo=UTC))
    since = datetime(2025, 10, 26, 1, 20, tzinfo=UTC)
    feed = w.store.changes("products", since=since, now=w.clock.utcnow)
    assert list(feed) == []
    w.clock.advance(300)  # 02:25 local, the second time: 00:25 or 01:25 UTC on the wire
    emulator: Any = w.kit.emulator
    emulator.touch("products", "1")
    saved = feed.checkpoint
    delivered = []
    for _ in range(3):  # the watermark moves past the edit; it is not delivered again
        following = w.store.changes("products", since=saved, now=w.clock.utcnow)
        delivered += [c.ref for c in following]
        saved = following.checkpoint
        w.clock.advance(900)
    assert delivered == ["1"]


class _FlakyStore:
    """A store whose first feed fails after starting from a position of its own."""

    platform = "toy"

    def __init__(self) -> None:
        self.asked: list[Any] = []
        self.first = Checkpoint("toy", "shop", {})

    def changes(self, *, since: Any) -> Any:
        self.asked.append(since)
        store = self

        class Feed:
            checkpoint = store.first if len(store.asked) == 1 else Checkpoint("toy", "shop", {})

            def __iter__(self) -> Iterator[Any]:
                if len(store.asked) == 1:
                    raise StorebridgeError("the platform is down")
                return iter(())

        return Feed()


def test_listen_goes_on_from_the_failed_pass_not_from_a_new_now(tmp_path: Path) -> None:
    store = _FlakyStore()
    stop = threading.Event()
    state = tmp_path / "state.json"
    waits = iter([False, True])

    class Stop:
        def is_set(self) -> bool:
            return stop.is_set()

        def wait(self, seconds: float) -> bool:
            if next(waits):
                stop.set()
            return stop.is_set()

    listen._poll(store, state, 0.01, Stop(), None)  # type: ignore[arg-type]
    assert store.asked[0] is None  # from now
    assert store.asked[1] is store.first  # where the failed pass started, saved too
    assert state.exists()
