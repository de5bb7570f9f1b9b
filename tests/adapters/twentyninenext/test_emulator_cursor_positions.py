"""29 Next list cursors name a position, as DRF's CursorPagination does, not an offset.

A ``next`` link carries the ordering value of the last row served (``p=``; ``o=`` only to
step over rows sharing it), a ``previous`` link a reverse cursor (``r=1``). So a row
deleted while a client lists moves no other row across the cursor, a row added where the
ordering puts it after the cursor is still listed, and a changed row keeps its place.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from storebridge import _http, http
from storebridge.sandbox import SandboxSize
from storebridge_29next.emulator import TwentyNineNextEmulator
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox

ORIGIN = "https://acme.29next.store"
ORDERS = "/api/admin/orders/"
HISTORICAL = "2015-01-01T00:00:00+00:00"  # before every seeded order: listed after them
HOOK = "http://127.0.0.1:9/hooks"


def _client(emu: TwentyNineNextEmulator) -> _http.Client:
    headers = {"Authorization": f"Bearer {emu.token}"}
    return _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=headers)


@pytest.fixture
def world() -> Iterator[tuple[TwentyNineNextEmulator, _http.Client]]:
    emu = TwentyNineNextEmulator(SandboxSize(seed=4, orders=23), rate_limit=None, page_size=5)
    with _client(emu) as client:
        yield emu, client


def _tokens(link: str) -> dict[str, list[str]]:
    cursor = parse_qs(urlsplit(link).query)["cursor"][0]
    return parse_qs(base64.b64decode(cursor).decode("ascii"), keep_blank_values=True)


def _place(emu: TwentyNineNextEmulator, client: _http.Client, when: str) -> str:
    body = {
        "user": {"id": min(emu.state.users)},
        "lines": [{"product_id": min(emu.state.variants), "quantity": 1}],
        "date_placed": when,
    }
    answer = client.post(ORDERS, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["number"])


def _delete_order(emu: TwentyNineNextEmulator, number: str) -> None:
    # The Admin API deletes no orders: the store loses one as another client's action would.
    with emu.lock:
        record = emu.state.orders.pop(number, None)
        if record is not None:
            emu.state.orders_by_placed.discard(record)
            emu.changed()


def _numbers(page: dict[str, Any]) -> list[str]:
    return [str(row["number"]) for row in page["results"]]


def _newest_first(emu: TwentyNineNextEmulator) -> list[str]:
    return [o.number for o in emu.state.orders_by_placed.span(descending=True)]


# Through the facade ------------------------------------------------------------------------
def test_a_listing_while_orders_are_deleted_created_and_changed_lists_every_survivor_once() -> None:
    sb = Sandbox(orders=100)
    emu = sb.emulator
    served: set[str] = set()
    deleted_after_serving: set[str] = set()
    deleted_unserved: set[str] = set()
    created: list[str] = []

    def meddle(request: http.Request, answer: Any, n: int) -> Any:
        rows = _numbers(answer)
        served.update(rows)
        if rows:
            # A row already served: an offset cursor would then skip a later one.
            _delete_order(emu, rows[0])
            deleted_after_serving.add(rows[0])
        unserved = [number for number in _newest_first(emu) if number not in served]
        if len(unserved) > 3:
            _delete_order(emu, unserved[-2])
            deleted_unserved.add(unserved[-2])
            # A change that keeps the row's placement must not move it.
            with _client(emu) as client:
                patched = client.patch(f"{ORDERS}{unserved[1]}/", json={"tags": ["moved?"]})
                assert patched.status_code == 200, patched.text
                created.append(_place(emu, client, HISTORICAL))
        return answer

    transport = Rewriting(emu.transport(), lambda r: r.url.path == ORDERS, meddle)
    with sb.connect(transport, in_flight=1) as store:  # one cursor, no day windows
        listed = [order.ref for order in store.orders.list()]

    survivors = set(emu.state.orders)
    assert deleted_after_serving and deleted_unserved and created
    assert len(listed) == len(set(listed)), "an order was listed twice"
    assert sorted(survivors - set(listed)) == [], "surviving orders were skipped"
    assert set(created) <= set(listed)
    # A deleted order is listed only when a page held it before it went (the sandbox gives
    # a deleted order's number to a new one: those are survivors).
    assert set(listed) - survivors == deleted_after_serving - survivors


def test_orders_placed_at_one_time_keep_their_places_when_one_of_them_goes() -> None:
    sb = Sandbox(orders=8)
    emu = sb.emulator
    with _client(emu) as client:
        tied = [_place(emu, client, HISTORICAL) for _ in range(40)]
    pages = 0

    def meddle(request: http.Request, answer: Any, n: int) -> Any:
        nonlocal pages
        pages += 1
        served_ties = [number for number in _numbers(answer) if number in tied]
        if served_ties:
            _delete_order(emu, served_ties[-1])
        return answer

    transport = Rewriting(emu.transport(), lambda r: r.url.path == ORDERS, meddle)
    with sb.connect(transport, in_flight=1) as store:
        listed = [order.ref for order in store.orders.list()]

    assert pages >= 3  # the ties span page boundaries
    assert len(listed) == len(set(listed)) == 48
    assert set(emu.state.orders) <= set(listed)


# The cursors themselves --------------------------------------------------------------------
def test_next_links_carry_the_position_of_the_last_row_served(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    emu, client = world
    page = client.get(ORDERS).json()
    last = emu.state.orders[_numbers(page)[-1]]
    assert page["previous"] is None
    assert _tokens(page["next"]) == {"p": [f"{last.date_placed.isoformat()} {last.number}"]}

    users = client.get("/api/admin/users/").json()
    assert _tokens(users["next"]) == {"p": [str(users["results"][-1]["id"])]}
    second = client.get(users["next"]).json()
    assert _tokens(second["previous"]) == {"r": ["1"], "p": [str(second["results"][0]["id"])]}


def test_previous_links_walk_back_over_the_pages_next_links_walked(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    _, client = world
    pages = [client.get(ORDERS).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    assert len(pages) == 5 and sum(len(p["results"]) for p in pages) == 23

    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())
    assert [_numbers(p) for p in reversed(back)] == [_numbers(p) for p in pages]
    # A page reached backwards links forward to the page after it.
    ahead = client.get(back[2]["next"]).json()
    assert _numbers(ahead) == _numbers(back[1])


def test_a_cursor_survives_the_deletion_of_the_row_it_names(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    emu, client = world
    expected = _newest_first(emu)
    page = client.get(ORDERS).json()
    _delete_order(emu, _numbers(page)[-1])
    following = client.get(page["next"]).json()
    assert _numbers(following) == expected[5:10]
    _delete_order(emu, _numbers(following)[0])
    back = client.get(following["previous"]).json()
    assert _numbers(back) == expected[:4]


def test_webhooks_listed_oldest_first_shift_nothing_when_one_is_deleted(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    _, client = world
    made = []
    for _ in range(45):
        answer = client.post(
            "/api/admin/webhooks/", json={"target": HOOK, "events": ["order.created"]}
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    first = client.get("/api/admin/webhooks/").json()
    assert [row["id"] for row in first["results"]] == made[:20]
    assert client.delete(f"/api/admin/webhooks/{made[3]}/").status_code == 204
    newer = client.post("/api/admin/webhooks/", json={"target": HOOK, "events": ["order.created"]})
    rest = client.get(first["next"]).json()
    rest_ids = [row["id"] for row in rest["results"]]
    while rest["next"]:
        rest = client.get(rest["next"]).json()
        rest_ids += [row["id"] for row in rest["results"]]
    assert rest_ids == [*made[20:], newer.json()["id"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "not base64!",
        base64.b64encode(b"hello").decode(),
        base64.b64encode(b"p=not-an-id").decode(),
        base64.b64encode(b"o=-1").decode(),
        base64.b64encode(b"r=maybe").decode(),
    ],
)
def test_an_unreadable_cursor_is_a_404(
    world: tuple[TwentyNineNextEmulator, _http.Client], cursor: str
) -> None:
    _, client = world
    answer = client.get("/api/admin/users/", params={"cursor": cursor})
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Invalid cursor"}


def test_an_order_cursor_names_an_aware_placement(
    world: tuple[TwentyNineNextEmulator, _http.Client],
) -> None:
    _, client = world

    def cursor(position: str) -> str:
        return base64.b64encode(urlencode({"p": position}).encode()).decode()

    naive = cursor("2024-01-01T00:00:00 100001")
    assert client.get(ORDERS, params={"cursor": naive}).status_code == 404
    assert client.get(ORDERS, params={"cursor": cursor("100001")}).status_code == 404
    aware = datetime(2015, 1, 2, tzinfo=UTC).isoformat()
    later = client.get(ORDERS, params={"cursor": cursor(f"{aware} 100001")})
    assert later.status_code == 200 and later.json()["results"] == []
