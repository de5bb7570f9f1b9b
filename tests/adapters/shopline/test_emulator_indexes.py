"""SHOPLINE lists answer from indexes exactly what filtering the whole store would, after
updates, cancellations, refunds and historical orders created out of time order."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storebridge import _http
from storebridge.payload import parse_iso_datetime
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge_shopline.emulator import ShoplineEmulator

ORIGIN = "https://acme.myshopline.com"
API = "/admin/openapi/v20260301"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[tuple[ShoplineEmulator, _http.Client, FakeClock]]:
    clock = FakeClock(START)
    emu = ShoplineEmulator(SandboxSize(seed=4, orders=40, clock=clock), rate_limit=False)
    token, _ = emu.issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=headers) as client:
        yield emu, client, clock


def matches(order: dict[str, Any], filters: dict[str, str]) -> bool:
    """The filters as a scan of every order applies them."""
    status = filters.get("status") or "open"
    if status != "any" and order["status"] != status:
        return False
    financial = filters.get("financial_status")
    if financial and financial != "any" and order["financial_status"] != financial:
        return False
    for field in ("created_at", "updated_at"):
        stamp = parse_iso_datetime(order[field])
        low, high = filters.get(f"{field}_min"), filters.get(f"{field}_max")
        if low and stamp < parse_iso_datetime(low):
            return False
        if high and stamp > parse_iso_datetime(high):
            return False
    since = filters.get("since_id")
    if since and int(order["id"]) <= int(since):
        return False
    ids = filters.get("ids")
    return not (ids and order["id"] not in ids.split(","))


def every_page(client: _http.Client, params: dict[str, str]) -> list[str]:
    answer = client.get(f"{API}/orders.json", params={**params, "limit": "7"})
    seen: list[str] = []
    while True:
        assert answer.status_code == 200, answer.text
        seen += [o["id"] for o in answer.json()["orders"]]
        found = re.search(r'<([^>]+)>;\s*rel="next"', answer.headers.get("link", ""))
        if not found:
            return seen
        answer = client.get(found.group(1))


def test_filtered_lists_and_counts_match_a_scan_after_changes(
    world: tuple[ShoplineEmulator, _http.Client, FakeClock],
) -> None:
    emu, client, clock = world
    rng = random.Random(11)
    variant = next(iter(emu.products.values()))["variants"][0]["id"]
    for step in range(25):
        if step % 5 == 0:
            check_queries(emu, client, rng)  # indexes built now must follow later changes
        clock.advance(rng.choice((30, 600, 3600)))
        ref = rng.choice(sorted(emu.orders))
        action = step % 4
        if action == 0:
            body = {"order": {"note": f"step {step}"}}
            assert client.put(f"{API}/orders/{ref}.json", json=body).status_code == 200
        elif action == 1 and emu.orders[ref]["status"] == "open":
            assert client.post(f"{API}/orders/{ref}/cancel.json", json={}).status_code == 200
        else:
            # Historical imports arrive with creation times anywhere in the past.
            when = START - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 999))
            order = {
                "line_items": [{"variant_id": variant, "quantity": 1}],
                "processed_at": when.isoformat(),
                "financial_status": rng.choice(("paid", "unpaid")),
            }
            assert client.post(f"{API}/orders.json", json={"order": order}).status_code == 200
    check_queries(emu, client, rng)


def check_queries(emu: ShoplineEmulator, client: _http.Client, rng: random.Random) -> None:
    stamps = sorted({o[f] for o in emu.orders.values() for f in ("created_at", "updated_at")})
    ids = sorted(emu.orders, key=int)
    queries: list[dict[str, str]] = [
        {},
        {"status": "any"},
        {"status": "cancelled"},
        {"status": "any", "financial_status": "unpaid"},
        {"status": "any", "since_id": ids[len(ids) // 3]},
        {"status": "any", "ids": ",".join(rng.sample(ids, 9))},
    ]
    for _ in range(6):
        low = rng.choice(stamps)
        high = rng.choice([s for s in stamps if parse_iso_datetime(s) >= parse_iso_datetime(low)])
        field = rng.choice(("created_at", "updated_at"))
        queries.append({"status": "any", f"{field}_min": low, f"{field}_max": high})
        queries.append({f"{field}_min": low, "created_at_max": rng.choice(stamps)})
    for filters in queries:
        expected = sorted((o["id"] for o in emu.orders.values() if matches(o, filters)), key=int)
        assert every_page(client, filters) == expected, filters
        count = client.get(f"{API}/orders/count.json", params=filters).json()["count"]
        assert count == len(expected), filters
