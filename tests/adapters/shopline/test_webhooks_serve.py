"""``webhooks.serve`` (and so ``storebridge listen``) runs the ASGI lifespan: an app from
``asgi_app`` reads what its stores' deliveries need as soon as it serves, before any
delivery arrives, so the first product delivery does not wait for the currency."""

from __future__ import annotations

import time
from typing import Any

import storebridge
from storebridge import _http, webhooks
from storebridge.webhooks import _setup
from storebridge_shopline import ShoplineAdapter
from tests.adapters.shopline.support import world
from tests.adapters.shopline.test_money_webhooks import _SlowShop


def _adapter(store: storebridge.Store) -> ShoplineAdapter:
    assert isinstance(store.adapter, ShoplineAdapter)
    return store.adapter


def test_serving_reads_the_store_currency_before_any_delivery() -> None:
    w = world(orders=2, currency="NOK", rate_limit=False)
    with w.connect() as store:
        assert _adapter(store).currency is None
        app = webhooks.asgi_app(lambda change: None, {"acme": store})
        with webhooks.serve(app):
            deadline = time.monotonic() + 30  # a bound on a background read, not a timing
            while _adapter(store).currency is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _adapter(store).currency == "NOK"


def test_an_app_without_lifespan_is_still_served() -> None:
    async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("lifespan is not supported by this app")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with webhooks.serve(bare) as url, _http.Client() as client:
        assert client.post(f"{url}/x").status_code == 204


def test_stopping_the_server_leaves_the_reading_to_those_still_waiting() -> None:
    """The server stopping while the currency is still being read cancels the app's wait,
    not the reading a ``receive()`` in another thread may be waiting for too."""
    w = world(orders=2, currency="NOK", rate_limit=False)
    slow = _SlowShop(w.emulator.transport())
    with w.connect(transport=slow) as store:
        with webhooks.serve(webhooks.asgi_app(lambda change: None, {"acme": store})):
            deadline = time.monotonic() + 30
            while not slow.reads and time.monotonic() < deadline:
                time.sleep(0.01)
            assert slow.reads == 1
        running = _setup._RUNNING[store]
        assert not running.cancelled()
        slow.opened.set()
        assert running.result(timeout=30) is True
        assert _adapter(store).currency == "NOK"
