"""Amounts read from SHOPLINE: the right amount in the right currency, or a PayloadError with
its JSON path, and the same answer on the fast and the careful way of reading orders."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storebridge import Money, OutcomeUnknown, PayloadError, RefundLine
from storebridge.http import Request
from storebridge.kit import Payload, platform_data, read_payload
from storebridge.model import Order, Refund
from storebridge.testing import FaultTransport
from storebridge_shopline._converter import make_converter, order, refund
from storebridge_shopline._fast_orders import fast_order
from tests.adapters.shopline.support import paid_order, world

ROW: dict[str, Any] = {
    "id": "21050000000000000000000009", "currency": "EUR", "financial_status": "paid",
    "current_total_price": "22.00", "total_tax": "2.00", "total_outstanding": "0.00",
    "total_tax_set": {"shop_money": {"amount": "2.00", "currency_code": "EUR"}},
    "total_shipping_price_set": {"shop_money": {"amount": "0.00", "currency_code": "EUR"}},
    "line_items": [{"id": "11", "quantity": 2, "price": "10.00",
                    "price_set": {"shop_money": {"amount": "10.00", "currency_code": "EUR"}}}],
}  # fmt: skip


def _both(row: dict[str, Any]) -> tuple[Order | None, Order | PayloadError]:
    """The fast reading (None: it leaves the row to the careful one) and the careful one."""
    careful: Order | PayloadError
    try:
        with platform_data():
            careful = order(Payload(row, "$", "shopline"))
    except PayloadError as exc:
        careful = exc
    return fast_order(row), careful


def test_the_base_row_reads_alike_both_ways() -> None:
    fast, careful = _both(ROW)
    assert fast is not None and fast == careful
    assert careful.total == Money("22.00", "EUR") and careful.tax_total == Money("2.00", "EUR")


def test_an_order_without_its_total_is_a_payload_error_not_its_outstanding_amount() -> None:
    row = {k: v for k, v in ROW.items() if k != "current_total_price"}
    fast, careful = _both(row)
    assert fast is None
    assert isinstance(careful, PayloadError) and careful.path == "$.current_total_price"
    with pytest.raises(PayloadError):
        make_converter("EUR").structure(Payload(row, "$", "shopline"), Order)
    row["current_total_price_set"] = {"shop_money": {"amount": "22.00", "currency_code": "EUR"}}
    careful = _both(row)[1]  # the set is the total's other form
    assert isinstance(careful, Order) and careful.total == Money("22.00", "EUR")


@pytest.mark.parametrize(
    ("where", "plain", "path"),
    [(("total_tax_set",), "total_tax", "$.total_tax_set"),
     (("total_shipping_price_set",), None, "$.total_shipping_price_set"),
     (("line_items", 0, "price_set"), "price", "$.line_items[0].price_set")],
)  # fmt: skip
def test_a_set_with_no_side_in_the_records_currency_is_refused_both_ways(
    where: tuple[Any, ...], plain: str | None, path: str
) -> None:
    row = copy.deepcopy(ROW)
    node: Any = row
    for key in where[:-1]:
        node = node[key]
    node[where[-1]]["shop_money"]["currency_code"] = "SEK"
    for _ in range(2 if plain else 1):  # with its plain field, then without it
        fast, careful = _both(row)
        assert fast is None
        assert isinstance(careful, PayloadError)
        assert careful.path == f"{path}.shop_money.currency_code"
        assert "SEK" in str(careful) and "EUR" in str(careful)
        if plain is not None:
            node.pop(plain, None)


def test_an_order_in_another_currency_than_the_store_reads_the_buyers_side() -> None:
    """An EUR order in a USD store: the sets' shop money is in USD, their presentment money
    in EUR, the order's own currency."""
    row = copy.deepcopy(ROW)

    def both_sides(eur: str, usd: str) -> dict[str, Any]:
        return {"shop_money": {"amount": usd, "currency_code": "USD"},
                "presentment_money": {"amount": eur, "currency_code": "EUR"}}  # fmt: skip

    row["total_tax_set"] = both_sides("2.00", "2.20")
    row["total_shipping_price_set"] = both_sides("5.00", "5.50")
    row["line_items"][0]["price_set"] = both_sides("10.00", "11.00")
    fast, careful = _both(row)
    assert isinstance(careful, Order)
    assert fast is None or fast == careful
    assert careful.tax_total == Money("2.00", "EUR")
    assert careful.shipping_total == Money("5.00", "EUR")
    del row["total_tax"]
    del row["line_items"][0]["price"]
    careful = _both(row)[1]
    assert isinstance(careful, Order)
    assert careful.tax_total == Money("2.00", "EUR")
    assert careful.lines[0].unit_price == Money("10.00", "EUR")


