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


def _discounted_and_extra() -> tuple[Sandbox, dict[str, Any]]:
    """A shop of one order whose first line has a 10.00 discount (in its listed total) and
    an EXTRA cost (left out of it): the order's total is what it was."""
    kit = sandbox("24nettbutikk", seed=3, orders=1, customers=1, products=3)
    assert isinstance(kit.emulator, NettbutikkEmulator)
    record: dict[str, Any] = kit.emulator.state.table("orders").records[0]
    line = record["lines"][0]
    line["discount"] = Decimal("10.00")
    line["total_amount_gross"] -= Decimal("10.00")
    line["extra_price"] = EXTRA
    return kit, record


def test_a_line_with_a_discount_and_an_extra_cost_is_copied_as_read_or_fails_loudly(
    tmp_path: Path,
) -> None:
    """The model has no field for a line's discount, and this line's total (its discount
    and its extra cost inside) looks undiscounted, so where the discount sits cannot be told
    from the amounts (a fee in the total looks the same). The 29 Next copy holds what was
    read (its total, lines and discount_total); SHOPLINE, whose total follows from its
    parts, cannot hold both, and the migration says so instead of passing."""
    source_kit, record = _discounted_and_extra()
    target_kit = sandbox("29next", empty=True)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        (original,) = source.orders.list(detail=True)
        report = storebridge.migrate(source, target, ledger=tmp_path / "29next.sqlite")
        (copied,) = [target.orders.get(o.ref) for o in target.orders.list()]
    assert report.status == "PASS", report.summary()
    assert copied.total == original.total == Money(record["total_amount_gross"], "NOK")
    assert copied.discount_total == original.discount_total == Money("10.00", "NOK")
    assert _charged(copied) == _charged(original)

    source_kit, record = _discounted_and_extra()
    target_kit = sandbox("shopline", empty=True, currency="NOK")
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "shopline.sqlite")
    assert report.status != "PASS"


def test_a_discounted_order_with_a_charge_beyond_its_parts_keeps_its_whole_discount(
    tmp_path: Path,
) -> None:
    """A 20.00 order-level discount on an order whose total also holds 5.00 the model has no
    field for (a fee, a tip): the copy keeps the 20.00 discount, never 20.00 - 5.00."""
    source_kit = sandbox("shopline", seed=9, orders=1, currency="USD")
    (record,) = source_kit.emulator.state.orders.rows.values()  # type: ignore[attr-defined]
    record["_discount"] = "20.00"
    record["_total"] = str(Decimal(record["_total"]) - Decimal("20.00") + Decimal("5.00"))
    target_kit = sandbox("29next", empty=True)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        original = source.orders.get(str(record["id"]))
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
        (copied,) = [target.orders.get(o.ref) for o in target.orders.list()]
    assert original.discount_total == Money("20.00", "USD")
    assert report.status == "PASS", report.summary()
    assert copied.total == original.total
    assert copied.discount_total == Money("20.00", "USD")
