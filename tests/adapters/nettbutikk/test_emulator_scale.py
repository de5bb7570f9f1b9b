"""A 100,000-order 24Nettbutikk sandbox starts and answers its last page (content, not time).

The order listing is what scales; a few customers and products keep the seeding short.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from storebridge import _http
from storebridge.sandbox import SandboxSize
from storebridge_24nettbutikk import NettbutikkEmulator
from tests.support.release import release

ORDERS = 100_000
ORIGIN = "https://big.24nettbutikk.no"


@pytest.fixture(scope="module")
def big() -> Iterator[NettbutikkEmulator]:
    emulator = NettbutikkEmulator(SandboxSize(seed=5, orders=ORDERS, customers=50, products=50))
    yield emulator
    release(emulator)  # see tests.support.release: seconds of garbage collection otherwise


@pytest.fixture(scope="module")
def client(big: NettbutikkEmulator) -> Iterator[_http.Client]:
    raw = base64.b64encode(f"{big.token}:".encode()).decode()
    headers = {"Authorization": f"Basic {raw}"}
    with _http.Client(transport=big.transport(), base_url=ORIGIN, headers=headers) as c:
        yield c


def oldest_first(big: NettbutikkEmulator) -> list[int]:
    ordered = sorted(big.orders, key=lambda o: (big.local(o["modified"]), o["order_no"]))
    return [o["order_no"] for o in ordered]


def test_last_page_holds_the_most_recently_modified(
    big: NettbutikkEmulator, client: _http.Client
) -> None:
    expected = oldest_first(big)
    page = client.get(f"/api/v1/orders/50/{ORDERS - 50}").json()
    assert [int(row["order_no"]) for row in page["data"]] == expected[-50:]
    assert page["paging"] == {"prev": f"{ORIGIN}/api/v1/orders/50/{ORDERS - 100}"}


def test_a_since_window_at_the_end_of_the_store(
    big: NettbutikkEmulator, client: _http.Client
) -> None:
    expected = oldest_first(big)
    by_no = {o["order_no"]: o for o in big.orders}
    since = big.server_unix(by_no[expected[-40]]["modified"])
    inside = [n for n in expected if big.server_unix(by_no[n]["modified"]) >= since]
    assert len(inside) >= 40
    last = (len(inside) - 1) // 50 * 50
    page = client.get(f"/api/v1/orders/50/{last}/{since}").json()
    assert [int(row["order_no"]) for row in page["data"]] == inside[last:]
    assert "next" not in page["paging"]
