"""A delivered refund is read in its order's currency, or refused: never in the store's.

A ``refunds/create`` delivery names its currency in its transactions (or ``currency``); one
without transactions (it only restocks) names it only in its amounts' ``*_set`` sides. An
order placed in another enabled currency than the store's is refunded in that currency, so
the store's settlement currency is no answer: the sets are read when every side names the
same currency, and a refund they leave open (no set, sides in two currencies) is refused
with 400, naming the order to read it from.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from storebridge import Money, OrderDraft, OrderLineDraft, RefundLine, _http, webhooks
from storebridge.errors import PayloadError
from storebridge.kit import Payload, read_payload
from storebridge.model import Refund
from storebridge.testing import FaultTransport
from storebridge.webhooks import WebhookRejected
from storebridge_shopline import ShoplineAdapter, sign_webhook
from storebridge_shopline._converter import refund
from tests.adapters.shopline.support import World, world


def _signed(w: World, topic: str, record: Any, event: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps(record).encode()
    headers = {"X-Shopline-Topic": topic, "X-Shopline-Webhook-Id": event,
               "X-Shopline-Hmac-Sha256": sign_webhook(w.settings["app_secret"], body)}  # fmt: skip
    return headers, body


def _deliver(w: World, target: Any, record: Any, event: str = "r1") -> Any:
    headers, body = _signed(w, "refunds/create", record, event)
    return webhooks.receive(target, headers, body)


def _euro_order(w: World) -> str:
    """An order in EUR, one of the store's enabled currencies (the store's is NOK)."""
    line = OrderLineDraft(title="Mug", quantity=2, unit_price=Money("10.00", "EUR"))
    with w.connect() as store:
        return store.orders.create(
            OrderDraft(currency="EUR", lines=(line,), total=Money("20.00", "EUR"))
        ).ref


def _restock_only_refund(w: World, ref: str) -> dict[str, Any]:
    """One unit of ``ref``'s first line refunded, as a delivery of a refund that moved no
    money sends it: no transactions (the emulator's own record is left as it is)."""
    line = w.emulator.orders[ref]["line_items"][0]
    with w.connect() as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
        store.refunds.create(quote)
    stored = json.loads(json.dumps(w.emulator.orders[ref]["refunds"][-1]))
    return {**stored, "order_id": ref, "transactions": []}


def _two_currency_sets(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each line's sets in the store's NOK and the buyer's EUR, as SHOPLINE
    sends amounts of an order placed in another currency than the store's."""
    for line in record["refund_line_items"]:
        for key in ("subtotal_set", "total_tax_set"):
            euro = line[key]["presentment_money"]
            line[key] = {"shop_money": {"amount": "115.00", "currency_code": "NOK"},
                         "presentment_money": euro}  # fmt: skip
    return record


def test_a_refund_of_a_euro_order_is_read_in_euro_not_the_stores_currency() -> None:
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    record = _restock_only_refund(w, _euro_order(w))
    with w.connect() as store:
        assert store.extra.shop_currency() == "NOK"  # known, and still not used
        change = _deliver(w, store, record)
    assert isinstance(change.object, Refund)
    assert change.object.amount == Money("0", "EUR")
    assert [line.amount for line in change.object.lines] == [Money("10.00", "EUR")]


def test_a_refund_whose_sets_are_in_two_currencies_is_refused_naming_its_order() -> None:
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    ref = _euro_order(w)
    record = _two_currency_sets(_restock_only_refund(w, ref))
    with w.connect() as store:
        store.extra.shop_currency()
        with pytest.raises(WebhookRejected) as err:
            _deliver(w, store, record)
        # What the delivery could not say, the API does: the refund in its order's currency.
        [read] = store.extra.list_refunds(ref)
    assert err.value.status == 400
    message = str(err.value)
    assert "$.currency" in message and "EUR, NOK" in message
    assert f"list_refunds('{ref}')" in message
    assert [line.amount for line in read.lines] == [Money("10.00", "EUR")]


NAMES_NONE: list[Any] = [
    pytest.param({"id": "SL201", "order_id": "2105", "transactions": []}, id="no-amounts"),
    pytest.param({"id": "SL201", "order_id": "2105", "refund_line_items": [
        {"id": "1", "line_item_id": "9", "quantity": 1, "restock_type": "no_restock",
         "subtotal": "10.00"}]}, id="plain-amounts"),
    pytest.param({"id": "SL201", "order_id": "2105", "refund_line_items": [
        {"id": "1", "line_item_id": "9", "quantity": 1, "restock_type": "no_restock",
         "subtotal": "10.00", "subtotal_set": {"shop_money": {"amount": "10.00"},
                                               "presentment_money": {"amount": "10.00"}}}]},
        id="sets-without-codes"),
    pytest.param({"id": "SL201", "order_id": "2105", "refund_line_items": [
        {"id": "1", "line_item_id": "9", "quantity": 1, "restock_type": "no_restock",
         "subtotal": "10.00", "subtotal_set": {"shop_money": {"amount": "10.00",
                                                              "currency_code": "NOK"}}}]},
        id="one-side-only"),
]  # fmt: skip


@pytest.mark.parametrize("record", NAMES_NONE)
def test_a_refund_naming_no_currency_is_refused_even_once_the_stores_is_known(
    record: dict[str, Any],
) -> None:
    w = world(orders=1, currency="NOK", rate_limit=False)
    adapter = ShoplineAdapter.from_settings(**w.settings)
    adapter.currency = "NOK"  # as reading merchants/shop.json leaves it
    with pytest.raises(WebhookRejected) as err:
        _deliver(w, adapter, record)
    assert err.value.status == 400 and "list_refunds('2105')" in str(err.value)


def test_the_asgi_app_answers_400_and_hands_nothing_over() -> None:
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    record = _two_currency_sets(_restock_only_refund(w, _euro_order(w)))
    events: list[Any] = []
    with w.connect() as store:
        app = webhooks.asgi_app(events.append, {"acme": store})
        headers, body = _signed(w, "refunds/create", record, "r1")
        with webhooks.serve(app) as url, _http.Client() as client:
            answer = client.post(f"{url}/acme", headers=headers, content=body)
    assert answer.status_code == 400 and "list_refunds" in answer.text
    assert events == []


def test_a_refund_read_from_its_sets_needs_no_store_currency_read() -> None:
    """The store's currency cannot be read (every ``merchants/shop.json`` fails): a refund
    whose sets name its currency is read all the same, not answered 503."""
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    record = _restock_only_refund(w, _euro_order(w))

    def shop_down(number: int, request: Any) -> str | None:
        return "server_error" if "merchants/shop" in str(request.url) else None

    faulty = FaultTransport(w.emulator.transport(), script=shop_down)
    with w.connect(transport=faulty) as store:
        change = _deliver(w, store, record)
    assert isinstance(change.object, Refund) and change.object.amount == Money("0", "EUR")
    assert faulty.injected == {}  # nothing was asked of the store


def test_a_refund_naming_its_currency_in_transactions_still_wins() -> None:
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    ref = _euro_order(w)
    record = _restock_only_refund(w, ref)
    record["transactions"] = [{"id": "t1", "kind": "refund", "status": "success",
                               "amount": "10.00", "currency": "EUR"}]  # fmt: skip
    adapter = ShoplineAdapter.from_settings(**w.settings)  # nothing read
    change = _deliver(w, adapter, _two_currency_sets(record))
    assert isinstance(change.object, Refund) and change.object.amount == Money("10.00", "EUR")
    assert [line.amount for line in change.object.lines] == [Money("10.00", "EUR")]


def test_the_sandbox_sends_refund_lines_with_their_sets() -> None:
    """The documented refund line carries ``subtotal_set`` and ``total_tax_set``: what a
    delivered refund without transactions is priced by."""
    w = world(orders=1, currency="NOK", enabled_currencies=("EUR",), rate_limit=False)
    record = _restock_only_refund(w, _euro_order(w))
    [line] = record["refund_line_items"]
    for key in ("subtotal_set", "total_tax_set"):
        sides = {line[key][side]["currency_code"] for side in ("shop_money",
                                                                "presentment_money")}  # fmt: skip
        assert sides == {"EUR"}
    assert line["subtotal_set"]["presentment_money"]["amount"] in ("10.00", 10.0)


def test_a_refund_without_its_transactions_list_is_a_payload_error() -> None:
    """A refund's amount is its transactions': one whose list is missing (not empty: a
    restock-only refund has an empty one) would read as 0.00."""
    body = {"id": "SL301", "order_id": "2105", "currency": "USD", "refund_line_items": []}
    with pytest.raises(PayloadError) as err:
        read_payload(Payload(body, "$", "shopline"), refund, "USD")
    assert "$.transactions" in str(err.value)
    restock_only = read_payload(
        Payload({**body, "transactions": []}, "$", "shopline"), refund, "USD"
    )
    assert restock_only.amount == Money("0.00", "USD")
