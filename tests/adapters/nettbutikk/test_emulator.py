"""The 24Nettbutikk emulator behaves as the research notes describe the real shop API."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from storebridge import _http
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge_24nettbutikk import NettbutikkEmulator

TOKEN = "emu-24nb-token-77aa"
ORIGIN = "https://acme.24nettbutikk.no"


def emulator(**options: Any) -> NettbutikkEmulator:
    size = SandboxSize(
        seed=11, orders=9, customers=4, products=4,
        clock=FakeClock(datetime(2026, 6, 1, tzinfo=UTC)),
    )  # fmt: skip
    return NettbutikkEmulator(size, token=TOKEN, **options)


def basic(password: str = "x-oauth-basic", user: str = TOKEN) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def emu() -> NettbutikkEmulator:
    return emulator()


@pytest.fixture
def client(emu: NettbutikkEmulator) -> Iterator[_http.Client]:
    with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
        yield c


def test_both_basic_passwords_and_the_query_parameter_authenticate(emu: NettbutikkEmulator) -> None:
    with _http.Client(transport=emu.transport(), base_url=ORIGIN) as c:
        assert c.get("/api/v1/orders", headers=basic("")).status_code == 200
        assert c.get("/api/v1/orders", headers=basic()).status_code == 200
        assert c.get("/api/v1/orders", params={"access_token": TOKEN}).status_code == 200
        for headers in (
            basic("secret"),
            basic(user="other"),
            {},
            {"Authorization": "Bearer " + TOKEN},
        ):
            denied = c.get("/api/v1/orders", headers=headers)
            assert denied.status_code == 401
            assert denied.headers["www-authenticate"].startswith("Basic")


def test_list_envelope_and_absolute_paging_links(client: _http.Client) -> None:
    first = client.get("/api/v1/orders/4/0", params={"flat": "1"}).json()
    assert len(first["data"]) == 4
    assert "prev" not in first["paging"]
    assert first["paging"]["next"] == f"{ORIGIN}/api/v1/orders/4/4"  # flat is not carried
    middle = client.get("/api/v1/orders/4/4/100").json()
    assert middle["paging"] == {
        "prev": f"{ORIGIN}/api/v1/orders/4/0/100",
        "next": f"{ORIGIN}/api/v1/orders/4/8/100",
    }
    last = client.get("/api/v1/orders/4/8").json()
    assert len(last["data"]) == 1 and last["paging"] == {"prev": f"{ORIGIN}/api/v1/orders/4/4"}
    everything = client.get("/api/v1/orders/100/0").json()
    assert everything["paging"] == []
    assert client.get("/api/v1/orders").json()["paging"] == []


def test_links_carry_access_token_and_callback(emu: NettbutikkEmulator) -> None:
    with _http.Client(transport=emu.transport(), base_url=ORIGIN) as c:
        text = c.get("/api/v1/orders/4/0", params={"access_token": TOKEN, "callback": "cb"}).text
    assert text.startswith("cb(") and text.endswith(");")
    body = json.loads(text[3:-2])
    link = _http.URL(body["paging"]["next"])
    assert link.params["access_token"] == TOKEN and link.params["callback"] == "cb"


def test_single_order_is_a_one_element_array_and_unknown_is_404(
    client: _http.Client, emu: NettbutikkEmulator
) -> None:
    wanted = emu.orders[3]["order_no"]
    data = client.get(f"/api/v1/orders/{wanted}").json()["data"]
    assert [row["order_no"] for row in data] == [str(wanted)]
    assert data[0]["order_lines"][0]["order_no"] == str(wanted)
    for path in ("/api/v1/orders/424242", "/api/v1/orders/abc", "/api/v1/nothing"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.content == b""


@pytest.mark.parametrize("path", ["/api/v1/orders/x/0", "/api/v1/orders/10/-1",
                                  "/api/v1/orders/0/0", "/api/v1/orders/1/2/3/4/5"])  # fmt: skip
def test_bad_segments_are_400_with_an_empty_body(client: _http.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400 and answer.content == b""


def test_head_reports_last_modified_without_a_body(
    client: _http.Client, emu: NettbutikkEmulator
) -> None:
    for resource in ("orders", "products", "customers"):
        answer = client.head(f"/api/v1/{resource}")
        assert answer.status_code == 200 and answer.content == b""
        stamp = parsedate_to_datetime(answer.headers["last-modified"])
        newest = max(r["modified"] for r in emu.table(resource))
        assert stamp == datetime.fromtimestamp(int(newest), UTC)
    only_orders = emulator(head_on_all=False)
    with _http.Client(transport=only_orders.transport(), base_url=ORIGIN, headers=basic()) as c:
        assert c.head("/api/v1/orders").status_code == 200
        assert c.head("/api/v1/products").status_code == 405


def test_empty_list_switch() -> None:
    for mode, status in (("empty", 200), ("404", 404)):
        emu = emulator(empty_list=mode)
        with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
            answer = c.get("/api/v1/orders/10/0/2000000000")
        assert answer.status_code == status
        if status == 200:
            assert answer.json() == {"data": [], "paging": []}


def test_since_until_bounds_switch() -> None:
    for bounds in ("inclusive", "exclusive"):
        emu = emulator(bounds=bounds)
        record = emu.orders[2]
        at = emu.server_unix(record["modified"])
        with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
            rows = c.get(f"/api/v1/orders/100/0/{at}/{at}").json()["data"]
        keys = [row["order_no"] for row in rows]
        assert (str(record["order_no"]) in keys) is (bounds == "inclusive")


def test_sort_switch() -> None:
    for sort in ("modified", "key", "newest"):
        emu = emulator(sort=sort)
        with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
            rows = c.get("/api/v1/orders/100/0").json()["data"]
        keys = [int(row["order_no"]) for row in rows]
        stamps = [row["modified_on"] for row in rows]
        if sort == "key":
            assert keys == sorted(keys)
        else:
            assert stamps == sorted(stamps, reverse=sort == "newest")


def test_encoding_switch_keeps_norwegian_letters(emu: NettbutikkEmulator) -> None:
    name = "Bjørn Sæther på Åsen"
    emu.customers[0]["first_name"] = name
    latin = emulator(encoding="latin-1")
    latin.customers[0]["first_name"] = name
    for emu_, charset in ((emu, "utf-8"), (latin, "latin-1")):
        with _http.Client(transport=emu_.transport(), base_url=ORIGIN, headers=basic()) as c:
            answer = c.get("/api/v1/customers/1000")
        assert name.encode(charset) in answer.content
        assert (
            charset.upper().replace("LATIN-1", "ISO-8859-1")
            in answer.headers["content-type"].upper()
        )


def test_scalars_are_strings_or_numbers() -> None:
    for strings in (True, False):
        emu = emulator(string_scalars=strings)
        with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
            row = c.get("/api/v1/orders/100/0").json()["data"][0]
        assert isinstance(row["total_amount_gross"], str if strings else float)
        assert isinstance(row["paid"], str if strings else int)
        assert row["sent_date"] is None  # blanks are null, never omitted


def test_flat_products_give_one_row_per_variant(
    client: _http.Client, emu: NettbutikkEmulator
) -> None:
    product = next(p for p in emu.products if p["variants"])
    grouped = client.get(f"/api/v1/products/{product['id']}", params={"flat": "0"}).json()["data"]
    assert len(grouped) == 1 and set(grouped[0]["attributes"]) == set(product["attributes"])
    for loose in ("1", "True", "true"):
        flat = client.get(f"/api/v1/products/{product['id']}", params={"flat": loose}).json()
        assert [r["unique_product_id"] for r in flat["data"]] == [
            v["uid"] for v in product["variants"]
        ]


def test_patch_rules(client: _http.Client, emu: NettbutikkEmulator) -> None:
    order = emu.orders[0]
    no = order["order_no"]
    assert client.patch(f"/api/v1/orders/{no}", json={"total": "1"}).status_code == 400
    assert client.patch(f"/api/v1/orders/{no}", json={"status": "2"}).status_code == 200
    assert order["status"] == "2"
    line = order["lines"][0]["id"]
    bad = client.patch(f"/api/v1/orders/{no}/lines/{line}", json={"sent_date": "1. juni"})
    assert bad.status_code == 400
    good = client.patch(f"/api/v1/orders/{no}/lines/{line}", json={"sent": 1})
    assert good.status_code == 200 and order["lines"][0]["sent"] is True
    lines = client.get(f"/api/v1/orders/{no}/lines").json()["data"]
    assert [row["id"] for row in lines] == [str(ln["id"]) for ln in order["lines"]]
    with_variants = next(p for p in emu.products if p["variants"])
    ambiguous = client.patch(f"/api/v1/products/{with_variants['id']}", json={"stock": 1})
    assert ambiguous.status_code == 400


def test_server_rate_limit_answers_429_with_retry_after() -> None:
    now = [0.0]
    emu = NettbutikkEmulator(
        SandboxSize(seed=1, orders=2),
        token=TOKEN, rate_limit=1.0, rate_burst=2, limit_clock=lambda: now[0],
    )  # fmt: skip
    with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
        assert [c.get("/api/v1/orders").status_code for _ in range(3)] == [200, 200, 429]
        assert c.get("/api/v1/orders").headers["retry-after"] == "1"
        now[0] += 1.0
        assert c.get("/api/v1/orders").status_code == 200


def test_seeded_data_is_deterministic_and_norwegian() -> None:
    a, b = emulator(), emulator()
    assert a.customers == b.customers and a.orders == b.orders
    text = json.dumps([a.customers, a.products], ensure_ascii=False, default=str)
    assert all(letter in text for letter in "æøå")
    big = NettbutikkEmulator(SandboxSize(seed=2, orders=500))
    assert len(big.orders) == 500 and len({o["order_no"] for o in big.orders}) == 500


def test_customer_paging_switch() -> None:
    emu = emulator(customer_paging=False)
    with _http.Client(transport=emu.transport(), base_url=ORIGIN, headers=basic()) as c:
        assert c.get("/api/v1/customers/10/0").status_code == 400
        bare = c.get("/api/v1/customers").json()
        assert bare["paging"] == [] and len(bare["data"]) == len(emu.customers)
        assert c.get("/api/v1/customers/1001").json()["data"][0]["id"] == "1001"
