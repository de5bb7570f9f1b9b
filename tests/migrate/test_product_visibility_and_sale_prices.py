"""A product hidden from buyers stays hidden, and a product on sale sells at its sale price.

A 24Nettbutikk product that is not ``active``, a SHOPLINE ``draft`` and a 29 Next product
that is not ``is_public`` arrive hidden on every target, and verification fails when the
copy is made buyable by hand. A 24Nettbutikk ``sales_price`` below ``price``, a SHOPLINE
``compare_at_price`` and a 29 Next ``retail`` price arrive as the price buyers pay with the
regular price beside it. An archived SHOPLINE product arrives hidden and the report says
it is not archived.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import storebridge
from storebridge import Money, ProductDraft, VariantDraft
from storebridge.kit import Payload, read_payload
from storebridge.model import Product
from storebridge.sandbox import Sandbox
from storebridge.testing import FaultTransport
from storebridge_24nettbutikk._converter import WireReader
from storebridge_24nettbutikk.emulator import NettbutikkEmulator
from storebridge_29next import TwentyNineNextEmulator
from storebridge_shopline.emulator import ShoplineEmulator
from tests.migrate.support import connect, ledger_rows, sandbox

ROUTES = {
    "24nettbutikk->shopline": ("24nettbutikk", "shopline", {"currency": "NOK"}),
    "24nettbutikk->29next": ("24nettbutikk", "29next", {}),
    "29next->shopline": ("29next", "shopline", {}),
    "shopline->29next": ("shopline", "29next", {}),
    "shopline->shopline": ("shopline", "shopline", {}),
    "29next->29next": ("29next", "29next", {}),
}
"""Every route with products; each target starts empty (a reused product is the target's
own, so it would not show what a copy carries)."""


@dataclass
class Marked:
    """The source SKUs changed for the test: one hidden product's, one variant on sale."""

    hidden: str
    on_sale: str
    sale: Decimal
    regular: Decimal
    currency: str


def _hide_and_discount(kit: Sandbox) -> Marked:
    """Hide one source product and put a variant of another on sale, as each API says it."""
    emulator = kit.emulator
    if isinstance(emulator, NettbutikkEmulator):
        simple = [p for p in emulator.products if not p["variants"]]
        emulator.touch("products", simple[0]["id"], active=False)
        emulator.touch(
            "products", simple[1]["id"], price=Decimal("500.00"), sales_price=Decimal("199.00")
        )
        return Marked(
            simple[0]["article_no"], simple[1]["article_no"], Decimal("199.00"),
            Decimal("500.00"), "NOK",
        )  # fmt: skip
    if isinstance(emulator, ShoplineEmulator):
        rows = list(emulator.state.products.rows.values())
        rows[0]["status"] = "draft"
        variant = rows[1]["variants"][0]
        variant["price"], variant["compare_at_price"] = "19.00", "50.00"
        return Marked(
            rows[0]["variants"][0]["sku"], variant["sku"], Decimal("19.00"), Decimal("50.00"),
            _shopline_currency(kit),
        )  # fmt: skip
    assert isinstance(emulator, TwentyNineNextEmulator)
    products = list(emulator.state.products.values())
    products[0]["is_public"] = False
    item = products[1]["variants"][0]
    price = item["prices"][0]
    price["price"], price["retail"] = "19.00", "50.00"
    return Marked(
        products[0]["variants"][0]["sku"], item["sku"], Decimal("19.00"), Decimal("50.00"),
        price["currency"],
    )  # fmt: skip


def _shopline_currency(kit: Sandbox) -> str:
    with connect(kit, "currency") as store:
        product = next(iter(store.products.list()))
    price = product.variants[0].price
    assert price is not None
    return price.currency


@contextmanager
def _route(name: str, **source: Any) -> Iterator[tuple[Sandbox, Sandbox]]:
    source_platform, target_platform, options = ROUTES[name]
    source_kit = sandbox(source_platform, seed=7, orders=0, customers=0, products=6, **source)
    target_kit = sandbox(target_platform, empty=True, seed=8, **options)
    yield source_kit, target_kit


def _copies(ledger: Path) -> dict[str, str]:
    rows = ledger_rows(ledger, "SELECT source_ref, target_ref FROM items WHERE resource=?",
                       "products")  # fmt: skip
    return {str(source): str(target) for source, target in rows if target is not None}


def _by_sku(store: storebridge.Store) -> dict[str, Product]:
    return {v.sku: p for p in store.products.list() for v in p.variants if v.sku}


