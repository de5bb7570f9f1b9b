"""SHOPLINE webhooks: one subscription per topic through the facade (versions before
v20240601 refused, faults ridden out without a second subscription), deliveries parsed into
Change events from their headers and body (malformed ones answered 400, unsigned ones 401),
and the emulator's signed deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import Conflict, NotFound, UnsupportedOperation, ValidationError
from storebridge.http import Headers
from storebridge.model import ChangeKind, Customer, CustomerDraft, Order, Product, Refund
from storebridge.sandbox.webhooks import WebhookOptions
from storebridge.testing import FaultTransport
from storebridge.webhooks import WebhookRejected, asgi_app, receive, serve
from storebridge_shopline import DEFAULT_VERSION, ShoplineAdapter, sign_webhook
from tests.adapters.shopline.support import World, world

HOOK = "http://127.0.0.1:9/hooks"
SECRET = "sandbox-app-secret-0000"


def _adapter(**settings: Any) -> ShoplineAdapter:
    given = {"handle": "acme", "access_token": "token-shopline-1234", "app_key": "key",
             "app_secret": SECRET, **settings}  # fmt: skip
    return ShoplineAdapter.from_settings(**given)


def _delivery(topic: str, record: Any, webhook_id: str = "wh-1") -> tuple[dict[str, str], bytes]:
    body = json.dumps(record).encode()
    return {
        "X-Shopline-Topic": topic,
        "X-Shopline-Hmac-Sha256": sign_webhook(SECRET, body),
        "X-Shopline-Webhook-Id": webhook_id,
        "X-Shopline-Shop-Domain": "acme.myshopline.com",
    }, body


def _connect(w: World, transport: Any) -> storebridge.Store:
    return w.connect(transport=transport)


# Subscriptions ------------------------------------------------------------------------------
def test_one_subscription_per_topic_listed_and_removed() -> None:
    w = world(orders=3)
    with w.connect() as store:
        made = store.webhooks.subscribe(["orders.created", "orders.updated", "refunds.created"],
                                        HOOK)  # fmt: skip
        assert [s.topics for s in made] == [("orders.created",), ("orders.updated",),
                                            ("refunds.created",)]  # fmt: skip
        assert [s.raw["topic"] for s in made] == ["orders/create", "orders/updated",
                                                  "refunds/create"]  # fmt: skip
        assert all(s.url == HOOK and s.api_version == DEFAULT_VERSION for s in made)
        assert [s.ref for s in store.webhooks.list()] == [s.ref for s in made]
        for subscription in made:
            store.webhooks.unsubscribe(subscription.ref)
        assert list(store.webhooks.list()) == []
        with pytest.raises(NotFound):
            store.webhooks.unsubscribe(made[0].ref)


def test_the_same_topic_to_the_same_address_twice_is_refused_by_the_platform() -> None:
    w = world(orders=3)
    with w.connect() as store:
        store.webhooks.subscribe(["customers.updated"], HOOK)
    # The platform itself refuses a second subscription ...
    body = {"webhook": {"address": HOOK, "topic": "customers/update"}}
    with w.connect() as store:
        with pytest.raises(Conflict, match="already been taken"):
            store.request("POST", "webhooks.json", json=body)


def test_subscribing_again_keeps_what_is_there_and_makes_the_rest() -> None:
    """... so the facade keeps a subscription already there: a call that failed part way
    (here the second POST is refused on every try) is completed by calling again, once it
    said which topics were made. Before, the error did not say, and calling again ended in
    422 for the topic made."""
    w = world(orders=3)
    posts: list[int] = []

    def script(_n: int, request: Any) -> str | None:
        if request.method == "POST" and request.url.path.endswith("/webhooks.json"):
            posts.append(1)
            return "refused" if len(posts) >= 2 else None
        return None

    topics = ["orders.created", "orders.updated", "customers.updated"]
    with w.connect(transport=FaultTransport(w.emulator.transport(), script=script)) as store:
        with pytest.raises(storebridge.TransportError) as caught:
            store.webhooks.subscribe(topics, HOOK)
    assert "1 of 3 topics are subscribed (orders/create)" in "".join(caught.value.__notes__)
    with w.connect() as store:
        first = [s.ref for s in store.webhooks.list()]
        made = store.webhooks.subscribe(topics, HOOK)
        assert [s.topics for s in made] == [(t,) for t in topics]
        assert made[0].ref == first[0]
        assert sorted(s.ref for s in store.webhooks.list()) == sorted(s.ref for s in made)


def test_a_subscription_of_another_api_version_is_not_taken_for_this_one() -> None:
    w = world(orders=3)
    with w.connect(api_version="v20240601") as store:
        store.webhooks.subscribe(["orders.updated"], HOOK)
    with w.connect() as store:
        with pytest.raises(Conflict, match="already been taken"):
            store.webhooks.subscribe(["orders.created", "orders.updated"], HOOK)


def test_the_subscription_api_needs_v20240601_or_later() -> None:
    w = world(orders=3)
    with w.connect(api_version="v20240301") as store:
        assert "webhooks.receive" in store.capabilities
        assert not {"webhooks.subscribe", "webhooks.list"} & store.capabilities
        with pytest.raises(UnsupportedOperation, match="v20240601"):
            store.webhooks.subscribe(["orders.updated"], HOOK)
    with w.connect(api_version="v20240601") as store:
        assert store.webhooks.subscribe(["orders.updated"], HOOK)[0].api_version == "v20240601"


def test_a_secret_other_than_the_app_secret_is_refused() -> None:
    w = world(orders=3)
    with w.connect() as store:
        with pytest.raises(ValidationError, match="app secret") as caught:
            store.webhooks.subscribe(["orders.updated"], HOOK, secret="my-own-secret")
        assert caught.value.field == "secret"
    assert not [r for r in w.emulator.requests if "webhooks" in r.path]


@pytest.mark.parametrize("ref", ["abc", "1/2", "-1", "1" * 30])
def test_unsubscribe_refuses_what_cannot_be_a_webhook_id(ref: str) -> None:
    w = world(orders=3)
    with w.connect() as store, pytest.raises(ValidationError):
        store.webhooks.unsubscribe(ref)


@pytest.mark.parametrize(
    "fault",
    ["reset_after", "timeout_after", "lost_502", "truncated", "malformed", "html_200",
     "server_error", "rate_limited", "reset_before", "refused"],
)  # fmt: skip
def test_a_subscribe_whose_answer_is_lost_makes_one_subscription_per_topic(fault: str) -> None:
    w = world(orders=3)
    hits = {"n": 0}

    def script(n: int, request: _http.Request) -> str | None:
        if request.method == "POST" and "webhooks" in request.url.path:
            hits["n"] += 1
            return fault if hits["n"] == 2 else None
        return None

    faulty = FaultTransport(w.emulator.transport(), script=script)
    with _connect(w, faulty) as store:
        made = store.webhooks.subscribe(["orders.updated", "customers.updated"], HOOK)
        assert [s.ref for s in store.webhooks.list()] == [s.ref for s in made]
    topics = sorted(s["topic"] for s in w.emulator.subscriptions.subscriptions.values())
    assert topics == ["customers/update", "orders/updated"]
    assert faulty.injected[fault] == 1


@pytest.mark.parametrize("fault", ["server_error", "rate_limited", "reset_before", "truncated",
                                   "html_200", "malformed", "reset_after"])  # fmt: skip
def test_listing_and_unsubscribing_ride_out_faults(fault: str) -> None:
    w = world(orders=3)
    with w.connect() as store:
        made = store.webhooks.subscribe(["orders.updated", "customers.updated"], HOOK)
    faulty = FaultTransport(
        w.emulator.transport(),
        script=lambda n, r: fault if "webhooks" in r.url.path and n in (1, 2) else None,
    )
    with _connect(w, faulty) as store:
        assert [s.ref for s in store.webhooks.list()] == [s.ref for s in made]
        store.webhooks.unsubscribe(made[0].ref)
    assert list(w.emulator.subscriptions.subscriptions) == [int(made[1].ref)]
    assert sum(faulty.injected.values()) == 2


# Receiving ----------------------------------------------------------------------------------
def test_the_emulator_signs_the_record_with_the_app_secret_and_the_headers() -> None:
    captured: list[_http.Request] = []

    def keep(request: _http.Request) -> _http.Response:
        captured.append(request)
        return _http.Response(200)

    w = world(orders=3, webhooks=WebhookOptions(transport=_http.MockTransport(keep)))
    with w.connect() as store:
        topics = ["orders.created", "orders.updated", "customers.created", "customers.updated",
                  "products.created", "refunds.created"]  # fmt: skip
        store.webhooks.subscribe(topics, "https://hooks.example/shopline")
        created = store.customers.create(CustomerDraft(email="new@example.com", first_name="N"))
        order = next(o for o in store.orders.list() if o.status.value != "cancelled")
        store.orders.cancel(order.ref, reason="customer")
    assert w.emulator.webhooks is not None and w.emulator.webhooks.flush(30)
    seen = [(r.headers["x-shopline-topic"], receive(_adapter(), r.headers, r.content))
            for r in captured]  # fmt: skip
    assert [topic for topic, _ in seen] == ["customers/create", "orders/updated"]
    customer_change, order_change = (change for _, change in seen)
    assert customer_change is not None and customer_change.ref == created.ref
    assert isinstance(customer_change.object, Customer)
    assert customer_change.kind is ChangeKind.CREATED
    assert order_change is not None and isinstance(order_change.object, Order)
    assert order_change.object.status.value == "cancelled" and order_change.ref == order.ref
    for request in captured:
        assert request.headers["x-shopline-shop-domain"] == "acme.myshopline.com"
        assert request.headers["x-shopline-api-version"] == DEFAULT_VERSION
        assert len(request.headers["x-shopline-hmac-sha256"]) == 64
    ids = [r.headers["x-shopline-webhook-id"] for r in captured]
    assert len(set(ids)) == len(ids)


def test_the_docs_spelling_of_the_update_topic_is_served_and_read() -> None:
    captured: list[_http.Request] = []

    def keep(request: _http.Request) -> _http.Response:
        captured.append(request)
        return _http.Response(200)

    inbox = WebhookOptions(transport=_http.MockTransport(keep))
    w = world(orders=3, webhooks=inbox)
    with w.connect() as store:
        w.emulator.handle(_http.Request(
            "POST", f"{store.adapter.base_url}/webhooks.json",
            json={"webhook": {"address": HOOK, "topic": "orders/update",
                              "api_version": "v20250601"}},
            headers={"Authorization": f"Bearer {w.settings['access_token']}"},
        ))  # fmt: skip
        assert [s.topics for s in store.webhooks.list()] == [("orders.updated",)]
        order = next(o for o in store.orders.list() if o.status.value != "cancelled")
        store.orders.cancel(order.ref, reason="customer")
    assert w.emulator.webhooks is not None and w.emulator.webhooks.flush(30)
    change = receive(_adapter(), captured[0].headers, captured[0].content)
    assert change is not None and change.topic == "orders/update"
    assert change.kind is ChangeKind.UPDATED and change.ref == order.ref


@pytest.mark.parametrize(
    ("topic", "record", "resource", "kind", "model"),
    [
        ("products/update", {"id": "16057", "title": "Tee", "variants": []}, "products",
         ChangeKind.UPDATED, Product),
        ("products/delete", {"id": "16057"}, "products", ChangeKind.DELETED, type(None)),
        ("customers/delete", {"id": "4201"}, "customers", ChangeKind.DELETED, type(None)),
        ("refunds/create", {"id": "SL201", "order_id": "2105", "transactions": [
            {"id": "t1", "kind": "refund", "status": "success", "amount": "5.00",
             "currency": "USD"}]}, "refunds", ChangeKind.CREATED, Refund),
        ("fulfillments/create", {"id": "77"}, "fulfillments", ChangeKind.CREATED, type(None)),
    ],
)  # fmt: skip
def test_topics_map_onto_changes(
    topic: str, record: Any, resource: str, kind: ChangeKind, model: type[Any]
) -> None:
    headers, body = _delivery(topic, record)
    adapter = _adapter()
    adapter.currency = "USD"  # read from merchants/shop.json: products and refunds need it
    change = receive(adapter, headers, body)
    assert change is not None
    assert (change.resource, change.kind, change.ref) == (resource, kind, record["id"])
    assert isinstance(change.object, model) and change.event_id == "wh-1"


DELETE_TOPICS = ["orders/delete", "customers/delete", "products/delete", "collections/delete"]


@pytest.mark.parametrize("topic", DELETE_TOPICS)
def test_a_deletion_says_which_record_went(topic: str) -> None:
    headers, body = _delivery(topic, {"id": 2105000001})
    change = receive(_adapter(), headers, body)
    assert change is not None and change.kind is ChangeKind.DELETED
    assert change.ref == "2105000001" and change.object is None


@pytest.fixture(scope="module")
def deletions_receiver() -> Iterator[tuple[str, list[Any]]]:
    """The deletion cases' receiver (an app served on loopback) and the events it handed on:
    one for the twenty of them, as stopping a server takes a fifth of a second. Each case
    empties the list first."""
    events: list[Any] = []
    with serve(asgi_app(events.append, {"acme": _adapter()})) as url:
        yield url, events


@pytest.mark.parametrize(
    "record",
    [{"order_id": "2105000001"}, {}, {"id": None}, {"id": ""}, {"id": "  "}],
    ids=["other-key", "empty", "null", "blank", "spaces"],
)
@pytest.mark.parametrize("topic", DELETE_TOPICS)
def test_a_deletion_without_an_id_is_rejected_with_400_not_accepted_as_no_record(
    topic: str, record: Any, deletions_receiver: tuple[str, list[Any]]
) -> None:
    """Accepted as ref "", it would be answered 200 and never re-sent, while no handler could
    tell what was deleted; answered 400 it shows in the platform's delivery log."""
    headers, body = _delivery(topic, record)
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), headers, body)
    assert caught.value.status == 400 and "$.id" in str(caught.value)
    url, events = deletions_receiver
    events.clear()
    with _http.Client() as client:
        answer = client.post(f"{url}/acme", headers=headers, content=body)
    assert answer.status_code == 400 and events == []


