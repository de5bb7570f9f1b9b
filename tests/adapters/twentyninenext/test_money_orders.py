"""29 Next order amounts read and written exactly: the amounts storebridge keeps in order
metadata (not rounded to cents), what line prices are (``taxes_included``), one currency
per order, and the fast and careful readers giving the same digits."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import storebridge
from storebridge import Money, OrderDraft, OrderLineDraft
from storebridge.errors import PayloadError
from storebridge.kit import Payload
from storebridge.migrate.mapping import order_draft
from storebridge.model import Order, RefundQuote, TransactionAllocation
from storebridge_29next._converter import AMOUNTS_METADATA_KEY, order_body, structure
from storebridge_29next._fast_orders import order_row
from storebridge_29next._refunds import _refund_body
from tests.adapters.shopline.support import world
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox
from tests.adapters.twentyninenext.test_payload_mutation import ANSWERS

LIST_ROW: dict[str, Any] = ANSWERS["list row"][1]


def _careful(row: Any) -> Order:
    return structure(Payload(row, "$", "29next"), Order)


def _variant(store: storebridge.Store) -> str:
    return next(iter(store.products.list())).variants[0].ref


# Amounts kept in metadata -----------------------------------------------------------------
def _kwd_draft(tax: str, discount: str | None = None, variant: str = "11") -> OrderDraft:
    line = OrderLineDraft(title="x", quantity=3, unit_price=Money("10.000", "KWD"),
                          variant_ref=variant)  # fmt: skip
    return OrderDraft(currency="KWD", lines=(line,), total=Money("31.24", "KWD"),
                      tax_total=Money(tax, "KWD"),
                      discount_total=None if discount is None else Money(discount, "KWD"),
                      email="k@example.com", tags=("sb:test:kwd",))  # fmt: skip


def test_tax_and_discount_with_three_decimals_are_kept_exactly() -> None:
    body = order_body(_kwd_draft("1.235", "0.005"), [11], legacy=False)
    sent = json.loads(body["metadata"][AMOUNTS_METADATA_KEY])
    assert (sent["tax"], sent["discount"]) == ("1.235", "0.005")
    sandbox = Sandbox(orders=3)
    with sandbox.connect() as store:
        made = store.orders.create(_kwd_draft("1.235", "0.005", _variant(store)))
        again = store.orders.get(made.ref)
    for order in (made, again):
        assert order.tax_total == Money("1.235", "KWD")
        assert order.discount_total == Money("0.005", "KWD")
        assert order.total == Money("31.24", "KWD")


def test_metadata_amounts_are_fixed_point_text() -> None:
    body = order_body(_kwd_draft("1E+1"), [11], legacy=False)
    sent = json.loads(body["metadata"][AMOUNTS_METADATA_KEY])
    assert sent["tax"] == "10"  # not "1E+1"


# What line prices are ------------------------------------------------------------------------
GROSS_ROW: dict[str, Any] = {
    "number": "100900", "currency": "USD", "total_incl_tax": "25.00", "total_excl_tax": "20.00",
    "shipping_excl_tax": "0.00", "total_tax": "5.00", "total_discount": "0.00",
    "payment_status": "paid",
    "lines": [{"id": 1, "product_title": "Mug", "sku": "MUG", "quantity": 2,
               "current_quantity": 2, "price_incl_tax": "12.50", "price_excl_tax": "10.00",
               "currency": "USD", "product_id": 1, "variant_id": 1}],
}  # fmt: skip


def test_both_readers_say_line_prices_include_tax() -> None:
    assert _careful(GROSS_ROW).taxes_included is True
    fast = order_row(LIST_ROW)
    assert fast is not None and fast.taxes_included is True
    assert _careful(LIST_ROW).taxes_included is True


def test_a_29next_order_copied_to_shopline_keeps_its_total_and_tax_without_a_discount() -> None:
    draft = order_draft(_careful(GROSS_ROW), "sb:29next:acme:o100900", None, {})
    w = world(orders=0)
    with w.connect() as store:
        made = store.orders.create(draft)
    assert made.total == Money("25.00", "USD")
    assert made.tax_total == Money("5.00", "USD")
    assert made.discount_total in (None, Money("0.00", "USD"))
    assert made.taxes_included is True


@pytest.mark.parametrize("flag", [True, False, None])
def test_an_order_storebridge_created_reads_back_the_draft_s_taxes_included(
    flag: bool | None,
) -> None:
    sandbox = Sandbox(orders=3)
    with sandbox.connect() as store:
        line = OrderLineDraft(title="x", quantity=2, unit_price=Money("10.00", "USD"),
                              variant_ref=_variant(store))  # fmt: skip
        # 24.00: gross lines (tax inside) and 4.00 shipping, or net lines and 4.00 tax.
        shipping = Money("4.00" if flag else "0.00", "USD")
        draft = OrderDraft(currency="USD", lines=(line,), total=Money("24.00", "USD"),
                           tax_total=Money("4.00", "USD"), shipping_total=shipping,
                           taxes_included=flag, email="t@example.com",
                           tags=(f"sb:test:{flag}",))  # fmt: skip
        made = store.orders.create(draft)
        assert store.orders.get(made.ref).taxes_included is flag
    assert made.taxes_included is flag


# One currency per order ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "path"),
    [
        ({"currency": "EUR"}, "$.lines[0].currency"),
        ({"sku": None, "product_title": None, "product": {"id": 1, "title": "Mug"},
          "stockrecord": {"id": 5, "partner_sku": "MUG"}, "price_currency": "EUR"},
         "$.lines[0].price_currency"),  # 2023-02-10 shape
    ],
)  # fmt: skip
def test_a_line_in_another_currency_than_its_order_is_refused(line: Any, path: str) -> None:
    entry = {k: v for k, v in {**GROSS_ROW["lines"][0], **line}.items() if v is not None}
    row = {**GROSS_ROW, "lines": [entry]}
    assert order_row(row) is None  # rows with lines are read the careful way
    with pytest.raises(PayloadError) as caught:
        _careful(row)
    assert caught.value.path == path and "EUR" in str(caught.value)
    same = {**GROSS_ROW, "lines": [{**entry, path.rsplit(".", 1)[1]: "usd"}]}
    assert _careful(same).lines[0].unit_price == Money("12.50", "USD")


def test_a_store_read_of_a_line_in_another_currency_raises() -> None:
    def euro_lines(request: Any, body: Any, n: int) -> Any:
        for row in body.get("results", [body]):
            for entry in row.get("lines", []):
                entry["currency" if "currency" in entry else "price_currency"] = "EUR"
        return body

    def orders(request: Any) -> bool:
        return "/orders/" in request.url.path and request.method == "GET"

    sandbox = Sandbox(orders=3)
    for version in ("2024-04-01", "2023-02-10"):
        transport = Rewriting(sandbox.emulator.transport(), orders, euro_lines)
        with sandbox.connect(transport, api_version=version) as store:
            with pytest.raises(PayloadError, match="EUR"):
                store.orders.get("100001")
            with pytest.raises(PayloadError, match="EUR"):
                list(store.orders.list(detail=True))


# The same digits from both readers ---------------------------------------------------------
@pytest.mark.parametrize(
    ("excl", "shipping"),
    [("1e2", None), ("1e2", "0.00"), ("1E+2", "-0.00"), ("100.0", None), ("59.9", "3.99"),
     (59.9, None), ("-0.00", None)],
)  # fmt: skip
def test_fast_and_careful_subtotals_print_alike(excl: Any, shipping: Any) -> None:
    row = {k: v for k, v in LIST_ROW.items() if k != "shipping_excl_tax"}
    row["total_excl_tax"] = excl
    if shipping is not None:
        row["shipping_excl_tax"] = shipping
    fast, careful = order_row(row), _careful(row)
    assert fast is not None and careful.subtotal is not None
    assert fast == careful
    assert fast.to_json() == careful.to_json()
    assert repr(fast.subtotal) == repr(careful.subtotal)
    expected = Decimal(str(excl)) - Decimal(shipping or 0)
    assert careful.subtotal.amount == expected


@pytest.mark.parametrize(
    ("amount", "currency", "sent"),
    [("1.23", "KWD", "1.23"), ("1000", "JPY", "1000.00"), ("5.5", "USD", "5.50")],
)
def test_refund_allocations_are_sent_with_the_two_decimals_29next_takes(
    amount: str, currency: str, sent: str
) -> None:
    allocation = TransactionAllocation(transaction_ref="7", amount=Money(amount, currency))
    quote = RefundQuote(platform="29next", order_ref="100301", lines=(),
                        total=Money(amount, currency), allocations=(allocation,))  # fmt: skip
    body = _refund_body(quote, None, False, currency)
    assert body["transactions"] == [{"id": 7, "amount": sent}]
