"""Webhooks end to end on loopback: subscribe through the facade, change an order and a
customer in a sandbox, and receive verified, parsed, de-duplicated events on the ASGI app
served by uvicorn on 127.0.0.1 -- for every platform whose sandbox sends webhooks, with the
emulator in-process and served on its own loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import StorebridgeError
from storebridge.model import Change, ChangeKind, Customer, CustomerUpdate, Order
from storebridge.registry import adapter_class
from storebridge.sandbox import Emulator
from storebridge.sandbox.webhooks import (
    Delivery,
    DeliveryQueue,
    WebhookOptions,
    refused_target,
)
from storebridge.webhooks import MemorySeenStore, asgi_app, serve

PLATFORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "29next": ("https://acme.29next.store", {"rate_limit": None}),
    "shopline": ("https://acme.myshopline.com", {"rate_limit": False}),
}
FAST = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
"""The stores' own pace, matching their sandboxes' (no limit): at 29 Next's documented 4
requests a second, one at a time, each test waited a quarter of a second a request to make
its changes, and these tests are about the webhooks the changes send."""


@contextmanager
def sandbox_store(
    platform: str, served: bool, **options: Any
) -> Iterator[tuple[storebridge.Store, Emulator]]:
    """A store on a fresh sandbox: in-process (its transport) or on a loopback port."""
    base, defaults = PLATFORMS[platform]
    kit = adapter_class(platform).sandbox(orders=6, **{**defaults, **options})
    with ExitStack() as stack:
        if served:
            url = stack.enter_context(kit.emulator.serve())
            store = storebridge.connect(platform, options=FAST, **kit.settings(url))
        else:
            store = storebridge.connect(
                platform, transport=kit.emulator.transport(), options=FAST, **kit.settings(base)
            )
        stack.enter_context(store)
        hub = kit.emulator.webhooks
        if hub is not None:
            stack.callback(hub.close)
        yield store, kit.emulator


def _change_an_order_and_a_customer(store: storebridge.Store) -> tuple[str, str]:
    order = next(o for o in store.orders.list() if o.status.value != "cancelled")
    store.orders.cancel(order.ref, reason="customer")
    customer = next(iter(store.customers.list()))
    store.customers.update(customer.ref, CustomerUpdate(first_name="Webhook"))
    return order.ref, customer.ref


def _flush(emulator: Emulator) -> None:
    assert emulator.webhooks is not None
    assert emulator.webhooks.flush(30), "deliveries still pending after 30 s"


@pytest.mark.parametrize("served", [False, True], ids=["in-process", "loopback"])
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_changes_arrive_verified_parsed_and_once(platform: str, served: bool) -> None:
    events: list[Change] = []
    duplicates = WebhookOptions(duplicates=True)
    with sandbox_store(platform, served, webhooks=duplicates) as (store, emulator):
        app = asgi_app(events.append, {"acme": store}, seen=MemorySeenStore())
        with serve(app) as receiver:
            made = store.webhooks.subscribe(
                ["orders.updated", "customers.updated"], f"{receiver}/acme"
            )
            assert {t for s in made for t in s.topics} == {"orders.updated", "customers.updated"}
            assert {s.ref for s in store.webhooks.list()} == {s.ref for s in made}
            order_ref, customer_ref = _change_an_order_and_a_customer(store)
            _flush(emulator)
    assert emulator.webhooks is not None
    sent = emulator.webhooks.attempts
    # Every event went out twice with one id; the receiver handled each id once.
    assert len(sent) == 2 * len({a.delivery.event_id for a in sent}) and all(a.ok for a in sent)
    assert len(events) == len({a.delivery.event_id for a in sent})
    orders = [e for e in events if e.resource == "orders"]
    customers = [e for e in events if e.resource == "customers"]
    assert {e.ref for e in orders} == {order_ref}
    assert isinstance(orders[0].object, Order) and orders[0].object.status.value == "cancelled"
    assert [e.ref for e in customers] == [customer_ref]
    assert isinstance(customers[0].object, Customer)
    assert customers[0].object.first_name == "Webhook"
    assert all(e.kind is ChangeKind.UPDATED and e.source == "webhook" for e in events)
    assert all(e.platform == platform and e.event_id for e in events)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_tampered_or_foreign_deliveries_get_401(platform: str) -> None:
    captured: list[_http.Request] = []

    def keep(request: _http.Request) -> _http.Response:
        captured.append(request)
        return _http.Response(200)

    inbox = WebhookOptions(transport=_http.MockTransport(keep))
    with sandbox_store(platform, False, webhooks=inbox) as (store, emulator):
        store.webhooks.subscribe(["customers.updated"], "https://receiver.example/hooks")
        _change_an_order_and_a_customer(store)
        _flush(emulator)
        events: list[Change] = []
        app = asgi_app(events.append, {"acme": store})
        assert len(captured) == 1
        original = captured[0]
        body = original.content
        headers = {k: v for k, v in original.headers.items() if k != "content-length"}
        with serve(app) as receiver, _http.Client() as client:

            def post(content: bytes, sent: dict[str, str]) -> int:
                return client.post(f"{receiver}/acme", content=content, headers=sent).status_code

            assert post(body.replace(b"Webhook", b"Webhook!"), headers) == 401
            signature = next(k for k in headers if "signature" in k or "hmac" in k)
            assert post(body, {**headers, signature: "0" * 64}) == 401
            assert post(body, {k: v for k, v in headers.items() if k != signature}) == 401
            assert events == []
            assert post(body, headers) == 200
            assert post(body, headers) == 200  # the same delivery again: acknowledged, dropped
    assert len(events) == 1 and events[0].resource == "customers"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_failing_receiver_is_retried_until_it_takes_the_event(platform: str) -> None:
    failures = {"left": 2}
    events: list[Change] = []

    def on_event(change: Change) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database briefly down")
        events.append(change)

    options = WebhookOptions(attempts=4, retry_delay=0.01)
    with sandbox_store(platform, True, webhooks=options) as (store, emulator):
        with serve(asgi_app(on_event, {"acme": store})) as receiver:
            store.webhooks.subscribe(["customers.updated"], f"{receiver}/acme")
            customer = next(iter(store.customers.list()))
            store.customers.update(customer.ref, CustomerUpdate(last_name="Retried"))
            _flush(emulator)
    assert emulator.webhooks is not None
    assert [a.status for a in emulator.webhooks.attempts] == [500, 500, 200]
    assert [e.ref for e in events] == [customer.ref]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_sandbox_refuses_targets_off_this_machine(platform: str) -> None:
    with sandbox_store(platform, False) as (store, _):
        with pytest.raises(StorebridgeError, match="loopback"):
            store.webhooks.subscribe(["orders.updated"], "https://receiver.example/hooks")
        assert list(store.webhooks.list()) == []


def test_the_queue_never_contacts_other_hosts_and_gives_up_after_its_attempts() -> None:
    queue = DeliveryQueue(WebhookOptions(attempts=3, retry_delay=0.0))
    try:
        queue.send(Delivery("https://receiver.example/x", b"{}", {}, "order.updated", "e1"))
        # Nothing listens on port 9 of loopback (discard): every attempt fails to connect.
        queue.send(Delivery("http://127.0.0.1:9/x", b"{}", {}, "order.updated", "e2"))
        assert queue.flush(30)
    finally:
        queue.close()
    by_event = {a.delivery.event_id: a for a in queue.attempts}
    assert by_event["e1"].status is None and "loopback" in (by_event["e1"].error or "")
    assert [a.attempt for a in queue.attempts if a.delivery.event_id == "e2"] == [1, 2, 3]
    assert not any(a.ok for a in queue.attempts)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8000/hook", True),
        ("http://localhost/hook", True),
        ("http://[::1]:8000/hook", True),
        ("https://127.0.0.5/hook", True),
        ("https://example.com/hook", False),
        ("http://10.0.0.1/hook", False),
        ("ftp://127.0.0.1/hook", False),
        ("not a url", False),
    ],
)
def test_only_loopback_targets_pass_without_a_transport(url: str, allowed: bool) -> None:
    assert (refused_target(url, WebhookOptions()) is None) is allowed
    transport = WebhookOptions(transport=_http.MockTransport(lambda r: _http.Response(200)))
    assert (refused_target(url, transport) is None) is url.startswith(("http:", "https:"))