MALFORMED: list[Any] = [
    pytest.param({}, b"", id="empty"),
    pytest.param({}, b"not json", id="not-json"),
    pytest.param({}, b"\xff\xfe{}", id="not-utf8"),
    pytest.param({}, b"[1, 2]", id="array"),
    pytest.param({}, b"{}", id="no-id"),
    pytest.param({}, b'{"id": {"x": 1}}', id="id-object"),
    pytest.param({}, b'{"id": "1"}', id="order-without-fields"),
    pytest.param(
        {}, b'{"id": "1", "currency": "EUR", "current_total_price": "lots"}', id="bad-money"
    ),
    pytest.param({"X-Shopline-Topic": ""}, b'{"id": "1"}', id="blank-topic"),
    pytest.param({"X-Shopline-Webhook-Id": ""}, b'{"id": "1"}', id="blank-webhook-id"),
    pytest.param({"X-Shopline-Webhook-Id": None}, b'{"id": "1"}', id="no-webhook-id"),
    pytest.param({}, b"[" * 5000 + b"]" * 5000, id="deeply-nested"),
]


@pytest.mark.parametrize(("override", "body"), MALFORMED)
def test_a_signed_but_unreadable_delivery_is_rejected_with_400(
    override: dict[str, str | None], body: bytes
) -> None:
    headers = {"X-Shopline-Topic": "orders/updated", "X-Shopline-Webhook-Id": "wh-9",
               "X-Shopline-Hmac-Sha256": sign_webhook(SECRET, body)}  # fmt: skip
    headers.update({k: v for k, v in override.items() if v is not None})
    for name in [k for k, v in override.items() if v is None]:
        headers.pop(name)
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), headers, body)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "signature",
    [None, "", "zz" * 32, "00" * 32, "é" * 64, sign_webhook("another-secret", b"{}")],
)
def test_a_missing_or_wrong_signature_is_rejected_with_401(signature: str | None) -> None:
    headers, body = _delivery("customers/update", {"id": "4201"})
    headers.pop("X-Shopline-Hmac-Sha256")
    if signature is not None:
        headers["X-Shopline-Hmac-Sha256"] = signature
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), headers, body)
    assert caught.value.status == 401


def test_the_app_secret_is_the_webhook_secret_and_parsing_needs_no_io() -> None:
    adapter = _adapter()
    assert adapter.webhook_secret() == SECRET
    headers, body = _delivery("customers/delete", {"id": 4201})
    change = adapter.parse_webhook(Headers(headers), body, SECRET)
    assert (change.ref, change.kind, change.store) == ("4201", ChangeKind.DELETED,
                                                       "acme.myshopline.com")  # fmt: skip
    private = _adapter(private_app=True, app_key=None, app_secret=None)
    assert private.webhook_secret() is None
