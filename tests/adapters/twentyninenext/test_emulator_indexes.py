"""29 Next lists answer from indexes exactly what filtering the whole store would, including
orders placed with UTC offsets (whose calendar day is their own) and new users."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta, timezone
from typing import Any

import pytest

from storebridge import _http
from storebridge.sandbox import SandboxSize
from storebridge_29next.emulator import TwentyNineNextEmulator

ORIGIN = "https://acme.29next.store"


@pytest.fixture
def world() -> Iterator[tuple[TwentyNineNextEmulator, _http.Client]]:
    emu = TwentyNineNextEmulator(SandboxSize(seed=8, orders=50), rate_limit=None, page_size=6)
    headers = {"Authorization": f"Bearer {emu.token}"}
    with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=headers) as client:
        yield emu, client


def every_page(client: _http.Client, path: str, params: list[tuple[str, Any]]) -> list[Any]:
    answer = client.get(path, params=params).json()
    rows = list(answer["results"])
    while answer["next"]:
        answer = client.get(answer["next"]).json()
        rows += answer["results"]
    return rows


def test_order_lists_match_a_scan_with_offsets_and_filters(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    emu, client = world
    rng = random.Random(5)
    users = sorted(emu.state.users)
    variants = sorted(emu.state.variants)
    days = sorted({o.date_placed.date() for o in emu.state.orders.values()})

    def place(offset_hours: int) -> None:
        zone = timezone(timedelta(hours=offset_hours))
        day = rng.choice(days)
        when = f"{day.isoformat()}T{rng.choice(('00:30', '12:00', '23:30'))}:00"
        body = {
            "user": {"id": rng.choice(users)},
            "lines": [{"product_id": rng.choice(variants), "quantity": 1}],
            "date_placed": when + zone.tzname(None)[3:] if offset_hours else when + "+00:00",
            "tags": rng.sample(["vip", "gift", "wholesale"], k=rng.randint(0, 2)),
        }
        assert client.post("/api/admin/orders/", json=body).status_code == 201

    def scan(params: dict[str, list[str]], low: date | None, high: date | None) -> list[str]:
        rows = [
            o
            for o in emu.state.orders.values()
            if all(not want or getattr(o, k) in want for k, want in params.items())
            and (low is None or o.date_placed.date() >= low)
            and (high is None or o.date_placed.date() <= high)
        ]
        rows.sort(key=lambda o: (o.date_placed, o.number), reverse=True)
        return [o.number for o in rows]

    for round_, offset in enumerate((0, 0, 13, -11, 5)):
        for _ in range(4):
            place(offset)
        for _ in range(5):
            low, high = sorted(rng.sample(days, 2))
            status = rng.choice(([], ["open"], ["open", "canceled"]))
            params = [("date_placed_from", low.isoformat()), ("date_placed_to", high.isoformat())]
            params += [("status", s) for s in status]
            got = every_page(client, "/api/admin/orders/", params)
            expected = scan({"status": status}, low, high)
            assert [row["number"] for row in got] == expected, (round_, offset, low, high)
    tagged = every_page(client, "/api/admin/orders/", [("tags", "gift")])
    assert {row["number"] for row in tagged} == {
        o.number for o in emu.state.orders.values() if "gift" in o.tags
    }


def test_users_count_their_orders_and_are_found_by_email(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    emu, client = world
    body: dict[str, Any] = {"user": {"email": "New.Buyer@Example.com"}, "lines": []}
    variant = sorted(emu.state.variants)[0]
    body["lines"] = [{"product_id": variant, "quantity": 2}]
    assert client.post("/api/admin/orders/", json=body).status_code == 201
    assert client.post("/api/admin/orders/", json=body).status_code == 201  # same user again
    found = every_page(client, "/api/admin/users/", [("email", "new.buyer@example.com")])
    assert len(found) == 1 and found[0]["orders_count"] == 2
    for user in every_page(client, "/api/admin/users/", []):
        mine = [o for o in emu.state.orders.values() if o.user_id == user["id"]]
        assert user["orders_count"] == len(mine)
    taken = client.post("/api/admin/users/", json={"email": "NEW.buyer@example.com"})
    assert taken.status_code == 400 and "email" in taken.json()
