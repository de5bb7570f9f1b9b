"""A fractional quantity (metres, kilos) is read as one unit priced at the line's total;
without that total no unit price would be right, so the row is refused, on both ways of
reading it."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from storebridge.errors import PayloadError
from storebridge.kit import read_plain
from tests.adapters.nettbutikk.test_fast_orders import PLAIN, ROWS, careful


def _row(quantity: str, total: str | None) -> dict[str, object]:
    row = copy.deepcopy(ROWS[0])
    line = row["order_lines"][0]
    line.update(quantity=quantity, unit_price="100.00")
    if total is None:
        del line["total_amount_gross"]
    else:
        line["total_amount_gross"] = total
    return row


def test_a_fractional_quantity_with_its_line_total_is_one_unit_at_that_total() -> None:
    row = _row("2.5", "250.00")
    for order in (read_plain(PLAIN.order, row, None, None), careful(row)):
        assert order is not None
        line = order.lines[0]
        assert (line.quantity, line.unit_price.amount, line.total) == (
            1, Decimal("250.00"), line.unit_price
        )  # fmt: skip


def test_a_fractional_quantity_without_a_line_total_is_refused_naming_the_field() -> None:
    row = _row("2.5", None)
    assert read_plain(PLAIN.order, row, None, None) is None  # the careful way decides
    with pytest.raises(PayloadError, match=r"quantity 2\.5 is fractional") as raised:
        careful(row)
    assert "order_lines[0].quantity" in str(raised.value)


def test_a_whole_quantity_without_a_line_total_still_reads() -> None:
    row = _row("3", None)
    for order in (read_plain(PLAIN.order, row, None, None), careful(row)):
        assert order is not None
        assert (order.lines[0].quantity, order.lines[0].unit_price.amount) == (3, Decimal("100.00"))