def _make_buyable(kit: Sandbox, ref: str) -> None:
    """What a merchant does in the target's dashboard: the hidden copy is made buyable."""
    emulator = kit.emulator
    if isinstance(emulator, ShoplineEmulator):
        emulator.state.products.rows[ref]["status"] = "active"
    else:
        assert isinstance(emulator, TwentyNineNextEmulator)
        emulator.state.products[int(ref)]["is_public"] = True


# Every route --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ROUTES))
def test_a_hidden_product_stays_hidden_and_a_sale_price_is_what_buyers_pay(
    name: str, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    with _route(name) as (source_kit, target_kit):
        marked = _hide_and_discount(source_kit)
        with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
            report = storebridge.migrate(source, target, ledger=ledger, resources=("products",))
            assert report.status == "PASS", report.summary()
            copies = _by_sku(target)
            hidden, on_sale = copies[marked.hidden], copies[marked.on_sale]
            assert hidden.active is False
            assert on_sale.active is True
            (variant,) = [v for v in on_sale.variants if v.sku == marked.on_sale]
            assert variant.price == Money(marked.sale, marked.currency)
            assert variant.compare_at_price == Money(marked.regular, marked.currency)
            # Every other product is as buyable on the target as on the source.
            assert {p.ref: p.active for p in copies.values() if p.ref != hidden.ref} == {
                p.ref: True for p in copies.values() if p.ref != hidden.ref
            }
            _make_buyable(target_kit, hidden.ref)
            again = storebridge.migrate(source, target, ledger=ledger, resources=("products",))
    assert again.status == "FAIL"
    assert again.verification is not None
    problems = [str(m) for m in again.verification.mismatches]
    assert any("hidden on the source, active (buyable) on the target" in p for p in problems)
    assert len(problems) == 1, problems


@pytest.mark.parametrize("name", ["24nettbutikk->shopline", "shopline->29next"])
def test_a_copy_whose_sale_price_was_lost_fails_verification(name: str, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with _route(name) as (source_kit, target_kit):
        marked = _hide_and_discount(source_kit)
        with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
            assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
            copy = _by_sku(target)[marked.on_sale]
            emulator = target_kit.emulator
            if isinstance(emulator, ShoplineEmulator):
                row = emulator.state.products.rows[copy.ref]["variants"][0]
                row["price"], row["compare_at_price"] = f"{marked.regular}", None
            else:
                assert isinstance(emulator, TwentyNineNextEmulator)
                price = emulator.state.products[int(copy.ref)]["variants"][0]["prices"][0]
                price["price"], price["retail"] = f"{marked.regular}", None
            again = storebridge.migrate(source, target, ledger=ledger)
    assert again.status == "FAIL"
    assert again.verification is not None
    text = " ".join(str(m) for m in again.verification.mismatches)
    assert f"variant {marked.on_sale} price {marked.sale} {marked.currency}" in text
    assert "compare-at price" in text


@pytest.mark.parametrize("target_platform", ["shopline", "29next"])
def test_an_archived_shopline_product_arrives_hidden_and_is_reported(
    target_platform: str, tmp_path: Path
) -> None:
    source_kit = sandbox("shopline", seed=7, orders=0, customers=0, products=3)
    target_kit = sandbox(target_platform, empty=True, seed=8)
    emulator = source_kit.emulator
    assert isinstance(emulator, ShoplineEmulator)
    row = next(iter(emulator.state.products.rows.values()))
    row["status"] = "archived"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        copy = _by_sku(target)[row["variants"][0]["sku"]]
    assert copy.active is False
    assert report.status == "PASS", report.summary()
    assert [n for n in report.not_carried if "archived" in n] == [
        f"product {row['id']} ({row['title']}) is archived on the source: its copy is created "
        "hidden from buyers, not archived (archive it on the target by hand)"
    ]


# Reading, per adapter ----------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["24nettbutikk", "shopline", "29next"])
def test_listing_and_getting_read_visibility_and_prices_alike(platform: str) -> None:
    kit = sandbox(platform, seed=7, orders=0, customers=0, products=6)
    marked = _hide_and_discount(kit)
    with connect(kit, "shop") as store:
        listed = _by_sku(store)
        got = {sku: store.products.get(p.ref) for sku, p in listed.items()}
    for sku in listed:  # 29 Next's list rows omit the description: the rest is the same
        assert (listed[sku].active, listed[sku].variants) == (got[sku].active, got[sku].variants)
    hidden = listed[marked.hidden].ref
    assert listed[marked.hidden].active is False
    assert {p.active for p in listed.values() if p.ref != hidden} == {True}
    (variant,) = [v for v in got[marked.on_sale].variants if v.sku == marked.on_sale]
    assert (variant.price, variant.compare_at_price) == (
        Money(marked.sale, marked.currency),
        Money(marked.regular, marked.currency),
    )


def _nettbutikk_row(**changes: Any) -> Payload:
    row: dict[str, Any] = {
        "id": "77", "unique_product_id": "77", "name": "T-skjorte", "variant": None,
        "article_no": "TS-77", "price": "249.00", "sales_price": None, "stock": "3",
        "active": "1", "modified_on": "2026-05-01 10:00:00", "attributes": [],
    }  # fmt: skip
    row.update(changes)
    return Payload(row, "$.data[0]", "24nettbutikk")


@pytest.mark.parametrize(
    ("sales_price", "price", "compare_at"),
    [
        (None, "249.00", None),
        ("", "249.00", None),
        ("0.00", "249.00", None),
        ("249.00", "249.00", None),  # not below the normal price: no sale
        ("300.00", "249.00", None),
        ("199.00", "199.00", "249.00"),
        (199, "199.00", "249.00"),
    ],
)
def test_a_24nettbutikk_sales_price_below_the_price_is_what_buyers_pay(
    sales_price: Any, price: str, compare_at: str | None
) -> None:
    reader = WireReader(ZoneInfo("Europe/Oslo"), "NOK")
    product = read_payload(_nettbutikk_row(sales_price=sales_price), reader.product)
    (variant,) = product.variants
    assert variant.price == Money(price, "NOK")
    assert variant.compare_at_price == (None if compare_at is None else Money(compare_at, "NOK"))
    assert product.raw["sales_price"] == sales_price


@pytest.mark.parametrize(("flag", "active"), [("1", True), ("0", False), (0, False), (None, None)])
def test_the_24nettbutikk_active_flag_is_read(flag: Any, active: bool | None) -> None:
    reader = WireReader(ZoneInfo("Europe/Oslo"), "NOK")
    assert read_payload(_nettbutikk_row(active=flag), reader.product).active is active


# Writing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_draft_created_hidden_and_on_sale_reads_back_so(platform: str) -> None:
    kit = sandbox(platform, empty=True, seed=8)
    with connect(kit, "shop") as store:
        currency = "USD"
        hidden = store.products.create(
            ProductDraft(
                title="Hidden lamp", active=False,
                variants=(VariantDraft(sku="LAMP-1", price=Money("19.00", currency),
                                       compare_at_price=Money("50.00", currency)),),
            )
        )  # fmt: skip
        plain = VariantDraft(sku="LAMP-2", price=Money("5.00", currency))
        shown = store.products.create(ProductDraft(title="Lamp", variants=(plain,)))
        again = store.products.get(hidden.ref)
    assert (hidden.active, again.active, shown.active) == (False, False, True)
    assert again.variants[0].price == Money("19.00", currency)
    assert again.variants[0].compare_at_price == Money("50.00", currency)
    assert shown.variants[0].compare_at_price is None


def test_a_product_draft_needs_a_yes_or_no_for_active() -> None:
    variant = VariantDraft(sku="A", price=Money("1.00", "USD"))
    with pytest.raises(storebridge.ValidationError, match="active"):
        ProductDraft(title="A", variants=(variant,), active=None)  # type: ignore[arg-type]
    with pytest.raises(storebridge.ValidationError, match="compare_at_price"):
        VariantDraft(sku="A", price=Money("1.00", "USD"), compare_at_price=Money("2", "EUR"))
    assert ProductDraft(title="A", variants=(variant,)).active is True


# Through faults -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_visibility_is_right_after_a_migration_through_faults(seed: int, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("24nettbutikk", seed=7, orders=0, customers=0, products=8)
    target_kit = sandbox("shopline", empty=True, seed=8, currency="NOK")
    emulator = source_kit.emulator
    assert isinstance(emulator, NettbutikkEmulator)
    hidden = set()
    for product in emulator.products[::2]:
        emulator.touch("products", product["id"], active=False)
        hidden.add(str(product["id"]))
    faulty = FaultTransport(target_kit.emulator.transport(), seed=seed, rate=0.2)
    outcomes = []
    with connect(source_kit, "src") as source:
        for transport in (faulty, None):  # a run under faults, then one to finish it
            with connect(target_kit, "dst", transport=transport) as target:
                try:
                    outcomes.append(storebridge.migrate(source, target, ledger=ledger).status)
                except storebridge.StorebridgeError as exc:  # a clear error, not a PASS
                    outcomes.append(type(exc).__name__)
    assert outcomes[-1] == "PASS", outcomes
    with connect(target_kit, "dst") as target:
        copies = _copies(ledger)
        active = {ref: target.products.get(copy).active for ref, copy in copies.items()}
    assert len(active) == len(emulator.products)
    assert {ref for ref, is_active in active.items() if not is_active} == hidden
