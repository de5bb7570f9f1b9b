"""Delivered products and refunds are priced in a currency known for sure, or the delivery
is refused with 503 so that SHOPLINE delivers it again once the currency is known.

Product deliveries carry no currency: a Store given to ``receive()`` or ``asgi_app`` reads
the store's currency first (``Adapter.webhook_setup``); a bare adapter that has not read it,
or a store whose currency cannot be read right now, answers 503."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from storebridge import Money, _http, webhooks
from storebridge.model import Product, Refund
from storebridge.testing import FaultTransport
from storebridge.webhooks import WebhookRejected, _setup
from storebridge_shopline import ShoplineAdapter, sign_webhook
from tests.adapters.shopline.support import World, world

PRODUCT = {"id": "7001", "title": "Mug",
           "variants": [{"id": "8001", "sku": "MUG", "price": "199.00",
                         "inventory_tracker": True, "inventory_quantity": 12}]}  # fmt: skip
REFUND = {"id": "SL201", "order_id": "2105", "transactions": [
    {"id": "t1", "kind": "refund", "status": "success", "amount": "30.00", "currency": "SEK"},
]}  # fmt: skip
NO_CURRENCY = [("products/update", PRODUCT)]
"""A refund naming no currency is not priced in the store's (it is in its order's, see
test_refund_delivery_currency.py)."""


def _signed(w: World, topic: str, record: Any, event: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps(record).encode()
    headers = {"X-Shopline-Topic": topic, "X-Shopline-Webhook-Id": event,
               "X-Shopline-Hmac-Sha256": sign_webhook(w.settings["app_secret"], body)}  # fmt: skip
    return headers, body


def _deliver(w: World, target: Any, topic: str, record: Any, event: str) -> Any:
    headers, body = _signed(w, topic, record, event)
    return webhooks.receive(target, headers, body)


def _priced_in_nok(topic: str, change: Any) -> None:
    if topic == "products/update":
        assert isinstance(change.object, Product)
        assert change.object.variants[0].price == Money("199.00", "NOK")
    else:
        assert isinstance(change.object, Refund) and change.object.amount == Money("0", "NOK")


@pytest.mark.parametrize(("topic", "record"), NO_CURRENCY)
def test_an_adapter_that_has_not_read_the_currency_asks_for_the_delivery_again(
    topic: str, record: Any
) -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    with w.connect() as store:
        with pytest.raises(WebhookRejected) as err:
            _deliver(w, store.adapter, topic, record, "w1")  # a bare adapter sends nothing
        assert err.value.status == 503 and "shop_currency()" in str(err.value)
        assert store.extra.shop_currency() == "NOK"
        _priced_in_nok(topic, _deliver(w, store.adapter, topic, record, "w1"))


@pytest.mark.parametrize(("topic", "record"), NO_CURRENCY)
def test_a_store_reads_its_currency_before_the_first_delivery(topic: str, record: Any) -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    with w.connect() as store:
        _priced_in_nok(topic, _deliver(w, store, topic, record, "w1"))


def test_a_store_whose_currency_cannot_be_read_yet_answers_503_then_reads_it() -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    down = {"on": True}

    def shop_down(number: int, request: Any) -> str | None:
        return "server_error" if down["on"] and "merchants/shop" in str(request.url) else None

    faulty = FaultTransport(w.emulator.transport(), script=shop_down)
    with w.connect(transport=faulty) as store:
        with pytest.raises(WebhookRejected) as err:
            _deliver(w, store, "products/update", PRODUCT, "w1")
        assert err.value.status == 503
        down["on"] = False
        _priced_in_nok("products/update", _deliver(w, store, "products/update", PRODUCT, "w1"))


def test_the_asgi_app_reads_the_currency_at_the_first_delivery() -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    events: list[Any] = []
    with w.connect() as store:
        app = webhooks.asgi_app(events.append, {"acme": store})
        headers, body = _signed(w, "products/update", PRODUCT, "w1")
        with webhooks.serve(app) as url, _http.Client() as client:
            assert url.startswith("http://127.0.0.1:")
            answer = client.post(f"{url}/acme", headers=headers, content=body)
    assert answer.status_code == 200, answer.text
    _priced_in_nok("products/update", events[0])


def test_a_refund_naming_its_currency_needs_no_store_currency() -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    with w.connect() as store:
        change = _deliver(w, store.adapter, "refunds/create", REFUND, "w2")
        adapter = store.adapter
        assert isinstance(adapter, ShoplineAdapter) and adapter.currency is None  # none read
    assert isinstance(change.object, Refund) and change.object.amount == Money("30.00", "SEK")


def test_the_asgi_app_never_holds_deliveries_that_need_no_currency() -> None:
    """While the store's currency cannot be read (the server's start reads it, and fails),
    order deliveries are accepted without waiting for it; product deliveries are asked
    again (503) until it can be read, then accepted."""
    w = world(orders=2, currency="NOK", rate_limit=False)
    down = {"on": True}

    def shop_down(number: int, request: Any) -> str | None:
        return "server_error" if down["on"] and "merchants/shop" in str(request.url) else None

    faulty = FaultTransport(w.emulator.transport(), script=shop_down)
    events: list[Any] = []
    with w.connect(transport=faulty) as store:
        order = next(iter(store.orders.list()))
        app = webhooks.asgi_app(events.append, {"acme": store})
        with webhooks.serve(app) as url, _http.Client() as client:

            def post(topic: str, record: Any, event: str) -> int:
                headers, body = _signed(w, topic, record, event)
                return client.post(f"{url}/acme", headers=headers, content=body).status_code

            assert post("orders/update", order.raw, "o1") == 200  # it names its currency
            assert post("products/update", PRODUCT, "p1") == 503
            down["on"] = False
            assert post("products/update", PRODUCT, "p1") == 200
    assert [type(e.object).__name__ for e in events] == ["Order", "Product"]
    _priced_in_nok("products/update", events[1])


class _SlowShop(_http.BaseTransport):
    """The emulator, with ``merchants/shop.json`` held until ``opened`` is set."""

    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.opened = threading.Event()
        self.reads = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        if "merchants/shop" in str(request.url):
            self.reads += 1
            self.opened.wait(30)
        return self.inner.handle_request(request)


def test_receive_reads_the_currency_once_and_waits_for_it_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_setup, "WAIT", 0.3)
    w = world(orders=2, currency="NOK", rate_limit=False)
    slow = _SlowShop(w.emulator.transport())
    with w.connect(transport=slow) as store:
        outcomes: list[object] = []

        def deliver(event: str) -> None:
            try:
                outcomes.append(_deliver(w, store, "products/update", PRODUCT, event))
            except WebhookRejected as exc:
                outcomes.append(exc.status)

        threads = [threading.Thread(target=deliver, args=(f"p{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert outcomes == [503] * 4  # each waited its bounded time, none forever
        assert slow.reads == 1  # one reading for all of them
        slow.opened.set()
        deadline = time.monotonic() + 10
        while store.adapter.currency is None and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        _priced_in_nok("products/update", _deliver(w, store, "products/update", PRODUCT, "p9"))
    assert slow.reads == 1


def test_stores_whose_currency_read_hangs_hold_up_no_other_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_setup, "WAIT", 0.3)
    hanging = [world(orders=1, currency="NOK", rate_limit=False) for _ in range(5)]
    healthy = world(orders=1, currency="NOK", rate_limit=False)
    slows = [_SlowShop(w.emulator.transport()) for w in hanging]
    stores = [w.connect(transport=slow) for w, slow in zip(hanging, slows, strict=True)]
    try:
        for w, store in zip(hanging, stores, strict=True):
            with pytest.raises(WebhookRejected):
                _deliver(w, store, "products/update", PRODUCT, "h1")
        with healthy.connect() as store:
            _priced_in_nok("products/update", _deliver(healthy, store, "products/update",
                                                       PRODUCT, "ok"))  # fmt: skip
    finally:
        for slow in slows:
            slow.opened.set()
        for store in stores:
            store.close()


def test_a_setup_thread_that_cannot_start_leaves_the_next_delivery_to_try_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(orders=1, currency="NOK", rate_limit=False)
    with w.connect() as store:
        start = threading.Thread.start

        def refuse(self: threading.Thread) -> None:
            raise RuntimeError("can't start new thread")

        monkeypatch.setattr(threading.Thread, "start", refuse)
        with pytest.raises(WebhookRejected) as err:
            _deliver(w, store, "products/update", PRODUCT, "p1")
        assert err.value.status == 503
        monkeypatch.setattr(threading.Thread, "start", start)
        _priced_in_nok("products/update", _deliver(w, store, "products/update", PRODUCT, "p1"))
