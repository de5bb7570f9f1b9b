"""``storebridge export``: complete orders by default with their request cost; flat CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import storebridge
from storebridge.cli import run
from storebridge.cli.records import csv_columns
from storebridge.sandbox import Sandbox
from tests.cli.support import profile_file, served


@pytest.fixture
def next_shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sandbox, str, Path]]:
    """A 29 Next sandbox of 7 orders (two list pages of 5) and its profile."""
    with served("29next", seed=4, orders=7, page_size=5, rate_limit=None) as (kit, url):
        yield kit, url, profile_file(tmp_path, monkeypatch.setenv, "next", kit, url)


def _export(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["export", *args, "--store", "next", "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def test_orders_are_complete_by_default_and_the_cost_is_reported(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    kit, _, config = next_shop
    before = len(kit.emulator.requests)
    code, out, err = _export(capsys, config, "orders")
    sent = len(kit.emulator.requests) - before
    assert code == 0, err
    orders = [json.loads(line) for line in out.splitlines()]
    assert len(orders) == 7
    assert all(o["lines"] and not o["partial"] for o in orders)
    # Two list pages plus one request per order, and the summary says so.
    assert sent == 9
    assert f"exported 7 orders to stdout: {sent} requests" in err
    assert "1.29 requests per order" in err


def test_no_detail_says_how_many_rows_lack_lines(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    kit, _, config = next_shop
    before = len(kit.emulator.requests)
    code, out, err = _export(capsys, config, "orders", "--no-detail")
    assert code == 0, err
    assert len(kit.emulator.requests) - before == 2
    orders = [json.loads(line) for line in out.splitlines()]
    assert all(o["partial"] and not o["lines"] for o in orders)
    assert "exported 7 orders to stdout: 2 requests" in err
    assert (
        "warning: 7 of 7 orders are list rows without all their details (lines, refunds "
        'or transactions; "partial": true)'
    ) in err
    code, _, err = _export(capsys, config, "orders", "--no-detail", "--quiet")
    assert code == 0 and err.startswith("warning: 7 of 7 orders are list rows")


def test_products_csv_has_flat_variant_columns(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    kit, url, config = next_shop
    code, out, err = _export(capsys, config, "products", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == csv_columns("products")
    with storebridge.connect("29next", **kit.settings(url)) as store:
        variants = {(p.ref, v.ref): v for p in store.products.list() for v in p.variants}
    assert len(rows) == len(variants)
    for row in rows:
        variant = variants[(row["ref"], row["variant_ref"])]
        assert variant.price is not None
        assert (row["sku"], row["price"], row["currency"], row["stock"]) == (
            variant.sku, str(variant.price.amount), variant.price.currency, str(variant.stock),
        )  # fmt: skip


def test_products_come_whole_unless_no_detail(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # 29 Next's product list rows leave the description out: read whole by default.
    code, out, err = _export(capsys, config := next_shop[2], "products")
    assert code == 0, err
    products = [json.loads(line) for line in out.splitlines()]
    assert products and not any(p["partial"] for p in products)
    assert any(p["description"] for p in products)
    code, out, err = _export(capsys, config, "products", "--no-detail")
    assert code == 0, err
    assert all(json.loads(line)["partial"] for line in out.splitlines())
    assert (
        f"warning: {len(products)} of {len(products)} products are list rows without all "
        'their details (the description; "partial": true)'
    ) in err


def test_csv_columns_come_from_the_model() -> None:
    orders = csv_columns("orders")
    assert orders[:2] == ["platform", "ref"]
    assert {"total", "total_currency", "lines_count", "customer_ref", "partial"} <= set(orders)
    assert "raw" not in orders and "lines" not in orders
    assert csv_columns("products")[-7:] == [
        "variant_ref", "sku", "variant_title", "price", "currency", "stock", "compare_at_price",
    ]  # fmt: skip


def test_orders_csv_has_one_row_per_order_with_a_line_count(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, _, config = next_shop
    target = tmp_path / "orders.csv"
    code, _, err = _export(capsys, config, "orders", "-f", "csv", "-o", str(target))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 7
    assert all(int(r["lines_count"]) > 0 and r["partial"] == "False" for r in rows)


def test_orders_csv_keeps_the_addresses_in_columns_of_their_own(
    next_shop: tuple[Sandbox, str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kit, url, config = next_shop
    target = tmp_path / "orders.csv"
    code, _, err = _export(capsys, config, "orders", "-f", "csv", "-o", str(target))
    assert code == 0, err
    rows = {r["ref"]: r for r in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))}
    with storebridge.connect("29next", **kit.settings(url)) as store:
        orders = list(store.orders.list(detail=True))  # as the export reads them
    addressed = [o for o in orders if o.shipping_address is not None]
    assert addressed
    for order in addressed:
        for which in ("shipping_address", "billing_address"):
            address = getattr(order, which)
            for name in ("line1", "city", "postal_code", "country"):
                expected = getattr(address, name) if address is not None else None
                assert rows[order.ref][f"{which}_{name}"] == (expected or "")
