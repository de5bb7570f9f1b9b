"""The change feed: every change exactly once per version, across kills and faults."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storebridge
from storebridge import Address, StorebridgeError, ValidationError
from storebridge.changes import Checkpoint
from storebridge.model import Change, ChangeKind
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime, FaultTransport

PLATFORMS = ("29next", "shopline", "24nettbutikk")
RESOURCES = ("orders", "customers", "products")
SIZES = {"orders": 30, "customers": 12, "products": 9}
LONG_AGO = timedelta(days=3000)


class World:
    def __init__(self, platform: str, rate: float = 0.0, seed: int = 0) -> None:
        self.platform = platform
        self.clock = FakeClock()
        self.time = FakeTime(emulator_clock=self.clock)
        self.sandbox = adapter_class(platform).sandbox(seed=3, clock=self.clock, **SIZES)
        self.faulty = FaultTransport(self.sandbox.emulator.transport(), seed=seed, rate=rate)

    def connect(self) -> storebridge.Store:
        settings = self.sandbox.settings("https://sandbox.example")
        return storebridge.connect(self.platform, transport=self.faulty,
                                   options=self.time.options(), **settings)  # fmt: skip

    def now(self) -> datetime:
        return self.clock.utcnow()

    def versions(self) -> set[tuple[str, str, str]]:
        """Every record version in the store, read fault-free."""
        self.faulty.enabled = False
        try:
            with self.connect() as store:
                found = set()
                for resource in RESOURCES:
                    for item in getattr(store, resource).list():
                        stamp = item.updated_at or item.created_at
                        found.add((resource, item.ref, stamp.astimezone(UTC).isoformat()))
                return found
        finally:
            self.faulty.enabled = True

    def change_some(self, store: storebridge.Store, n: int = 3) -> None:
        """Re-address ``n`` orders through the facade (or the emulator where it cannot)."""
        self.clock.advance(3600)
        self.faulty.enabled = False
        try:
            orders = list(store.orders.list())[:n]
            for order in orders:
                if "orders.update_shipping_address" in store.capabilities:
                    address = Address(first_name="Kari", line1="Storgata 1", city="Oslo",
                                      postal_code="0155", country="NO")  # fmt: skip
                    store.orders.update_shipping_address(order.ref, address)
                else:
                    emulator: Any = self.sandbox.emulator
                    emulator.touch("orders", order.ref)
                self.clock.advance(5)
        finally:
            self.faulty.enabled = True


def _version(change: Change) -> tuple[str, str, str]:
    assert change.occurred_at is not None
    return (change.resource, change.ref, change.occurred_at.astimezone(UTC).isoformat())


def _drain(world: World, since: Any, rng: random.Random) -> tuple[list[Change], Checkpoint]:
    """Read the feed to its end, killing it at random points and resuming from checkpoints."""
    delivered: list[Change] = []
    checkpoint = since
    while True:
        with world.connect() as store:
            feed = store.changes(RESOURCES, since=checkpoint, now=world.now)
            stop_after = rng.randint(1, 12)
            try:
                for change in feed:
                    delivered.append(change)
                    # As a user would: persist the checkpoint, then maybe die.
                    checkpoint = Checkpoint.from_json(change.checkpoint.to_json())
                    stop_after -= 1
                    if stop_after == 0:
                        break
                else:
                    return delivered, Checkpoint.from_json(feed.checkpoint.to_json())
            except StorebridgeError:
                continue  # a fault outlasted the retries: resume from the last checkpoint


@pytest.mark.parametrize("platform", PLATFORMS)
def test_feed_killed_and_resumed_under_faults_yields_every_version_once(platform: str) -> None:
    rng = random.Random(platform)
    world = World(platform, rate=0.15, seed=11)
    truth = world.versions()
    delivered, checkpoint = _drain(world, world.now() - LONG_AGO, rng)
    got = [_version(c) for c in delivered]
    assert len(got) == len(set(got)), "a version was delivered twice"
    assert set(got) == truth
    assert sum(world.faulty.injected.values()) > 0

    with world.connect() as store:
        world.change_some(store)
    after = world.versions()
    more, checkpoint = _drain(world, checkpoint, rng)
    new = [_version(c) for c in more]
    assert len(new) == len(set(new))
    assert set(new) == after - truth  # exactly the new versions: the three orders
    assert {c.resource for c in more} == {"orders"} and len(more) == 3
    assert all(c.kind == ChangeKind.UPDATED for c in more)

    again, _ = _drain(world, checkpoint, rng)
    assert again == []  # nothing changed since: nothing comes


def test_a_checkpoint_from_another_store_is_refused() -> None:
    world = World("shopline")
    with world.connect() as store:
        feed = store.changes("customers", since=world.now() - LONG_AGO, now=world.now)
        list(feed)
        foreign = Checkpoint("29next", "elsewhere.example", feed.checkpoint.positions)
        with pytest.raises(ValidationError, match="belongs to 29next"):
            store.changes("customers", since=foreign)
        with pytest.raises(ValidationError, match="not a storebridge change-feed checkpoint"):
            Checkpoint.from_json("{}")
        with pytest.raises(ValidationError, match="covers orders, customers, products"):
            store.changes("refunds")
        with pytest.raises(ValidationError, match="timezone-aware"):
            store.changes("orders", since=datetime(2026, 1, 1))


def test_the_checkpoint_after_a_pass_moves_the_watermark_and_forgets_old_versions() -> None:
    world = World("shopline")
    with world.connect() as store:
        feed = store.changes("customers", since=world.now() - LONG_AGO, now=world.now)
        assert len(list(feed)) == SIZES["customers"]
        position = feed.checkpoint.positions["customers"]
    assert position.watermark == world.now() - timedelta(minutes=10)
    assert position.pass_started is None
    assert all(stamp >= position.watermark.isoformat() for stamp, _ in position.delivered.values())


def test_follow_polls_on_the_interval() -> None:
    world = World("shopline")
    with world.connect() as store:
        feed = store.changes("orders", since=world.now(), follow=True, interval=30,
                             now=world.now)  # fmt: skip
        world.change_some(store, n=1)
        first = next(feed)
        assert first.resource == "orders" and first.kind == ChangeKind.UPDATED
        waited = list(world.time.sleeps)
        world.change_some(store, n=1)
        second = next(feed)
        assert second.ref != first.ref or second.occurred_at != first.occurred_at
    assert 30 in world.time.sleeps[len(waited) :]


def test_a_change_in_the_second_the_feed_started_is_not_missed() -> None:
    world = World("shopline")  # SHOPLINE stamps whole seconds
    world.clock.advance(0.6)  # the feed starts mid-second
    with world.connect() as store:
        feed = store.changes("orders", now=world.now)
        assert list(feed) == []
        order = next(iter(store.orders.list()))
        address = Address(first_name="Kari", line1="Storgata 1", city="Oslo",
                          postal_code="0155", country="NO")  # fmt: skip
        store.orders.update_shipping_address(order.ref, address)  # same second, stamped .000
        changes = list(store.changes("orders", since=feed.checkpoint, now=world.now))
    assert [(c.ref, c.kind) for c in changes] == [(order.ref, ChangeKind.UPDATED)]


def test_a_listing_read_in_parallel_windows_is_fed_exactly_once_across_kills() -> None:
    """800 SHOPLINE orders are read in created_at windows side by side; the feed still
    hands out Changes, every version once, across kills, resumes and faults."""
    clock = FakeClock()
    sandbox = adapter_class("shopline").sandbox(seed=5, clock=clock, orders=800, customers=3,
                                                products=3)  # fmt: skip
    faulty = FaultTransport(sandbox.emulator.transport(), seed=3, rate=0.1)
    time = FakeTime(emulator_clock=clock)
    settings = sandbox.settings("https://sandbox.example")
    rng = random.Random(5)
    delivered: list[Change] = []
    checkpoint: Any = clock.utcnow() - LONG_AGO
    while True:
        with storebridge.connect("shopline", transport=faulty, options=time.options(),
                                 **settings) as store:  # fmt: skip
            feed = store.changes("orders", since=checkpoint, now=clock.utcnow)
            stop_after = rng.randint(100, 400)
            try:
                for change in feed:
                    assert isinstance(change, Change)
                    delivered.append(change)
                    checkpoint = Checkpoint.from_json(change.checkpoint.to_json())
                    stop_after -= 1
                    if stop_after == 0:
                        break
                else:
                    break
            except StorebridgeError:
                continue
    versions = [_version(c) for c in delivered]
    assert len(versions) == len(set(versions)) == 800
