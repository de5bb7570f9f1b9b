"""29 Next stores with back-dated records: every record exactly once by default, or an error.

The sandbox lists users newest id first, as a platform listing by creation does. Records
imported with an earlier date (here: a block of customers whose ``date_joined`` is set back
to 2015, imported oldest first) sit among the others in id order, and each page read shows
them in date order. Day windows stop at the first record under their bottom day, and the
windows below start there: all of them end at the block, and the customers listed after it
would be in no window. So windows are off unless a store's settings turn them on
(``day_windows``), and a store read with many requests in flight reads one cursor.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storebridge
from storebridge import ConfigurationError, StorebridgeError
from storebridge.model import CustomerDraft
from storebridge.testing import FaultTransport
from tests.adapters.twentyninenext.support.sandbox import Sandbox

SEEDED, IMPORTED, NEW = 200, 60, 20


def _back_dated() -> tuple[Sandbox, list[str]]:
    """Seeded customers in date order by id, then a block imported with 2015 dates (oldest
    first), then new ones: every customer's ref."""
    sandbox = Sandbox(orders=10, customers=SEEDED)
    users = sandbox.emulator.state.users
    seeded = sorted(users)
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for i, uid in enumerate(seeded):
        users[uid]["date_joined"] = (start + timedelta(days=i)).isoformat()
    _create(sandbox, "old", IMPORTED)
    block = sorted(set(users) - set(seeded))
    imported = datetime(2015, 1, 1, 12, tzinfo=UTC)
    for i, uid in enumerate(block):
        users[uid]["date_joined"] = (imported + timedelta(days=i)).isoformat()
    _create(sandbox, "new", NEW)
    refs = [str(uid) for uid in users]
    assert len(refs) == SEEDED + IMPORTED + NEW
    return sandbox, refs


def _create(sandbox: Sandbox, prefix: str, count: int) -> None:
    with sandbox.connect(in_flight=1) as store:
        for i in range(count):
            store.customers.create(
                CustomerDraft(email=f"{prefix}{i}@example.com", first_name="A", last_name="B")
            )


def _users_pages(sandbox: Sandbox, since: int, *params: str) -> list[Any]:
    """The customer list pages asked for since request ``since`` with all of ``params``."""
    return [
        r
        for r in sandbox.emulator.requests[since:]
        if r.path == "/api/admin/users/" and all(p in r.query for p in params)
    ]


def _windowed(sandbox: Sandbox, since: int) -> bool:
    return bool(_users_pages(sandbox, since, "date_joined_to"))


def test_a_store_with_back_dated_customers_is_listed_exactly_by_default() -> None:
    sandbox, truth = _back_dated()
    since = len(sandbox.emulator.requests)
    with sandbox.connect(in_flight=8, day_windows=False) as store:
        refs = [customer.ref for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)
    assert not _windowed(sandbox, since), "windows were read without day_windows"


def test_the_default_store_settings_read_one_cursor() -> None:
    sandbox, truth = _back_dated()
    settings = {k: v for k, v in sandbox.settings.items() if k != "day_windows"}
    since = len(sandbox.emulator.requests)
    with storebridge.connect(
        "29next",
        transport=sandbox.emulator.transport(),
        options=sandbox.time.options(max_concurrency=8),
        **settings,
    ) as store:
        refs = [customer.ref for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)
    assert not _windowed(sandbox, since)


@pytest.mark.anyio
async def test_the_async_facade_reads_back_dated_customers_exactly() -> None:
    sandbox, truth = _back_dated()
    async with storebridge.connect_async(
        "29next",
        transport=sandbox.emulator.transport(),
        options=sandbox.time.options(max_concurrency=8),
        **{**sandbox.settings, "day_windows": False},
    ) as store:
        refs = [customer.ref async for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)


@pytest.mark.parametrize("day_windows", [False, True])
def test_back_dated_customers_under_faults_are_exact_or_an_error(day_windows: bool) -> None:
    outcomes: Counter[str] = Counter()
    for rate in (0.1, 0.3):
        for seed in range(1, 5):
            sandbox, truth = _back_dated()
            faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
            with sandbox.connect(faulty, in_flight=8, day_windows=day_windows) as store:
                try:
                    refs = [customer.ref for customer in store.customers.list()]
                except StorebridgeError:
                    outcomes[f"error@{rate}"] += 1
                    continue
            assert Counter(refs) == Counter(truth), (rate, seed, faulty.injected)
            outcomes[f"exact@{rate}"] += 1
    assert outcomes["exact@0.1"] >= 3, outcomes


@pytest.mark.parametrize("value", ["true", 1, None])
def test_day_windows_must_be_a_boolean(value: Any) -> None:
    sandbox = Sandbox(orders=1)
    with pytest.raises(ConfigurationError, match="day_windows must be true or false"):
        sandbox.connect(day_windows=value)


def test_with_windows_on_a_block_of_back_dated_customers_is_caught_and_read_again() -> None:
    # Every window below the block stops at its first record; one page of each such
    # window's days, read with both bounds, holds customers: the listing is read again by
    # one cursor, and each customer comes once.
    sandbox, truth = _back_dated()
    since = len(sandbox.emulator.requests)
    with sandbox.connect(in_flight=8, day_windows=True) as store:
        refs = [customer.ref for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)
    assert _windowed(sandbox, since), "the windows were not read"
    closed = _users_pages(sandbox, since, "date_joined_from", "date_joined_to")
    assert closed, "no window's days were read with both bounds"
