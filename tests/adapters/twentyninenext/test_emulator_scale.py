"""A 100,000-order 29 Next sandbox starts and answers its last page (content, not time).

The order listing is what scales; a few customers and products keep the seeding short.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from storebridge import _http
from storebridge.sandbox import SandboxSize
from storebridge_29next.emulator import TwentyNineNextEmulator
from tests.support.release import release

ORDERS = 100_000
ORIGIN = "https://big.29next.store"


@pytest.fixture(scope="module")
def big() -> Iterator[TwentyNineNextEmulator]:
    emulator = TwentyNineNextEmulator(
        SandboxSize(seed=5, orders=ORDERS, customers=50), rate_limit=None
    )
    yield emulator
    release(emulator)  # see tests.support.release: seconds of garbage collection otherwise


@pytest.fixture(scope="module")
def client(big: TwentyNineNextEmulator) -> Iterator[_http.Client]:
    headers = {"Authorization": f"Bearer {big.token}"}
    with _http.Client(transport=big.transport(), base_url=ORIGIN, headers=headers) as c:
        yield c


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode()


def test_last_page_holds_the_oldest_orders(
    big: TwentyNineNextEmulator, client: _http.Client
) -> None:
    newest_first = sorted(big.state.orders.values(), key=lambda o: (o.date_placed, o.number))[::-1]
    size = big.page_size
    last = ORDERS - size
    page = client.get("/api/admin/orders/", params={"cursor": cursor(last)}).json()
    assert [row["number"] for row in page["results"]] == [o.number for o in newest_first[last:]]
    assert page["results"][-1]["number"] == "100001"  # the first order ever placed
    assert page["next"] is None
    back = client.get(page["previous"]).json()
    assert [row["number"] for row in back["results"]] == [
        o.number for o in newest_first[last - size : last]
    ]


def test_a_date_window_at_the_end_of_the_store(
    big: TwentyNineNextEmulator, client: _http.Client
) -> None:
    newest = max(big.state.orders.values(), key=lambda o: (o.date_placed, o.number))
    day = newest.date_placed.date().isoformat()
    expected = sorted(
        (o for o in big.state.orders.values() if o.date_placed.date().isoformat() == day),
        key=lambda o: (o.date_placed, o.number),
        reverse=True,
    )
    page = client.get(
        "/api/admin/orders/", params={"date_placed_from": day, "date_placed_to": day}
    ).json()
    assert [row["number"] for row in page["results"]] == [o.number for o in expected]
    assert page["results"][0]["number"] == newest.number
