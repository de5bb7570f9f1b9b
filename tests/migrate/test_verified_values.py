"""What a migration copies is what the target then holds, and verification compares it:
customers' names and products' titles (a target record changed after the copy, or copied
wrong, is a FAIL naming the field), and stock a variant does not track."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from storebridge import CustomerUpdate, Money, ProductDraft, VariantDraft
from storebridge_29next import TwentyNineNextEmulator
from tests.migrate.support import connect, ledger_rows, sandbox


def _copy_of(ledger: Path, resource: str) -> str:
    rows = ledger_rows(ledger, "SELECT target_ref FROM items WHERE resource=?", resource)
    return str(rows[0][0])


def test_a_changed_name_or_title_on_the_target_fails_verification(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("shopline", seed=3, orders=6)
    target_kit = sandbox("29next", empty=True, seed=4)
    emulator = target_kit.emulator
    assert isinstance(emulator, TwentyNineNextEmulator)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        customer = _copy_of(ledger, "customers")
        target.customers.update(customer, CustomerUpdate(first_name="Someone Else"))
        product = emulator.state.products[int(_copy_of(ledger, "products"))]
        product["title"] = "Renamed"
        again = storebridge.migrate(source, target, ledger=ledger)
    assert again.status == "FAIL"
    assert again.verification is not None
    problems = " ".join(str(m) for m in again.verification.mismatches)
    assert "Someone Else" in problems
    assert "'Renamed'" in problems


@pytest.mark.parametrize("source_platform", ["29next", "shopline"])
def test_stock_that_is_not_tracked_stays_untracked_on_shopline(
    source_platform: str, tmp_path: Path
) -> None:
    # Sent without inventory_tracker, the variant was tracked with 0 in stock: sold out.
    source_kit = sandbox(source_platform, empty=True, seed=1)
    target_kit = sandbox("shopline", empty=True, seed=2)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        draft = ProductDraft(
            title="Download",
            variants=(
                VariantDraft(sku="DL-1", price=Money("9.99", "USD"), stock=None),
                VariantDraft(sku="DL-2", price=Money("4.99", "USD"), stock=7),
            ),
        )
        source.products.create(draft)
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        (copy,) = list(target.products.list())
    assert report.status == "PASS", report.summary()
    assert {v.sku: v.stock for v in copy.variants} == {"DL-1": None, "DL-2": 7}


def test_a_variant_left_out_is_named_in_the_report(tmp_path: Path) -> None:
    # Without a SKU no order could point at its copy: left out, and the report says so.
    source_kit = sandbox("shopline", seed=3, orders=0, customers=1, products=3)
    target_kit = sandbox("29next", empty=True, seed=4)
    rows = source_kit.emulator.state.products.rows  # type: ignore[attr-defined]
    product = next(p for p in rows.values() if len(p["variants"]) >= 2)
    product["variants"][-1]["sku"] = ""
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert report.not_carried == [
        f"variant {product['variants'][-1]['title']} of product {product['id']} "
        f"({product['title']}): no SKU, so it is not copied"
    ]
    assert "not carried: variant" in report.summary()


@pytest.mark.parametrize("target_platform", ["shopline", "29next"])
def test_a_29next_product_description_is_copied(target_platform: str, tmp_path: Path) -> None:
    # 29 Next's list rows leave the description out: the copy read it as None.
    source_kit = sandbox("29next", empty=True, seed=1)
    target_kit = sandbox(target_platform, empty=True, seed=2)
    draft = ProductDraft(
        title="Tee", description="<p>Soft tee</p>",
        variants=(VariantDraft(sku="TEE-1", price=Money("9.99", "USD")),),
    )  # fmt: skip
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        source.products.create(draft)
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        (copy,) = list(target.products.list(detail=True))
    assert report.status == "PASS", report.summary()
    assert copy.description == "<p>Soft tee</p>"


def test_a_description_added_on_the_source_is_reported_changed(tmp_path: Path) -> None:
    # SHOPLINE targets do not update products: the change is listed, never swallowed.
    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("29next", empty=True, seed=1)
    target_kit = sandbox("shopline", empty=True, seed=2)
    draft = ProductDraft(
        title="Tee", variants=(VariantDraft(sku="TEE-1", price=Money("9.99", "USD")),)
    )
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        made = source.products.create(draft)
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
        products = source_kit.emulator.state.products  # type: ignore[attr-defined]
        products[int(made.ref)]["description"] = "<p>Soft tee</p>"
        again = storebridge.migrate(source, target, ledger=ledger)
    assert len(again.changed_not_updated) == 1
    assert again.changed_not_updated[0].startswith(f"products {made.ref} -> ")
