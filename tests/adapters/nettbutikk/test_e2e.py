"""24Nettbutikk end to end: the public facade against the emulator, in-process (the
emulator's transport) and, where the socket matters, on a loopback port.

Every combination of the emulator's switches for unconfirmed behaviour (404 vs empty list,
inclusive vs exclusive since/until, sort order, body encoding, string vs number scalars)
must give the same answers: every record exactly once, Decimal money, aware datetimes,
incremental reads that pick up exactly what changed (across DST changes too), and one
HEAD request when nothing changed.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import storebridge
from storebridge.errors import AuthenticationError, UnsupportedOperation, ValidationError
from storebridge.model import CustomerDraft, OrderDraft, OrderLineDraft
from storebridge.model.money import Money
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge_24nettbutikk import NettbutikkEmulator

TOKEN = "e2e-24nb-token-5f1c9a"
FAST: dict[str, Any] = {"requests_per_second": 10_000.0, "burst": 10_000}
COMBOS = list(
    itertools.product(("empty", "404"), ("inclusive", "exclusive"), ("modified", "key", "newest"),
                      ("utf-8", "latin-1"), (True, False))
)  # fmt: skip
# 2026-10-25 01:00 UTC: Oslo goes from CEST back to CET; 02:00-03:00 local happens twice.
FALL_BACK = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
SPRING_FORWARD = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def make_emulator(clock: FakeClock | None = None, **options: Any) -> NettbutikkEmulator:
    size = SandboxSize(
        seed=7,
        orders=13,
        customers=6,
        products=5,
        clock=clock or FakeClock(datetime(2026, 6, 1, tzinfo=UTC)),
    )
    return NettbutikkEmulator(size, token=TOKEN, **options)


SHOP = "https://shop.24nettbutikk.test"


@contextmanager
def served(emulator: NettbutikkEmulator, **settings: Any) -> Iterator[storebridge.Store]:
    """A store on ``emulator`` in-process: no socket, no waiting."""
    given = {"base_url": SHOP, "token": TOKEN, "page_size": 4, **FAST, **settings}
    with storebridge.connect("24nettbutikk", transport=emulator.transport(), **given) as store:
        yield store


def expected_sku(emulator: NettbutikkEmulator, line: dict[str, Any]) -> str:
    product = next(p for p in emulator.products if p["id"] == line["product_id"])
    if line["unique_product_id"] is None:
        return str(product["article_no"])
    return str(
        next(v for v in product["variants"] if v["uid"] == line["unique_product_id"])["article_no"]
    )


@pytest.mark.parametrize(("empty", "bounds", "sort", "encoding", "strings"), COMBOS)
def test_every_switch_combination_lists_everything_once_and_syncs_exactly(
    empty: str, bounds: str, sort: str, encoding: str, strings: bool
) -> None:
    clock = FakeClock(FALL_BACK - timedelta(minutes=50))
    emulator = make_emulator(
        clock, empty_list=empty, bounds=bounds, sort=sort, encoding=encoding,
        string_scalars=strings,
    )  # fmt: skip
    with served(emulator) as store:
        orders = list(store.orders.list())
        assert sorted(o.ref for o in orders) == sorted(str(o["order_no"]) for o in emulator.orders)
        by_ref = {o.ref: o for o in orders}
        for record in emulator.orders:
            order = by_ref[str(record["order_no"])]
            assert order.total == Money(record["total_amount_gross"], "NOK")
            assert isinstance(order.total.amount, Decimal)
            assert order.created_at is not None and order.created_at.utcoffset() is not None
            assert order.updated_at == datetime.fromtimestamp(record["modified"], UTC)
            customer = next(c for c in emulator.customers if c["id"] == record["customer_id"])
            assert order.email == customer["e_mail"]
            assert order.billing_address is not None
            assert order.billing_address.last_name == customer["last_name"]
            assert [ln.sku for ln in order.lines] == [
                expected_sku(emulator, ln) for ln in record["lines"]
            ]
            assert [ln.unit_price.amount for ln in order.lines] == [
                ln["unit_price"] for ln in record["lines"]
            ]
            assert [ln.quantity for ln in order.lines] == [ln["quantity"] for ln in record["lines"]]

        customers = list(store.customers.list())
        assert sorted(c.ref for c in customers) == sorted(str(c["id"]) for c in emulator.customers)
        names = {c.ref: (c.first_name, c.last_name) for c in customers}
        assert names == {
            str(c["id"]): (c["first_name"], c["last_name"]) for c in emulator.customers
        }

        products = list(store.products.list())
        assert sorted(p.ref for p in products) == sorted(str(p["id"]) for p in emulator.products)
        for record in emulator.products:
            product = next(p for p in products if p.ref == str(record["id"]))
            assert product.title == record["name"]
            wanted = record["variants"] or [record]
            assert sorted((v.sku, v.price, v.stock) for v in product.variants) == sorted(
                (w["article_no"], Money(w["price"], "NOK"), w["stock"]) for w in wanted
            )

        # Changes after the last sync, one in the repeated hour after the DST change.
        last_sync = datetime.fromtimestamp(clock.now(), UTC)
        clock.advance(60 * 60)  # 01:40 UTC = 02:40 CET, second time round
        emulator.touch("orders", 10_003, status="3")
        emulator.touch("customers", 1002, phone="40000000")
        clock.advance(60 * 60)  # 03:40 CET
        emulator.touch("orders", 10_011, status="4")
        emulator.touch("products", 2, stock=3)

        changed = list(store.orders.list(updated_since=last_sync))
        assert sorted(o.ref for o in changed) == ["10003", "10011"]
        assert [c.ref for c in store.customers.list(updated_since=last_sync)] == ["1002"]
        assert [p.ref for p in store.products.list(updated_since=last_sync)] == ["2"]

        # Nothing changed since: one HEAD request, no listing.
        clock.advance(600)
        quiet = datetime.fromtimestamp(clock.now(), UTC)
        before = len(emulator.requests)
        assert list(store.orders.list(updated_since=quiet)) == []
        assert [r.method for r in emulator.requests[before:]] == ["HEAD"]


def test_customers_fall_back_to_the_bare_list_when_paging_is_refused() -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    emulator = make_emulator(clock, customer_paging=False)
    start = datetime.fromtimestamp(clock.now(), UTC)
    clock.advance(60)
    emulator.touch("customers", 1003)
    with served(emulator) as store:
        everyone = [c.ref for c in store.customers.list()]
        assert sorted(everyone) == sorted(str(c["id"]) for c in emulator.customers)
        assert [c.ref for c in store.customers.list(updated_since=start)] == ["1003"]
        assert len(list(store.orders.list())) == len(emulator.orders)


def test_incremental_read_across_spring_forward() -> None:
    clock = FakeClock(SPRING_FORWARD - timedelta(minutes=30))  # 01:30 CET
    emulator = make_emulator(clock)
    with served(emulator) as store:
        last_sync = datetime.fromtimestamp(clock.now(), UTC)
        clock.advance(40 * 60)  # 03:10 CEST; 02:xx never happened
        emulator.touch("orders", 10_001)
        changed = list(store.orders.list(updated_since=last_sync))
    assert [o.ref for o in changed] == ["10001"]
    assert changed[0].updated_at == datetime.fromtimestamp(clock.now(), UTC)


def test_watermark_inside_the_repeated_hour_misses_nothing() -> None:
    # The server reads "02:20" back as the first 02:20 (CEST), an hour before the truth.
    clock = FakeClock(FALL_BACK + timedelta(minutes=10))  # 02:10 CET, second time
    emulator = make_emulator(clock)
    watermark = datetime.fromtimestamp(clock.now(), UTC)
    clock.advance(10 * 60)
    emulator.touch("orders", 10_005)
    with served(emulator) as store:
        assert [o.ref for o in store.orders.list(updated_since=watermark)] == ["10005"]
    # Without the overlap the shop's own filter drops it: the reason sync_overlap exists.
    with served(emulator, sync_overlap=0) as store:
        assert list(store.orders.list(updated_since=watermark)) == []


def test_updated_until_bounds_the_window() -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    emulator = make_emulator(clock)
    start = datetime.fromtimestamp(clock.now(), UTC)
    emulator.touch("orders", 10_000)
    clock.advance(3600)
    emulator.touch("orders", 10_001)
    with served(emulator) as store:
        early = store.orders.list(updated_since=start, updated_until=start + timedelta(minutes=5))
        assert [o.ref for o in early] == ["10000"]


@pytest.mark.parametrize("style", ["basic", "basic_blank", "query"])
def test_each_auth_style_reaches_the_shop(style: str) -> None:
    emulator = make_emulator()
    with served(emulator, auth_style=style) as store:
        assert store.orders.get("10002").ref == "10002"
    sent = emulator.requests[-1]
    if style == "query":
        assert sent.query["access_token"] == TOKEN
        assert "authorization" not in sent.headers
    else:
        assert "access_token" not in sent.query
        assert sent.headers["authorization"].startswith("Basic ")


def test_query_token_never_shows_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    # On a socket: the token must stay out of what the HTTP stack logs too.
    emulator = make_emulator()
    caplog.set_level(logging.DEBUG)
    with emulator.serve() as base_url:
        bad = "wrong-token-abcdef123"
        with storebridge.connect(
            "24nettbutikk", base_url=base_url, token=bad, auth_style="query", **FAST
        ) as store:
            with pytest.raises(AuthenticationError) as caught:
                store.orders.get("10001")
            assert "Check the setting token=" in str(caught.value)
        with storebridge.connect(
            "24nettbutikk", base_url=base_url, token=TOKEN, auth_style="query", page_size=3, **FAST
        ) as store:
            assert len(list(store.orders.list())) == 13
            assert TOKEN not in repr(store)
    assert bad not in str(caught.value) and bad not in repr(caught.value.url)
    assert TOKEN not in caplog.text and bad not in caplog.text
    assert "access_token=***" in caplog.text


def test_patch_operations_write_and_reread() -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    emulator = make_emulator(clock)
    order = emulator.orders[4]
    line = order["lines"][0]
    with served(emulator) as store:
        updated = store.extra.update_order_status(str(order["order_no"]), "3")
        assert updated.status_raw == "3"
        assert updated.updated_at == datetime.fromtimestamp(clock.now(), UTC)

        got = store.extra.update_order_line(
            str(order["order_no"]), str(line["id"]), sent=True, sent_date=date(2026, 6, 1),
            extra_field="Pakket av Åse",
        )  # fmt: skip
        assert got.fulfillment_status.value == "fulfilled"
        assert got.raw["sent_date"] == "2026-06-01"
        assert got.raw["extra_field"] == "Pakket av Åse"
        assert line["extra_field"] == "Pakket av Åse"

        with_variants = next(p for p in emulator.products if p["variants"])
        variant = with_variants["variants"][0]
        product = store.extra.update_stock(str(with_variants["id"]), 17, variant_ref=variant["uid"])
        assert {v.ref: v.stock for v in product.variants}[variant["uid"]] == 17

        plain = next(p for p in emulator.products if not p["variants"])
        assert store.extra.update_stock(str(plain["id"]), 5).variants[0].stock == 5

        with pytest.raises(ValidationError):
            store.extra.update_order_line(str(order["order_no"]), str(line["id"]))
        with pytest.raises(ValidationError):
            store.extra.update_stock(str(plain["id"]), "5")


def test_creates_fail_before_any_request() -> None:
    emulator = make_emulator()
    with served(emulator) as store:
        before = len(emulator.requests)
        with pytest.raises(UnsupportedOperation, match="24Nettbutikk") as caught:
            store.customers.create(CustomerDraft(email="kari@eksempel.no"))
        assert "migration source" in str(caught.value)
        draft = OrderDraft(
            currency="NOK",
            lines=(OrderLineDraft(title="Lue", quantity=1, unit_price=Money("10", "NOK")),),
            total=Money("10", "NOK"),
        )
        with pytest.raises(UnsupportedOperation, match="24Nettbutikk"):
            store.orders.create(draft)
        assert len(emulator.requests) == before
    assert "orders.create" not in store.capabilities
    assert {"orders.list", "orders.get", "customers.list", "products.get"} <= store.capabilities


def test_unknown_order_is_not_found() -> None:
    with served(make_emulator()) as store:
        with pytest.raises(storebridge.NotFound):
            store.orders.get("99999")


def test_sandbox_defaults_rate_limit_and_connects() -> None:
    from storebridge_24nettbutikk import NettbutikkAdapter

    # Few records: every request fits in the sandbox's burst, so nothing waits on the socket.
    sandbox = NettbutikkAdapter.sandbox(seed=4, orders=8, latency=0.0)
    again = NettbutikkAdapter.sandbox(seed=4, orders=8)
    assert isinstance(sandbox.emulator, NettbutikkEmulator)
    assert isinstance(again.emulator, NettbutikkEmulator)
    assert sandbox.emulator.options.rate_limit is not None
    assert [o["total_amount_gross"] for o in sandbox.emulator.orders] == [
        o["total_amount_gross"] for o in again.emulator.orders
    ]
    with sandbox.emulator.serve() as base_url:
        settings = sandbox.settings(base_url)
        with storebridge.connect("24nettbutikk", **settings) as store:
            assert len(list(store.orders.list())) == 8


@pytest.mark.anyio
async def test_async_store_lists_the_same() -> None:
    emulator = make_emulator()
    with emulator.serve() as base_url:
        async with storebridge.connect_async(
            "24nettbutikk", base_url=base_url, token=TOKEN, page_size=5, **FAST
        ) as store:
            refs = [o.ref async for o in store.orders.list()]
            customer = await store.customers.get("1001")
    assert sorted(refs) == sorted(str(o["order_no"]) for o in emulator.orders)
    assert customer.email == emulator.customers[1]["e_mail"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sandbox_currency_option_reaches_orders_and_products() -> None:
    from storebridge_24nettbutikk import NettbutikkAdapter

    sandbox = NettbutikkAdapter.sandbox(seed=2, orders=4, rate_limit=None, currency="USD")
    settings = sandbox.settings(SHOP)
    with storebridge.connect(
        "24nettbutikk", transport=sandbox.emulator.transport(), **settings, **FAST
    ) as store:
        assert {o.currency for o in store.orders.list()} == {"USD"}
        prices = [v.price for p in store.products.list() for v in p.variants]
    assert prices and all(p is not None and p.currency == "USD" for p in prices)
