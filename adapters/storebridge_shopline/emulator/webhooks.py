"""Webhooks: the subscription API (v20240601 and later) and the signed deliveries it causes.

One subscription is one ``topic`` delivered to one ``address`` with the subscription's
``api_version``; the same address cannot take the same topic twice (422). Get, update and
delete put the id before ``webhooks.json`` (``{id}/webhooks.json``), as SHOPLINE's docs and
Go SDK do. Writes raise the topics the notes list: ``orders/create``, ``orders/updated``
(an edit, a cancel, a refund; the docs' ``orders/update`` spelling is served too),
``orders/cancelled``, ``refunds/create``, ``customers/create``, ``customers/update``,
``products/create``. ``webhooks.json`` pages like every list (``limit``, 50 by default,
``page_info`` cursors in a ``link`` header). A delivery's body is the record itself, signed
with the app secret (hex HMAC-SHA256 of the raw body in ``X-Shopline-Hmac-Sha256``), with
the ``X-Shopline-*`` headers; ``X-Shopline-Webhook-Id`` is new per message and kept when it
is sent again.
Sending, retries and duplicates are :mod:`storebridge.sandbox.webhooks`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import (
    EmulatorRequest,
    Endpoint,
    HTTPProblem,
    Span,
    json_response,
    read_member,
)
from storebridge.sandbox.webhooks import (
    Delivery,
    EventRule,
    RaisedEvent,
    WebhookOptions,
    answer_ref,
    path_ref,
    refused_target,
)
from storebridge_shopline._versions import KNOWN_VERSIONS
from storebridge_shopline._webhooks import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, sign_webhook
from storebridge_shopline.emulator.shop import SHOP_ID
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.wire import API, Handler, Record, page_answer

__all__ = ["EVENT_RULES", "FIRST_VERSION", "TOPICS", "Webhooks", "webhook_headers"]

FIRST_VERSION = "v20240601"
"""The subscription API, and webhooks it creates, exist from this version on."""
MERCHANT_ID = "4216472541"

TOPICS = (
    "orders/create", "orders/updated", "orders/update", "orders/paid", "orders/cancelled",
    "orders/fulfilled", "orders/partially_fulfilled", "orders/edited", "orders/delete",
    "refunds/create", "refunds/update", "customers/create", "customers/update",
    "customers/delete", "customers/enable", "customers/disable", "customers/redact",
    "products/create", "products/update", "products/delete", "products/status_changed",
    "apps/installed_uninstalled",
)  # fmt: skip
"""Topics a subscription may name (those seen in SHOPLINE's Go SDK)."""

_ALIASES: Mapping[str, tuple[str, ...]] = {"orders/updated": ("orders/updated", "orders/update")}
"""Topics raised under one name and subscribed to under either spelling."""


def _refund_ref(answer: Any, _params: Mapping[str, str]) -> str | None:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or data.get("id") is None:
        return None
    return f"{data.get('order_id')}/{data['id']}"


_ORDER = API + r"orders/(?P<id>\d+)"
EVENT_RULES = (
    EventRule("POST", API + r"orders\.json", ("orders/create",), answer_ref("order", "id")),
    EventRule("PUT", _ORDER + r"\.json", ("orders/updated",), path_ref("id")),
    EventRule(
        "POST", _ORDER + r"/cancel\.json", ("orders/cancelled", "orders/updated"), path_ref("id")
    ),
    EventRule("POST", API + r"order/refund\.json", ("refunds/create",), _refund_ref),
    EventRule(
        "POST", API + r"order/refund\.json", ("orders/updated",), answer_ref("data", "order_id")
    ),
    EventRule(
        "POST", API + r"customers\.json", ("customers/create",), answer_ref("customer", "id")
    ),
    EventRule("PUT", API + r"customers/(?P<id>\d+)\.json", ("customers/update",), path_ref("id")),
    EventRule(
        "POST", API + r"products/products\.json", ("products/create",), answer_ref("product", "id")
    ),
)
"""Which successful writes raise which topics, and where the record's key is."""


def webhook_headers(
    app_secret: str, handle: str, topic: str, body: bytes, *, version: str, webhook_id: str
) -> dict[str, str]:
    """The headers SHOPLINE sends with ``body`` (hex HMAC of the raw bytes)."""
    return {
        "Content-Type": "application/json",
        "X-Shopline-Topic": topic,
        SIGNATURE_HEADER: sign_webhook(app_secret, body),
        "X-Shopline-Shop-Domain": f"{handle}.myshopline.com",
        "X-Shopline-Shop-Id": SHOP_ID,
        "X-Shopline-Merchant-Id": MERCHANT_ID,
        "X-Shopline-API-Version": version,
        WEBHOOK_ID_HEADER: webhook_id,
    }


def _unprocessable(errors: Any) -> HTTPProblem:
    return HTTPProblem(422, {"errors": errors})


class Webhooks:
    """The store's subscriptions, their routes, and the deliveries of a raised topic."""

    def __init__(
        self,
        state: StoreState,
        render_order: Callable[[Record], Record],
        options: Callable[[], WebhookOptions],
    ) -> None:
        self.state = state
        self.render_order = render_order
        self.options = options
        self.subscriptions: dict[int, Record] = {}
        self._next_id = 7_000_000_001

    def endpoints(self) -> list[Endpoint[Handler]]:
        one = r"(?P<webhook>\d+)/webhooks\.json"
        return [
            Endpoint("GET", r"webhooks\.json", self._versioned(self.list_webhooks)),
            Endpoint("POST", r"webhooks\.json", self._versioned(self.create_webhook)),
            Endpoint("GET", r"webhooks/count\.json", self._versioned(self.count_webhooks)),
            Endpoint("GET", one, self._versioned(self.get_webhook)),
            Endpoint("PUT", one, self._versioned(self.update_webhook)),
            Endpoint("DELETE", one, self._versioned(self.delete_webhook)),
        ]

    def _versioned(self, handler: Handler) -> Handler:
        def run(req: EmulatorRequest) -> Response:
            if req.params.get("version", "") < FIRST_VERSION:
                raise HTTPProblem(404, {"errors": "Not Found"})
            return handler(req)

        return run

    # Routes ----------------------------------------------------------------------------
    def list_webhooks(self, req: EmulatorRequest) -> Response:
        return page_answer(req, "webhooks", "webhooks", self._by_id, dict)

    def _by_id(self, _filters: Mapping[str, str]) -> Span[Record]:
        return Span.of(self.subscriptions.items())

    def count_webhooks(self, req: EmulatorRequest) -> Response:
        return json_response(200, {"count": len(self.subscriptions)})

    def get_webhook(self, req: EmulatorRequest) -> Response:
        return json_response(200, {"webhook": self._one(req)})

    def create_webhook(self, req: EmulatorRequest) -> Response:
        body = read_member(req, "webhook", lambda: _unprocessable("webhook is required"))
        fields = self._checked(body, None)
        stamp = self.state.stamp()
        record: Record = {"id": self._next_id, **fields, "created_at": stamp, "updated_at": stamp}
        self._next_id += 1
        self.subscriptions[record["id"]] = record
        return json_response(200, {"webhook": record})

    def update_webhook(self, req: EmulatorRequest) -> Response:
        record = self._one(req)
        body = read_member(req, "webhook", lambda: _unprocessable("webhook is required"))
        record.update(self._checked({**record, **body}, record["id"]))
        record["updated_at"] = self.state.stamp()
        return json_response(200, {"webhook": record})

    def delete_webhook(self, req: EmulatorRequest) -> Response:
        record = self._one(req)
        del self.subscriptions[record["id"]]
        return json_response(200, {})

    def _one(self, req: EmulatorRequest) -> Record:
        record = self.subscriptions.get(int(req.params["webhook"]))
        if record is None:
            raise HTTPProblem(404, {"errors": "The webhook does not exist."})
        return record

    def _checked(self, body: Mapping[str, Any], own_id: int | None) -> Record:
        errors: dict[str, list[str]] = {}
        address, topic = body.get("address"), body.get("topic")
        version = body.get("api_version")
        if not isinstance(address, str) or not address:
            errors["address"] = ["can't be blank"]
        elif len(address) > 255:
            errors["address"] = ["is too long (maximum is 255 characters)"]
        else:
            refused = refused_target(address, self.options())
            if refused is not None:
                errors["address"] = [f"refused by the sandbox: it {refused}"]
        if topic not in TOPICS:
            errors["topic"] = ["is invalid"]
        if not isinstance(version, str) or version not in KNOWN_VERSIONS:
            errors["api_version"] = ["is invalid"]
        elif version < FIRST_VERSION:
            errors["api_version"] = [f"must be {FIRST_VERSION} or later"]
        taken = any(
            r["address"] == address and r["topic"] == topic and r["id"] != own_id
            for r in self.subscriptions.values()
        )
        if taken and "address" not in errors:
            errors["address"] = ["for this topic has already been taken"]
        if errors:
            raise _unprocessable(errors)
        return {"address": address, "topic": topic, "api_version": version}

    # Deliveries ------------------------------------------------------------------------
    def deliveries(self, raised: RaisedEvent) -> list[Delivery]:
        """One signed delivery per subscription to ``raised.event``."""
        names = _ALIASES.get(raised.event, (raised.event,))
        wanted = [r for _, r in sorted(self.subscriptions.items()) if r["topic"] in names]
        if not wanted:
            return []
        record = self._render(raised)
        if record is None:
            return []
        body = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        out = []
        for sub in wanted:
            webhook_id = str(uuid.uuid4())
            headers = webhook_headers(
                self.state.options.app_secret, self.state.options.handle, sub["topic"], body,
                version=sub["api_version"], webhook_id=webhook_id,
            )  # fmt: skip
            out.append(Delivery(sub["address"], body, headers, sub["topic"], webhook_id))
        return out

    def _render(self, raised: RaisedEvent) -> Record | None:
        resource = raised.event.split("/")[0]
        if resource == "orders":
            order = self.state.orders.rows.get(raised.ref)
            return None if order is None else self.render_order(order)
        if resource == "refunds":
            order_id, _, refund_id = raised.ref.partition("/")
            order = self.state.orders.rows.get(order_id)
            for refund in order["refunds"] if order else ():
                if str(refund.get("id")) == refund_id:
                    return {"order_id": order_id, **refund}
            return None
        table = {"customers": self.state.customers, "products": self.state.products}.get(resource)
        found = None if table is None else table.rows.get(raised.ref)
        return None if found is None else {k: v for k, v in found.items() if k[:1] != "_"}
