"""29 Next listings whose first page looks date-ordered but whose later rows are not: every
record exactly once (the listing is read by one cursor instead of windows), or an error.

The sandbox lists users newest id first. Customers created through the API carry today's
``date_joined`` and come first, so the first page runs newest first; the seeded customers
after them joined on random days. 4 or more requests in flight plan day windows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import storebridge
from storebridge import PayloadError, StorebridgeError
from storebridge.model import CustomerDraft
from storebridge.testing import FaultTransport
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox

# 20 new customers fill the first page; the cursor's next page, read while the windows are
# planned, is out of order. 70 fill the pages read while planning: a window finds it.
CREATED = [20, 70]


def _created(created: int) -> tuple[Sandbox, list[str]]:
    """A sandbox with ``created`` customers made through the API, and every customer's ref."""
    sandbox = Sandbox(orders=40, customers=60)
    with sandbox.connect(in_flight=1) as store:
        for i in range(created):
            store.customers.create(
                CustomerDraft(email=f"new{i}@example.com", first_name="New", last_name="Customer")
            )
        refs = [customer.ref for customer in store.customers.list()]
    assert len(refs) == len(set(refs)) == 60 + created
    return sandbox, refs


def _users_pages(sandbox: Sandbox, since: int) -> list[Any]:
    return [r for r in sandbox.emulator.requests[since:] if r.path == "/api/admin/users/"]


def _planned_windows(pages: list[Any]) -> bool:
    return any("date_joined_to" in r.query for r in pages)


def _windows_read_on(pages: list[Any]) -> bool:
    """A window read past its first page (a window's page reached by a cursor)."""
    return any("date_joined_to" in r.query and "cursor" in r.query for r in pages)


@pytest.mark.parametrize("created", CREATED)
def test_customers_out_of_date_order_are_listed_once_each(created: int) -> None:
    sandbox, truth = _created(created)
    since = len(sandbox.emulator.requests)
    with sandbox.connect(in_flight=8) as store:
        refs = [customer.ref for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)
    pages = _users_pages(sandbox, since)
    assert _planned_windows(pages), "the first page did not look date-ordered"
    assert _windows_read_on(pages) == (created == 70)


@pytest.mark.anyio
@pytest.mark.parametrize("created", CREATED)
async def test_customers_out_of_date_order_in_the_async_facade(created: int) -> None:
    sandbox, truth = _created(created)
    since = len(sandbox.emulator.requests)
    async with storebridge.connect_async(
        "29next",
        transport=sandbox.emulator.transport(),
        options=sandbox.time.options(max_concurrency=8),
        **sandbox.settings,
    ) as store:
        refs = [customer.ref async for customer in store.customers.list()]
    assert Counter(refs) == Counter(truth)
    assert _planned_windows(_users_pages(sandbox, since))


@pytest.mark.parametrize("created", CREATED)
def test_customers_out_of_date_order_under_faults_are_exact_or_an_error(created: int) -> None:
    outcomes: Counter[str] = Counter()
    for rate in (0.1, 0.3):
        for seed in range(1, 7):
            sandbox, truth = _created(created)
            faulty = FaultTransport(sandbox.emulator.transport(), seed=seed, rate=rate)
            with sandbox.connect(faulty, in_flight=8) as store:
                try:
                    refs = [customer.ref for customer in store.customers.list()]
                except StorebridgeError:
                    outcomes[f"error@{rate}"] += 1
                    continue
            assert Counter(refs) == Counter(truth), (created, rate, seed, faulty.injected)
            outcomes[f"exact@{rate}"] += 1
    assert outcomes["exact@0.1"] >= 4, outcomes


def test_a_window_page_with_a_record_after_its_top_day_is_still_an_error() -> None:
    # A row later than the days a window asked for is a wrong answer, not a listing in no
    # date order: it is refused (asked again, then an error), not read around.
    sandbox = Sandbox(orders=300)  # windows of more than a page
    later = "2999-01-01T10:00:00+00:00"
    misdated_pages: list[str] = []

    def misdated(request: Any, body: Any, n: int) -> Any:
        params = request.url.params
        if "cursor" in params and "date_placed_to" in params and len(body["results"]) > 1:
            body["results"][1]["date_placed"] = later
            misdated_pages.append(str(request.url))
        return body

    def window_page(request: Any) -> bool:
        return bool(request.method == "GET" and request.url.path == "/api/admin/orders/")

    transport = Rewriting(sandbox.emulator.transport(), window_page, misdated)
    with sandbox.connect(transport, in_flight=8) as store:
        with pytest.raises(PayloadError, match="outside the days asked for"):
            list(store.orders.list())
    assert len(misdated_pages) > 1  # asked again before the error
