"""The engine streams: the reader never runs ahead of the writers, what later phases need
lives in the ledger, and writes in flight follow the target's pacer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge._ratelimit import CLIENT_SHARE
from storebridge.migrate.streaming import READ_AHEAD, ReadAhead, WriteBudget, WritePool
from storebridge.store import Store
from storebridge.testing import FakeTime
from tests.migrate.support import TOKEN, InFlight, ledger_rows, shop
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


class PagesAtWrites(_http.BaseTransport):
    """Records, at every order write, how many source order pages had been requested."""

    def __init__(self, inner: Any, source: ToyShopEmulator) -> None:
        self.inner = inner
        self.source = source
        self.pages_at_write: list[int] = []
        self._lock = threading.Lock()

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method == "POST" and request.url.path == "/orders":
            with self.source.lock:
                pages = sum(
                    1 for r in self.source.requests if r.method == "GET" and r.path == "/orders"
                )
            with self._lock:
                self.pages_at_write.append(pages)
        response: _http.Response = self.inner.handle_request(request)
        return response


def test_the_reader_stays_a_bounded_distance_ahead_of_the_writers(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator(latency=0.002)
    source.seed(customers=6, products=4, orders=400)  # 80 pages of 5 orders
    watch = PagesAtWrites(target.transport(), source)
    with (
        shop(source, "src") as s,
        storebridge.connect(
            "toyshop", base_url="https://dst.example", token=TOKEN, transport=watch
        ) as t,
    ):
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", concurrency=2)
    assert report.status == "PASS", report.summary()
    assert len(watch.pages_at_write) == 400
    for written, pages in enumerate(watch.pages_at_write):
        # Pages read so far cover the writes done, the 2 in flight and the records read
        # ahead, plus the page being read -- never the whole store.
        assert pages <= (written + 2 + READ_AHEAD) // 5 + 2, (written, pages)
    assert watch.pages_at_write[0] < 60  # of 80: the first write does not wait for all


def test_later_phases_find_customers_and_variants_in_the_ledger(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=10)
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        first = storebridge.migrate(s, t, ledger=ledger, resources=("customers", "products"))
        # A separate run, with nothing carried over in memory: the maps are in SQLite.
        second = storebridge.migrate(s, t, ledger=ledger, resources=("orders",))
    assert first.status == second.status == "PASS", second.summary()
    copied = list(target.tables["orders"].values())
    assert len(copied) == 10 and all(o["customer"] for o in copied)
    variants = {v["id"] for p in target.tables["products"].values() for v in p["variants"]}
    assert all(line["variant_id"] in variants for o in copied for line in o["lines"])
    emails = ledger_rows(ledger, "SELECT count(*) FROM target_index WHERE kind = 'email'")
    skus = ledger_rows(ledger, "SELECT count(*) FROM target_index WHERE kind = 'sku'")
    assert emails == [(6,)] and skus == [(8,)]


@pytest.mark.parametrize(("pacer", "override", "peak"), [(3, None, 3), (3, 1, 1), (1, 5, 5)])
def test_writes_in_flight_follow_the_target_unless_overridden(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pacer: int,
    override: int | None,
    peak: int,
) -> None:
    monkeypatch.setattr(Store, "concurrency", property(lambda self: pacer))
    source, target = ToyShopEmulator(), ToyShopEmulator(latency=0.02)
    source.seed(customers=12, products=4, orders=30)
    counting = InFlight(target.transport())
    with (
        shop(source, "src") as s,
        storebridge.connect(
            "toyshop", base_url="https://dst.example", token=TOKEN, transport=counting,
            options=storebridge.StoreOptions(max_concurrency=64),
        ) as t,
    ):  # fmt: skip
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", concurrency=override)
    assert report.status == "PASS", report.summary()
    assert counting.peak["POST"] == peak


def test_write_starts_wait_with_the_budgets_own_sleep_and_clock() -> None:
    time_ = FakeTime()
    budget = WriteBudget(2.0, 3, clock=time_.clock, sleep=time_.sleep)
    done: list[int] = []
    pool = WritePool(lambda: 1, budget)
    for n in range(5):
        pool.submit(lambda n=n: done.append(n))  # type: ignore[misc]
    pool.drain()
    pool.close()
    # Burst 3 - 2 = 1 start at once, then one every 1 / (2 x 0.97) s, all in fake time.
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert len(time_.sleeps) == 4
    assert sum(time_.sleeps) == pytest.approx(4 / (2 * CLIENT_SHARE), rel=1e-6)


def test_a_migration_paces_its_writes_with_the_targets_sleep(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=4, products=4, orders=4)
    time_ = FakeTime()
    waits: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        waits.append((threading.current_thread().name, seconds))
        time_.sleep(seconds)

    options = time_.options(sleep=sleep, rate_limit=storebridge.RateLimit(per_second=2, burst=3))
    started = time_.now
    with shop(source, "src") as s, shop(target, "dst", options=options) as t:
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite", verify=False)
    assert report.status == "PASS", report.summary()
    # The reader thread starts the writes; only the write budget sleeps there on the
    # target's behalf (its own requests wait on the writer threads). How many of those
    # waits there are depends on the threads: every sleep moves the one fake clock, so a
    # writer's wait can refill the budget before the reader asks.
    starts = [seconds for name, seconds in waits if name == threading.main_thread().name]
    assert starts and all(seconds > 0 for seconds in starts)
    # 12 writes at 2/s, 1 at once: the pacing took its time on the fake clock, not the wall.
    assert time_.now - started >= (12 - 1) / (2 * CLIENT_SHARE) - 1e-6


def test_a_read_ahead_closed_off_its_owners_thread_does_not_wait_for_its_reader() -> None:
    """Finalized by the garbage collector on a source store's request thread, closing
    joined the reader, which may wait for an answer that needs that very thread."""
    source_answers = threading.Event()

    def records() -> Iterator[int]:
        yield 1
        source_answers.wait(30)  # the next page, which needs the closing thread
        yield 2

    listing = iter(ReadAhead(records(), size=1))
    assert next(listing) == 1
    closer = threading.Thread(target=listing.close, daemon=True)  # type: ignore[attr-defined]
    closer.start()
    closer.join(timeout=10)
    source_answers.set()
    assert not closer.is_alive(), "closing on another thread waited for the reader"


def test_a_read_ahead_closed_by_its_owner_waits_for_its_reader() -> None:
    reader_done = threading.Event()

    def records() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            reader_done.set()

    ahead = ReadAhead(records(), size=1)
    listing = iter(ahead)
    assert next(listing) == 1
    ahead.close()
    assert reader_done.is_set()
