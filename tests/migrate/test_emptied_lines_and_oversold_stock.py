"""Two common source states no longer stop a migration, and each is reported.

* A 29 Next order line whose units were all cancelled (a refund with restock=CANCEL leaves
  ``current_quantity`` 0) made the copy's line quantity 0, which every target refuses: the
  order failed on every run. Such a line charges nothing and is left out, named in
  ``not_carried``.
* A 24Nettbutikk product sold beyond its stock (stock -3) failed, and every order holding
  it was skipped. Its copy gets stock 0, named in ``not_carried``.
"""

from __future__ import annotations

from pathlib import Path

import storebridge
from storebridge import RefundLine, RestockType
from storebridge_24nettbutikk.emulator import NettbutikkEmulator
from tests.migrate.support import connect, sandbox


def test_an_order_line_with_every_unit_cancelled_is_left_out(tmp_path: Path) -> None:
    source_kit = sandbox("29next", seed=7, orders=6)
    target_kit = sandbox("shopline", empty=True, seed=8)
    with connect(source_kit, "src") as source:
        order = next(
            o for o in (source.orders.get(x.ref) for x in source.orders.list())
            if len(o.lines) >= 2 and o.financial_status.value == "paid"
        )  # fmt: skip
        line = order.lines[0]
        quote = source.refunds.calculate(
            order.ref,
            lines=[
                RefundLine(line_ref=line.ref, quantity=line.quantity, restock=RestockType.CANCEL)
            ],
        )
        source.refunds.create(quote)
        assert source.orders.get(order.ref).lines[0].quantity == 0
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        assert report.status == "PASS", report.summary()
        skus = {o.ref: {ln.sku for ln in o.lines} for o in target.orders.list(detail=True)}
    kept = {ln.sku for ln in order.lines[1:]}
    copies = [ref for ref, held in skus.items() if held == kept]
    assert len(copies) == 1  # the copy: the other lines, without the emptied one
    assert any(f"line {line.sku}" in entry for entry in report.not_carried)


def test_an_oversold_product_is_copied_with_no_stock(tmp_path: Path) -> None:
    source_kit = sandbox("24nettbutikk", seed=7, orders=3, customers=2, products=3)
    shop = source_kit.emulator
    assert isinstance(shop, NettbutikkEmulator)
    simple = next(p for p in shop.products if not p["variants"])
    shop.touch("products", simple["id"], stock=-3)
    target_kit = sandbox("shopline", empty=True, seed=8, currency="NOK")
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        assert report.status == "PASS", report.summary()
        sku = simple["article_no"]
        copy = next(p for p in target.products.list() if any(v.sku == sku for v in p.variants))
    assert [v.stock for v in copy.variants if v.sku == sku] == [0]
    assert any("stock -3" in entry for entry in report.not_carried)
