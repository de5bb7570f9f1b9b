"""24Nettbutikk order amounts against the platform notes: an order in another currency than
the shop's carries an ``exchange_rate`` (against NOK), and the notes do not say which of the
two currencies its amounts are in. Read in either, they could be off by that rate, so such
an order is a PayloadError at ``exchange_rate`` on the fast and the careful way alike; an
order in the shop's currency, or at a rate of 1, reads as before.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storebridge import Money, PayloadError
from storebridge.kit import Payload, read_payload
from storebridge.model import Order
from storebridge_24nettbutikk._converter import WireReader
from tests.adapters.nettbutikk.shop import emulator, store_on

READER = WireReader(ZoneInfo("Europe/Oslo"), "NOK")
# The notes' example order (section 4), one line, with its currency left to each test.
ROW: dict[str, Any] = {
    "order_no": "10231", "customer_id": "1042", "customer_comment": None, "status": "1",
    "fraud_status": "0", "order_date": "2015-08-27", "order_time": "14:03:11",
    "sent_date": None, "payment_method_id": "3", "payment_method": "Faktura",
    "payment_addition": "0.00", "shipping_method": "2", "shipping_method_text": "Servicepakke",
    "shipping_costs": "99.00", "shipping_svalbard": "0.00", "vat": "25.00", "paid": "0",
    "deleted": "0", "currency": "NOK", "exchange_rate": "1.00", "total_amount_gross": "598.00",
    "total_vat": "119.60", "modified_on": "2015-08-27 14:03:11",
    "order_lines": [{"id": "55012", "order_no": "10231", "product_id": "77",
                     "unique_product_id": "77-3", "product_name": "T-skjorte", "quantity": "2",
                     "unit_price": "249.50", "sent": "0", "quantity_sent": "0",
                     "extra_price": "0.00", "discount": "0.00", "total_amount_gross": "499.00",
                     "total_vat": "99.80"}],
}  # fmt: skip


def _both(row: dict[str, Any]) -> tuple[Order | PayloadError, Order | PayloadError]:
    """The reader's answer (the fast way when the row is plain) and the careful way's."""
    found: list[Order | PayloadError] = []
    for read in (READER.order, READER.order_carefully):
        try:
            found.append(read_payload(Payload(copy.deepcopy(row), "$", "24nettbutikk"), read))
        except PayloadError as exc:
            found.append(exc)
    return found[0], found[1]


@pytest.mark.parametrize("rate", ["11.50", "0.09", None, ""])
def test_an_order_in_another_currency_at_a_rate_is_a_payload_error(rate: str | None) -> None:
    first, careful = _both({**ROW, "currency": "EUR", "exchange_rate": rate})
    for found in (first, careful):
        assert isinstance(found, PayloadError), found
        assert found.path == "$.exchange_rate"
        assert "EUR" in str(found) and "NOK" in str(found)


@pytest.mark.parametrize(
    ("currency", "rate", "code"),
    [("NOK", "1.00", "NOK"), ("NOK", "11.50", "NOK"), ("NOK", None, "NOK"),
     (None, None, "NOK"), ("EUR", "1.00", "EUR"), ("EUR", 1, "EUR")],
)  # fmt: skip
def test_an_order_whose_amounts_can_only_be_in_one_currency_reads(
    currency: str | None, rate: Any, code: str
) -> None:
    first, careful = _both({**ROW, "currency": currency, "exchange_rate": rate})
    assert isinstance(careful, Order) and first == careful
    assert careful.total == Money("598.00", code)


def test_the_sandbox_refuses_its_order_in_euro_at_a_rate_naming_the_field() -> None:
    shop = emulator(orders=3)
    shop.touch("orders", 10001, currency="EUR", exchange_rate=Decimal("11.50"))
    with store_on(shop, join_customers=False, resolve_skus=False) as store:
        assert store.orders.get("10000").currency == "NOK"
        with pytest.raises(PayloadError) as caught:
            store.orders.get("10001")
    assert caught.value.path == "$.data[0].exchange_rate"
