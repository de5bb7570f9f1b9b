"""A 100,000-order SHOPLINE sandbox starts and answers its last page (content, not time).

The order listing is what scales; a few customers and products keep the seeding short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from storebridge import _http
from storebridge.sandbox import SandboxSize
from storebridge_shopline.emulator import ShoplineEmulator
from tests.support.release import release

ORDERS = 100_000
ORIGIN = "https://big.myshopline.com"
API = "/admin/openapi/v20260301"


@pytest.fixture(scope="module")
def big() -> Iterator[ShoplineEmulator]:
    emulator = ShoplineEmulator(
        SandboxSize(seed=5, orders=ORDERS, customers=50, products=50), rate_limit=False
    )
    yield emulator
    release(emulator)  # see tests.support.release: seconds of garbage collection otherwise


@pytest.fixture(scope="module")
def client(big: ShoplineEmulator) -> Iterator[_http.Client]:
    token, _ = big.issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    with _http.Client(transport=big.transport(), base_url=ORIGIN, headers=headers) as c:
        yield c


def links(response: _http.Response) -> dict[str, str]:
    found = re.findall(r'<([^>]+)>;\s*rel="(\w+)"', response.headers.get("link", ""))
    return {rel: url for url, rel in found}


def test_last_page_by_since_id(big: ShoplineEmulator, client: _http.Client) -> None:
    by_id = sorted(big.orders, key=int)
    assert len(by_id) == ORDERS
    first = client.get(
        f"{API}/orders.json", params={"status": "any", "limit": 100, "since_id": by_id[-201]}
    )
    assert [o["id"] for o in first.json()["orders"]] == by_id[-200:-100]
    assert set(links(first)) == {"next"}
    last = client.get(links(first)["next"])
    assert [o["id"] for o in last.json()["orders"]] == by_id[-100:]
    assert set(links(last)) == {"previous"}
    back = client.get(links(last)["previous"])
    assert [o["id"] for o in back.json()["orders"]] == by_id[-200:-100]


def test_a_created_window_at_the_end_counts_and_lists(
    big: ShoplineEmulator, client: _http.Client
) -> None:
    newest = big.orders[max(big.orders, key=int)]
    low = big.orders[sorted(big.orders, key=int)[-30]]["created_at"]
    params = {"status": "any", "created_at_min": low, "created_at_max": newest["created_at"]}
    count = client.get(f"{API}/orders/count.json", params=params).json()["count"]
    listed = client.get(f"{API}/orders.json", params={**params, "limit": 100}).json()["orders"]
    assert count == len(listed) == 30
    assert listed[-1]["id"] == newest["id"]
