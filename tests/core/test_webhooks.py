"""Webhook deliveries: verified against the raw body, parsed, de-duplicated, answered right."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from storebridge import _http
from storebridge.errors import UnsupportedOperation, ValidationError
from storebridge.http import Headers
from storebridge.model import Change, ChangeKind, Order, OrderStatus
from storebridge.payload import Payload
from storebridge.webhooks import (
    MemorySeenStore,
    SQLiteSeenStore,
    WebhookRejected,
    asgi_app,
    endpoint,
    receive,
    serve,
)
from tests.support.toy import ToyAdapter

SECRET = "toy-webhook-secret-42"


class HookedToy(ToyAdapter):
    def webhook_secret(self) -> str | None:
        return SECRET

    def parse_webhook(self, headers: Headers, body: bytes, secret: str) -> Change:
        given = headers.get("x-toy-signature", "")
        wanted = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.encode(), wanted.encode()):
            raise WebhookRejected("signature does not match the body")
        p = Payload(json.loads(body), platform="toy")
        data = p.obj("data")
        order = Order(platform="toy", ref=data.string("id"), number=data.string("id"),
                      status=OrderStatus.OPEN, currency="EUR",
                      total=data.money("total", "EUR"))  # fmt: skip
        return Change(platform="toy", store=self.store_id, resource="orders",
                      kind=ChangeKind.UPDATED, ref=order.ref, object=order, source="webhook",
                      event_id=p.string("id"), topic=p.string("topic"))  # fmt: skip


def _adapter() -> HookedToy:
    return HookedToy.from_settings(base_url="https://toy.example", token="toy-secret-token-123")


def _delivery(
    event: str = "e1", order: str = "7", secret: str = SECRET
) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"id": event, "topic": "order.updated",
                       "data": {"id": order, "total": "9.50"}}).encode()  # fmt: skip
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Toy-Signature": signature, "Content-Type": "application/json"}, body


def test_a_delivery_becomes_a_change_once() -> None:
    seen = MemorySeenStore()
    handled: list[Change] = []
    headers, body = _delivery()
    change = receive(_adapter(), headers, body, handle=handled.append, seen=seen)
    assert change is not None and change.ref == "7" and change.object.total.amount == 9.5
    assert change.source == "webhook" and change.event_id == "e1"
    assert receive(_adapter(), headers, body, handle=handled.append, seen=seen) is None
    assert len(handled) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b.replace(b"9.50", b"0.01")), id="body-changed"),
        pytest.param(lambda h, b: ({"Content-Type": "application/json"}, b), id="no-signature"),
        pytest.param(lambda h, b: ({"X-Toy-Signature": "zz"}, b), id="garbage-signature"),
        pytest.param(lambda h, b: ({"X-Toy-Signature": "é" * 64}, b), id="non-ascii"),
    ],
)
def test_a_tampered_or_unsigned_delivery_is_rejected_with_401(tamper: Any) -> None:
    headers, body = tamper(*_delivery())
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), headers, body)
    assert caught.value.status == 401


def test_an_unreadable_but_signed_delivery_is_rejected_with_400() -> None:
    body = b'{"id": "e2", "topic": "order.updated", "data": {"total": "1"}}'
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejected) as caught:
        receive(_adapter(), {"X-Toy-Signature": signature}, body)
    assert caught.value.status == 400 and "$.data.id" in str(caught.value)


def test_a_failed_handler_leaves_the_delivery_unseen(tmp_path: Path) -> None:
    seen = SQLiteSeenStore(tmp_path / "seen.sqlite")
    headers, body = _delivery("e3")

    def boom(change: Change) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        receive(_adapter(), headers, body, handle=boom, seen=seen)
    handled: list[Change] = []
    assert receive(_adapter(), headers, body, handle=handled.append, seen=seen) is not None
    again = SQLiteSeenStore(tmp_path / "seen.sqlite")  # another process sees it as handled
    assert receive(_adapter(), headers, body, handle=handled.append, seen=again) is None
    assert len(handled) == 1


def test_endpoints_need_a_secret_and_a_platform_that_sends_webhooks() -> None:
    class Secretless(HookedToy):
        def webhook_secret(self) -> str | None:
            return None

    secretless = Secretless.from_settings(base_url="https://toy.example", token="t" * 10)
    with pytest.raises(ValidationError, match="secret"):
        endpoint(secretless)
    assert endpoint(secretless, secret="given").secret == "given"
    with pytest.raises(UnsupportedOperation, match=r"webhooks\.receive"):
        endpoint(ToyAdapter.from_settings(base_url="https://toy.example", token="t" * 10))


def test_the_asgi_app_on_a_real_server_answers_what_platforms_expect() -> None:
    events: list[Change] = []
    failing = {"e-fail": 1}

    async def on_event(change: Change) -> None:
        if failing.get(change.event_id or "", 0):
            failing[change.event_id or ""] -= 1
            raise RuntimeError("handler failed once")
        events.append(change)

    app = asgi_app(on_event, {"acme": _adapter()})
    with serve(app) as url, _http.Client() as client:

        def post(path: str, delivery: tuple[dict[str, str], bytes]) -> int:
            headers, body = delivery
            return client.post(f"{url}{path}", headers=headers, content=body).status_code

        assert post("/acme", _delivery("e1")) == 200
        assert post("/acme", _delivery("e1")) == 200  # redelivery: acknowledged, dropped
        headers, body = _delivery("e2")
        assert post("/acme", (headers, body.replace(b"9.50", b"0.01"))) == 401
        assert post("/acme", _delivery("e3", secret="wrong-secret")) == 401
        assert post("/nobody", _delivery("e4")) == 404
        assert post("/acme", _delivery("e-fail")) == 500  # the platform will deliver again
        assert post("/acme", _delivery("e-fail")) == 200
    assert [e.event_id for e in events] == ["e1", "e-fail"]
    assert url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("with_seen", [True, False])
def test_an_async_handler_is_refused_not_marked_handled_unrun(with_seen: bool) -> None:
    # receive() calls handle without awaiting: an async def's coroutine never ran, yet the
    # delivery was answered (2xx) and marked handled, and its re-delivery dropped as seen.
    ran: list[str] = []

    async def handle(change: Change) -> None:
        ran.append(change.ref)

    seen = MemorySeenStore() if with_seen else None
    headers, body = _delivery()
    for _ in range(2):  # the platform's re-delivery meets the same refusal, never "seen"
        with pytest.raises(ValidationError, match="handle is an async function") as caught:
            receive(_adapter(), headers, body, handle=handle, seen=seen)
        assert caught.value.field == "handle"
    assert ran == []
    if seen is not None:  # the claim was given back: a plain handler takes the delivery
        assert receive(_adapter(), headers, body, handle=lambda c: ran.append(c.ref), seen=seen)
        assert ran == ["7"]
