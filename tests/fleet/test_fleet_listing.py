"""The merged listing over a fleet: every record of every store exactly once, tagged."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

import storebridge
from storebridge.fleet import FleetError, StoreSpec, Tagged
from storebridge.profiles import env_name
from storebridge.testing import FakeTime, FaultTransport
from tests.fleet.support import FAST, in_process_specs, layout, served_fleet


def test_ten_stores_on_three_platforms_merge_exactly_once_and_a_401_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = layout(10)
    broken = "29next-3"
    with served_fleet(tmp_path, monkeypatch, stores) as sandboxes:
        monkeypatch.setenv(env_name(broken, "access_token"), "not-the-store-token")
        fleet = storebridge.fleet(
            [name for name, _, _ in stores], config=sandboxes.config, options=FAST
        )
        listing = fleet.orders.list(errors="report")
        merged = list(listing)
        expected = {}
        for name, _, size in stores:
            if name != broken:
                with sandboxes.connect(name) as store:
                    expected[name] = [order.ref for order in store.orders.list()]
                assert len(expected[name]) == size["orders"], name

    assert {platform for _, platform, _ in stores} == {"29next", "shopline", "24nettbutikk"}
    assert all(isinstance(item, Tagged) for item in merged)
    tagged = Counter((item.store, item.record.ref) for item in merged)
    assert set(tagged.values()) == {1}, "an order was yielded twice"
    assert set(tagged) == {(name, ref) for name, refs in expected.items() for ref in refs}
    # A record carries its own store's platform: the tags are not shuffled between stores.
    platforms = dict((name, platform) for name, platform, _ in stores)
    assert all(item.record.platform == platforms[item.store] for item in merged)

    report = listing.report
    assert report is not None
    assert list(report.failed) == [broken]
    failure = report.failed[broken]
    assert failure.status == 401 and failure.kind == "AuthenticationError"
    assert "not-the-store-token" not in report.to_json()
    for name, refs in expected.items():
        assert report[name].ok and report[name].counts == {"orders": len(refs)}
        assert report[name].platform == platforms[name]
    assert report.totals == {"orders": sum(len(refs) for refs in expected.values())}


def test_by_default_failures_raise_after_the_others_finished() -> None:
    specs, _ = in_process_specs(layout(3))
    bad = StoreSpec("bad", platform="29next",
                    settings={"store": "bad", "access_token": "x" * 20},
                    transport=specs[0].transport)  # fmt: skip
    fleet = storebridge.fleet([*specs, bad], options=FAST)
    seen: list[str] = []

    def read_all() -> None:
        for store, _order in fleet.orders.list():
            seen.append(store)

    with pytest.raises(FleetError) as raised:
        read_all()
    assert set(seen) == {spec.name for spec in specs}
    assert Counter(seen) == Counter({s.name: 12 + i for i, s in enumerate(specs)})
    assert list(raised.value.report.failed) == ["bad"]
    assert "bad (AuthenticationError" in str(raised.value)


def test_async_iteration_and_per_store_arguments() -> None:
    specs, _ = in_process_specs(layout(3, orders=20))
    fleet = storebridge.fleet(specs, options=FAST)
    with specs[0].connect() as first:
        newest = sorted(o.updated_at for o in first.orders.list() if o.updated_at)
    cut = newest[len(newest) // 2]

    async def read() -> list[Tagged[storebridge.Order]]:
        listing = fleet.orders.list(updated_since={specs[0].name: cut})
        return [item async for item in listing]

    merged = asyncio.run(read())
    counts = Counter(item.store for item in merged)
    assert counts[specs[1].name] == 21 and counts[specs[2].name] == 22
    first_store = [item.record for item in merged if item.store == specs[0].name]
    assert first_store and len(first_store) < 20
    assert all(order.updated_at and order.updated_at >= cut - timedelta(days=1)
               for order in first_store)  # fmt: skip


def test_sync_listing_works_inside_a_running_loop() -> None:
    specs, _ = in_process_specs(layout(2))

    async def inside() -> int:
        # A notebook or an async app calling the sync API: it must not deadlock.
        return sum(1 for _ in storebridge.fleet(specs, options=FAST).customers.list())

    assert asyncio.run(inside()) > 0


def test_stopping_early_closes_everything() -> None:
    # More orders than the read-ahead buffer holds: readers are waiting when we stop.
    specs, _ = in_process_specs(layout(6, orders=400))
    listing = storebridge.fleet(specs, options=FAST).orders.list()
    taken = []
    for item in listing:
        taken.append(item)
        if len(taken) == 5:
            break
    assert len(taken) == 5
    assert listing.report is None  # never read to the end
    assert not [t for t in threading.enumerate() if t.name == "storebridge-fleet"]


TRANSIENT = ("server_error", "rate_limited", "refused", "reset_before", "reset_after",
             "lost_502", "timeout_after")  # fmt: skip


def test_merged_listing_under_transient_faults_is_still_exact() -> None:
    stores = layout(6, orders=30)
    specs, kits = in_process_specs(stores)
    time = FakeTime()
    faulty = [
        StoreSpec(spec.name, platform=spec.platform, settings=spec.settings,
                  transport=FaultTransport(kits[spec.name].emulator.transport(),
                                           seed=index, rate=0.25, kinds=TRANSIENT))
        for index, spec in enumerate(specs)
    ]  # fmt: skip
    options = time.options(
        rate_limit=storebridge.RateLimit(10_000, 10_000),
        retry=storebridge.RetryPolicy(max_attempts=12, base_delay=0.5, max_delay=8.0),
    )
    fleet = storebridge.fleet(faulty, options=options)
    merged = list(fleet.orders.list(detail=True))
    counts = Counter((item.store, item.record.ref) for item in merged)
    assert set(counts.values()) == {1}
    assert Counter(store for store, _ in counts) == {s: size["orders"] for s, _, size in stores}
    assert all(not item.record.partial for item in merged)
    assert sum(sum(spec.transport.injected.values()) for spec in faulty) > 10


def test_a_failing_progress_callback_ends_the_listing() -> None:
    specs, _ = in_process_specs(layout(2))

    def broken(result: object) -> None:
        raise RuntimeError("callback bug")

    listing = storebridge.fleet(specs, options=FAST).customers.list().on_store_done(broken)
    with pytest.raises(RuntimeError, match="callback bug"):
        list(listing)


class _Halt(BaseException):
    """Not an Exception: what a store's own code may raise past ``except Exception``."""


@pytest.mark.parametrize("where", ["callback", "reading"])
def test_a_base_exception_in_one_store_ends_the_listing_instead_of_hanging(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, _ = in_process_specs(layout(3))
    listing = storebridge.fleet(specs, options=FAST).customers.list()
    if where == "callback":

        def halt(result: object) -> None:
            raise _Halt("from a callback")

        listing.on_store_done(halt)
    else:
        original = type(listing)._records

        def records(self: object, store: object, name: str) -> object:
            if name == specs[1].name:
                raise _Halt("from a reading")
            return original(self, store, name)  # type: ignore[arg-type]

        monkeypatch.setattr(type(listing), "_records", records)

    async def consume() -> None:
        async for _ in listing:
            pass

    # A hang (the old behaviour) becomes a TimeoutError, not a stuck test run.
    with pytest.raises(_Halt, match="from a"):
        asyncio.run(asyncio.wait_for(consume(), timeout=10))
