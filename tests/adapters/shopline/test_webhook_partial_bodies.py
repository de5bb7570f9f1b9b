"""Deliveries whose body is not the record: the ref is read where the topic puts it.

``products/status_changed`` sends ``{product_id, status_old, status_new, updated_at}`` and
``customers/redact`` ``{customer: {id, ...}, orders_to_redact, ...}`` (SHOPLINE's event
models): neither has a top-level ``id``. Read for ``id``, the first was refused as a
product without one (400: every status change lost after SHOPLINE's retries) and the second
accepted as a deletion of ``""`` (200: a redaction no handler could act on).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from storebridge import _http
from storebridge.model import ChangeKind, Product
from storebridge.webhooks import WebhookRejected, asgi_app, receive, serve
from storebridge_shopline import ShoplineAdapter, sign_webhook

SECRET = "sandbox-app-secret-0000"
STATUS = {"product_id": "16057000000000000000000001", "status_old": "active",
          "status_new": "draft", "updated_at": "2026-01-02T03:04:05+00:00"}  # fmt: skip
REDACT = {"customer": {"id": "4201057495", "email": "a@example.com", "phone": "0047"},
          "orders_to_redact": ["#1001"], "shop_domain": "acme.myshopline.com",
          "shop_id": "1644828244663", "update_time": "2026-01-02T03:04:05+00:00"}  # fmt: skip


def _adapter() -> ShoplineAdapter:
    return ShoplineAdapter.from_settings(handle="acme", access_token="token-shopline-1234",
                                         app_key="key", app_secret=SECRET)  # fmt: skip


def _delivery(topic: str, record: Any) -> tuple[dict[str, str], bytes]:
    body = json.dumps(record).encode()
    return {"X-Shopline-Topic": topic, "X-Shopline-Webhook-Id": "wh-1",
            "X-Shopline-Hmac-Sha256": sign_webhook(SECRET, body)}, body  # fmt: skip


def test_a_product_status_change_names_its_product() -> None:
    headers, body = _delivery("products/status_changed", STATUS)
    change = receive(_adapter(), headers, body)  # no store currency needed: no product body
    assert change is not None
    assert (change.resource, change.kind, change.ref) == (
        "products", ChangeKind.UPDATED, STATUS["product_id"])  # fmt: skip
    assert change.object is None and change.raw == STATUS
    assert change.occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_redaction_names_its_customer() -> None:
    headers, body = _delivery("customers/redact", REDACT)
    change = receive(_adapter(), headers, body)
    assert change is not None
    assert (change.resource, change.kind, change.ref) == (
        "customers", ChangeKind.DELETED, "4201057495")  # fmt: skip
    assert change.object is None and change.raw == REDACT


@pytest.mark.parametrize(
    ("topic", "record", "path"),
    [
        ("products/status_changed", {**STATUS, "product_id": None}, "$.product_id"),
        ("products/status_changed", {"id": "16057", "status_new": "draft"}, "$.product_id"),
        ("customers/redact", {**REDACT, "customer": {"email": "a@example.com"}},
         "$.customer.id"),
        ("customers/redact", {"id": "4201057495"}, "$.customer"),
    ],
)  # fmt: skip
def test_one_without_its_ref_is_refused_with_400(topic: str, record: Any, path: str) -> None:
    headers, body = _delivery(topic, record)
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), headers, body)
    assert caught.value.status == 400 and path in str(caught.value)
    events: list[Any] = []
    with serve(asgi_app(events.append, {"acme": _adapter()})) as url, _http.Client() as client:
        answer = client.post(f"{url}/acme", headers=headers, content=body)
    assert answer.status_code == 400 and events == []


def test_the_asgi_app_hands_a_status_change_over() -> None:
    events: list[Any] = []
    headers, body = _delivery("products/status_changed", STATUS)
    with serve(asgi_app(events.append, {"acme": _adapter()})) as url, _http.Client() as client:
        answer = client.post(f"{url}/acme", headers=headers, content=body)
    assert answer.status_code == 200, answer.text
    assert [(e.kind, e.ref) for e in events] == [(ChangeKind.UPDATED, STATUS["product_id"])]


def test_a_product_update_is_still_read_as_the_product() -> None:
    record = {"id": "16057", "title": "Tee", "variants": []}
    headers, body = _delivery("products/update", record)
    adapter = _adapter()
    adapter.currency = "NOK"
    change = receive(adapter, headers, body)
    assert change is not None and change.ref == "16057"
    assert isinstance(change.object, Product) and change.object.title == "Tee"
