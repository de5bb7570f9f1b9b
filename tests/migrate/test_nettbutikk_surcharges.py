"""A 24Nettbutikk order with a line's extra cost and a payment surcharge reaches no target
short: the extra travels in its line's amount, and the surcharge (no field in the model) is
refused by SHOPLINE and carried in 29 Next's own shipping charge, with the total intact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import storebridge
from storebridge.model import Money, Order
from storebridge.sandbox import Sandbox
from storebridge_24nettbutikk import NettbutikkEmulator
from tests.migrate.support import connect, sandbox

EXTRA = Decimal("10.00")
FEE = Decimal("25.00")


def _source() -> tuple[Sandbox, dict[str, Any]]:
    """A shop of one order whose first line costs EXTRA more than its listed total and whose
    payment method added FEE; the order's total holds both."""
    kit = sandbox("24nettbutikk", seed=3, orders=1, customers=1, products=3)
    assert isinstance(kit.emulator, NettbutikkEmulator)
    record: dict[str, Any] = kit.emulator.state.table("orders").records[0]
    record["lines"][0]["extra_price"] = EXTRA
    record["payment_addition"] = FEE
    record["total_amount_gross"] += EXTRA + FEE
    return kit, record


def _charged(order: Order) -> Money:
    return Money.sum((line.unit_price * line.quantity for line in order.lines), order.currency)


def test_29next_gets_the_extra_in_the_line_and_the_fee_in_its_shipping_charge(
    tmp_path: Path,
) -> None:
    source_kit, record = _source()
    lines = sum((line["total_amount_gross"] for line in record["lines"]), Decimal(0)) + EXTRA
    target_kit = sandbox("29next", empty=True)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        (copied,) = [target.orders.get(o.ref) for o in target.orders.list()]
    assert report.status == "PASS", report.summary()
    assert copied.total == Money(record["total_amount_gross"], "NOK")
    assert _charged(copied) == Money(lines, "NOK")  # the extra is in the line, not elsewhere
    assert copied.shipping_total == Money(record["shipping_costs"], "NOK")
    # 29 Next's create API puts all of the total beyond the lines in its shipping charge.
    assert Decimal(str(copied.raw["shipping_incl_tax"])) == record["shipping_costs"] + FEE


def test_shopline_refuses_the_fee_and_nothing_else(tmp_path: Path) -> None:
    source_kit, record = _source()
    target_kit = sandbox("shopline", empty=True, currency="NOK")
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        copied = list(target.orders.list())
    orders = report.results["orders"]
    assert (orders.created, [f.source_ref for f in orders.failed]) == (0, [str(record["order_no"])])
    # Only the surcharge is beyond what SHOPLINE records: the line's extra is in the lines.
    assert f"is {FEE} NOK above what SHOPLINE would record" in orders.failed[0].reason
    assert copied == []
