"""A line's ``extra_price`` ends in the line's total (once, whichever way the shop sends the
line total), and the payment surcharge ``payment_addition`` stays in the order's total;
malformed or undecidable amounts are PayloadErrors naming the field, on both ways of
reading a row."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from storebridge.errors import PayloadError
from storebridge.kit import read_plain
from storebridge.model import Money, Order
from tests.adapters.nettbutikk.shop import emulator, store_on
from tests.adapters.nettbutikk.test_fast_orders import BUYER, PLAIN, ROWS, SKUS, careful, same

EXTRA = Decimal("10.00")
FEE = Decimal("25.00")


def _cents(value: Any) -> Decimal:
    return Decimal(str(value))


def _row(*, included: bool, fee: Decimal = FEE, extra: Decimal = EXTRA) -> dict[str, Any]:
    """ROWS[0] with ``extra`` on its first line and ``fee`` as its payment surcharge; the
    order's total holds both, the line's total holds the extra when ``included``."""
    row = copy.deepcopy(ROWS[0])
    line = row["order_lines"][0]
    line["extra_price"] = f"{extra:.2f}"
    if included:
        line["total_amount_gross"] = f"{_cents(line['total_amount_gross']) + extra:.2f}"
    row["payment_addition"] = f"{fee:.2f}"
    row["total_amount_gross"] = f"{_cents(row['total_amount_gross']) + extra + fee:.2f}"
    return row


def _both(row: dict[str, Any]) -> Order:
    """The order read the fast way and the careful way, which must agree."""
    fast = read_plain(PLAIN.order, row, BUYER, SKUS)
    slow = careful(row, BUYER, SKUS)
    assert fast is not None
    same(fast, slow)
    return slow


@pytest.mark.parametrize("included", [False, True], ids=["line-total-without", "line-total-with"])
def test_extra_price_is_in_the_line_total_once_and_the_fee_in_the_order_total(
    included: bool,
) -> None:
    plain = _both(ROWS[0])
    order = _both(_row(included=included))
    first, plain_first = order.lines[0], plain.lines[0]
    assert plain_first.total is not None and first.total is not None
    assert first.total.amount == plain_first.total.amount + EXTRA
    assert first.unit_price == plain_first.unit_price  # the listed price, as with discounts
    assert order.lines[1:] == plain.lines[1:]
    assert order.subtotal is not None and plain.subtotal is not None
    assert order.subtotal.amount == plain.subtotal.amount + EXTRA
    assert order.total.amount == plain.total.amount + EXTRA + FEE
    # The surcharge has no field: the parts fall short of the total by exactly it.
    assert order.shipping_total is not None and order.discount_total is not None
    parts = order.subtotal + order.shipping_total - order.discount_total
    assert order.total - parts == Money(FEE, order.currency)


def test_a_fractional_line_is_one_unit_at_its_total_with_the_extra() -> None:
    row = _row(included=False)
    line = row["order_lines"][0]
    change = Decimal("250.00") - _cents(line["total_amount_gross"])
    row["total_amount_gross"] = f"{_cents(row['total_amount_gross']) + change:.2f}"
    line.update(quantity="2.5", unit_price="100.00", total_amount_gross="250.00")
    first = _both(row).lines[0]
    assert (first.quantity, first.unit_price.amount) == (1, Decimal("260.00"))
    assert first.total == first.unit_price


def test_zero_or_blank_extras_and_fees_read_as_before() -> None:
    plain = _both(ROWS[0])
    for blank in ("0.00", None, ""):
        row = copy.deepcopy(ROWS[0])
        row["payment_addition"] = blank
        row["order_lines"][0]["extra_price"] = blank
        assert _both(row) == plain


def _refused(row: dict[str, Any], path: str, match: str) -> None:
    assert read_plain(PLAIN.order, row, BUYER, SKUS) is None  # the careful way decides
    with pytest.raises(PayloadError, match=match) as raised:
        careful(row, BUYER, SKUS)
    assert raised.value.path == path


@pytest.mark.parametrize("value", ["1,00", "ti kroner", "10.00 NOK"])
def test_a_malformed_extra_price_or_fee_is_a_payload_error_naming_it(value: str) -> None:
    row = _row(included=False)
    row["order_lines"][0]["extra_price"] = value
    _refused(row, "$.data[0].order_lines[0].extra_price", "expected a decimal amount")
    row = _row(included=False)
    row["payment_addition"] = value
    _refused(row, "$.data[0].payment_addition", "expected a decimal amount")


def test_an_extra_on_a_line_without_its_total_is_refused() -> None:
    row = _row(included=False)
    del row["order_lines"][0]["total_amount_gross"]
    _refused(row, "$.data[0].order_lines[0].extra_price", "has no total_amount_gross")


def test_an_extra_the_order_total_does_not_account_for_is_refused() -> None:
    row = _row(included=False)
    row["total_amount_gross"] = f"{_cents(row['total_amount_gross']) + Decimal('0.01'):.2f}"
    _refused(row, "$.data[0].order_lines[0].extra_price", "cannot tell whether")
    row = _row(included=False)
    assert len(row["order_lines"]) == 2
    del row["order_lines"][1]["total_amount_gross"]  # the sum of the lines is unknown
    _refused(row, "$.data[0].order_lines[0].extra_price", "another line has no total")


def test_a_seeded_shop_serves_the_extra_and_the_fee_to_the_store() -> None:
    shop = emulator(orders=3, customers=2, products=4, seed=5)
    record = shop.state.table("orders").records[0]
    record["lines"][0]["extra_price"] = EXTRA
    record["payment_addition"] = FEE
    before = record["lines"][0]["total_amount_gross"]
    record["total_amount_gross"] += EXTRA + FEE
    with store_on(shop) as store:
        got = store.orders.get(str(record["order_no"]))
        listed = {o.ref: o for o in store.orders.list()}[got.ref]
    assert got.lines[0].total == Money(before + EXTRA, "NOK")
    assert got.raw["payment_addition"] == "25.00"
    assert listed.lines == got.lines and listed.total == got.total