@pytest.mark.parametrize(("key", "path"), [
    ("total_tax", "$.total_tax_set.presentment_money.amount"),
    ("price", "$.line_items[0].price_set.presentment_money.amount"),
])  # fmt: skip
def test_a_plain_field_is_read_in_the_currency_of_the_side_it_equals(key: str, path: str) -> None:
    """An EUR order in a USD store: a plain field may hold the order's amount or the store's
    (some are documented in the store's currency). Either way the EUR side is read; a plain
    field equal to neither side is an error, not a guess."""
    row = copy.deepcopy(ROW)
    sides = {"shop_money": {"amount": "2.20", "currency_code": "USD"},
             "presentment_money": {"amount": "2.00", "currency_code": "EUR"}}  # fmt: skip
    line_sides = {"shop_money": {"amount": "11.00", "currency_code": "USD"},
                  "presentment_money": {"amount": "10.00", "currency_code": "EUR"}}  # fmt: skip
    row["total_tax_set"], row["line_items"][0]["price_set"] = sides, line_sides
    for tax, price in (("2.00", "10.00"), ("2.20", "11.00")):  # the order's, the store's
        row["total_tax"], row["line_items"][0]["price"] = tax, price
        fast, careful = _both(row)
        assert fast is None or fast == careful
        assert isinstance(careful, Order)
        assert careful.tax_total == Money("2.00", "EUR")
        assert careful.lines[0].unit_price == Money("10.00", "EUR")
    if key == "total_tax":
        row["total_tax"] = "3.33"
    else:
        row["line_items"][0]["price"] = "33.33"
    fast, careful = _both(row)
    assert fast is None
    assert isinstance(careful, PayloadError) and careful.path == path


def _refund(*statuses: str | None) -> Refund:
    body = {"id": "r1", "order_id": "1", "transactions": [
        {"id": f"t{i}", "kind": "refund", "status": status, "amount": "30.00", "currency": "USD"}
        for i, status in enumerate(statuses)]}  # fmt: skip
    return read_payload(Payload(body, "$", "shopline"), refund, "USD")


@pytest.mark.parametrize(
    ("statuses", "amount"),
    [(("failure", "success"), "30.00"), (("error", "success"), "30.00"),
     (("fail",), "0.00"), (("pending",), "30.00"), (("success", "pending"), "60.00")],
)  # fmt: skip
def test_a_refund_counts_the_transactions_that_return_money(
    statuses: tuple[str, ...], amount: str
) -> None:
    assert _refund(*statuses).amount == Money(amount, "USD")


@pytest.mark.parametrize("status", ["settled", None])
def test_a_refund_transaction_of_unknown_status_is_a_payload_error(status: str | None) -> None:
    with pytest.raises(PayloadError) as err:
        _refund("success", status)
    assert err.value.path == "$.transactions[1].status"


def test_a_lost_refund_whose_store_record_has_a_failed_attempt_is_found_once() -> None:
    """The read-back compares the refund's amount with the quote's: a failed attempt next to
    the pending refund must not make the refund the lost answer made look like another."""
    w = world(orders=3, rate_limit=False)
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    state = {"sent": False}

    def script(_n: int, request: Request) -> str | None:
        if request.url.path.endswith("/order/refund.json"):
            state["sent"] = True
            return "reset_after"  # the store refunds, the answer is lost
        if state["sent"] and request.url.path.endswith("/refunds.json"):
            made = w.emulator.orders[ref]["refunds"][-1]["transactions"]
            if len(made) == 1:  # as the gateway left it: one failed try, then pending
                made.insert(0, {**made[0], "id": "23000000000000000000009999",
                                "status": "failure"})  # fmt: skip
                made[1]["status"] = "pending"
        return None

    with w.connect(transport=FaultTransport(w.emulator.transport(), script=script)) as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
        try:
            found: Refund | OutcomeUnknown = store.refunds.create(quote)
        except OutcomeUnknown as exc:
            found = exc
    assert isinstance(found, Refund), found
    assert found.amount == quote.total and len(found.transactions) == 2
    assert len(w.emulator.orders[ref]["refunds"]) == 1
    assert sum(r.path.endswith("/order/refund.json") for r in w.emulator.requests) == 1


def test_a_side_without_its_amount_leaves_the_plain_field_when_no_currency_is_in_doubt() -> None:
    row = copy.deepcopy(ROW)
    usd = {"amount": "2.00", "currency_code": "USD"}
    eur = {"amount": None, "currency_code": "EUR"}
    row["total_tax_set"] = {"shop_money": usd, "presentment_money": eur}
    fast, careful = _both(row)  # "2.00" may be the USD amount: unknown in EUR
    assert fast is None
    assert isinstance(careful, PayloadError)
    assert careful.path == "$.total_tax_set.presentment_money.amount"
    row["total_tax_set"] = {"shop_money": {"amount": None, "currency_code": "EUR"}}
    fast, careful = _both(row)  # no other currency in sight: the plain field is the amount
    assert isinstance(careful, Order) and careful.tax_total == Money("2.00", "EUR")
    assert fast is None or fast == careful
