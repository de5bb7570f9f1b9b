"""Webhooks: the ``/webhooks/`` subscription routes, and the signed deliveries they cause.

A subscription (the spec's ``Webhook``) names a ``target``, the ``events`` it wants and the
``secret_key`` deliveries are signed with (one is made up when none is given). Writes raise
events as the platform documents them: ``order.created`` / ``order.updated`` (a cancel, an
edit, a refund), ``customer.created`` / ``customer.updated``, ``product.created``. Each
delivery is the envelope ``{api_version, data, event_id, event_type, object, webhook}``
serialised the way the vendor's example does (``json.dumps``) and signed with hex
HMAC-SHA256 in ``X-29Next-Signature``; ``data`` is the record as ``GET`` renders it for the
subscription's API version. A 410 answer disables the subscription, as on the platform.
Sending, retries and duplicates are :mod:`storebridge.sandbox.webhooks`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem, json_response
from storebridge.sandbox.webhooks import (
    Delivery,
    EventRule,
    RaisedEvent,
    WebhookOptions,
    answer_ref,
    path_ref,
    refused_target,
)
from storebridge_29next._webhooks import SIGNATURE_HEADER, sign_webhook
from storebridge_29next.emulator.orders import render_order
from storebridge_29next.emulator.products import render_product
from storebridge_29next.emulator.state import StoreState
from storebridge_29next.emulator.users import render_user
from storebridge_29next.emulator.wire import (
    OLDEST_ID_FIRST,
    ROOT,
    VERSIONS,
    Handler,
    Response,
    iso,
    not_found,
    object_body,
    page_answer,
    required,
)

__all__ = ["EVENTS", "EVENT_RULES", "Webhooks"]

EVENTS = (
    "app.uninstalled", "cart.abandoned", "customer.created", "customer.deleted",
    "customer.redacted", "customer.updated", "dispute.created", "dispute.updated",
    "export.created", "fulfillment.created", "fulfillment.updated", "gateway.created",
    "gateway.updated", "order.created", "order.updated", "product.created", "product.deleted",
    "product.updated", "store.updated", "subscription.created", "subscription.updated",
    "ticket.created", "ticket.updated", "transaction.created", "transaction.updated",
)  # fmt: skip
"""Event types a subscription may ask for (the spec's webhooks, plus the two the docs add)."""

_ORDER = ROOT + r"/orders/(?P<number>[^/]+)/"
EVENT_RULES = (
    EventRule("POST", ROOT + r"/orders/", ("order.created",), answer_ref("number")),
    EventRule("PATCH", _ORDER, ("order.updated",), path_ref("number")),
    EventRule("POST", _ORDER + "cancel/", ("order.updated",), path_ref("number")),
    EventRule("POST", _ORDER + "refund/", ("order.updated",), path_ref("number")),
    EventRule("POST", ROOT + r"/users/", ("customer.created",), answer_ref("id")),
    EventRule("PATCH", ROOT + r"/users/(?P<id>\d+)/", ("customer.updated",), path_ref("id")),
    EventRule("POST", ROOT + r"/products/", ("product.created",), answer_ref("id")),
)
"""Which successful writes raise which events, and where the record's key is."""

_WRITABLE = ("name", "target", "events", "active", "api_version", "secret_key")


class Webhooks:
    """The subscriptions of the store, their routes, and the deliveries of an event."""

    def __init__(
        self,
        state: StoreState,
        now: Callable[[], datetime],
        options: Callable[[], WebhookOptions],
        default_version: str,
        lock: AbstractContextManager[Any],
    ) -> None:
        self.state = state
        self.lock = lock
        self.now = now
        self.options = options
        self.default_version = default_version
        self.subscriptions: dict[int, dict[str, Any]] = {}

    def endpoints(self) -> list[Endpoint[Handler]]:
        read, write = "webhooks:read", "webhooks:write"
        one = r"/webhooks/(?P<id>\d+)/"
        return [
            Endpoint("GET", "/webhooks/", self.list_webhooks, read),
            Endpoint("POST", "/webhooks/", self.create_webhook, write),
            Endpoint("GET", one, self.get_webhook, read),
            Endpoint("PUT", one, self.put_webhook, write),
            Endpoint("PATCH", one, self.patch_webhook, write),
            Endpoint("DELETE", one, self.delete_webhook, write),
        ]

    # Routes ----------------------------------------------------------------------------
    def list_webhooks(self, req: EmulatorRequest, version: str) -> Response:
        rows = [self.subscriptions[key] for key in sorted(self.subscriptions)]
        active = req.query.get("active")
        if active in ("true", "false"):
            rows = [row for row in rows if row["active"] == (active == "true")]
        return page_answer(req, rows, 20, dict, OLDEST_ID_FIRST)

    def get_webhook(self, req: EmulatorRequest, version: str) -> Response:
        return json_response(200, self._one(req))

    def create_webhook(self, req: EmulatorRequest, version: str) -> Response:
        fields = self._checked(object_body(req), partial=False)
        stamp = iso(self.now())
        record: dict[str, Any] = {
            "id": self.state.next_id("webhook", 1),
            "name": None,
            "active": True,
            "api_version": None,
            "secret_key": None,
            "created_at": stamp,
            "updated_at": stamp,
            "next_check_date": None,
            "warning_count": 0,
            **fields,
        }
        if not record["secret_key"]:
            record["secret_key"] = secrets.token_hex(16)
        self.subscriptions[record["id"]] = record
        return json_response(201, record)

    def put_webhook(self, req: EmulatorRequest, version: str) -> Response:
        return self._update(req, partial=False)

    def patch_webhook(self, req: EmulatorRequest, version: str) -> Response:
        return self._update(req, partial=True)

    def delete_webhook(self, req: EmulatorRequest, version: str) -> Response:
        record = self._one(req)
        del self.subscriptions[record["id"]]
        return Response(204)

    def _one(self, req: EmulatorRequest) -> dict[str, Any]:
        record = self.subscriptions.get(int(req.params["id"]))
        if record is None:
            raise not_found()
        return record

    def _update(self, req: EmulatorRequest, *, partial: bool) -> Response:
        record = self._one(req)
        record.update(self._checked(object_body(req), partial=partial))
        record["updated_at"] = iso(self.now())
        return json_response(200, record)

    def _checked(self, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        """The writable fields of ``body``, refused as DRF refuses them."""
        errors: dict[str, list[str]] = {}
        if not partial:
            for name in ("target", "events"):
                if name not in body:
                    errors[name] = required()
        target = body.get("target")
        if "target" in body:
            refused = refused_target(target, self.options()) if isinstance(target, str) else ""
            if not isinstance(target, str) or not target or refused == "is not a URL":
                errors["target"] = ["Enter a valid URL."]
            elif len(target) > 255:
                errors["target"] = ["Ensure this field has no more than 255 characters."]
            elif refused is not None:
                errors["target"] = [f"The sandbox refuses this target: it {refused}."]
        events = body.get("events")
        if "events" in body:
            if not isinstance(events, list) or not events:
                errors["events"] = ["This list may not be empty."]
            else:
                unknown = [e for e in events if e not in EVENTS]
                if unknown:
                    errors["events"] = [f'"{e}" is not a valid choice.' for e in unknown]
        version = body.get("api_version")
        if version is not None and version not in VERSIONS:
            errors["api_version"] = [f'"{version}" is not a valid choice.']
        if "active" in body and not isinstance(body["active"], bool):
            errors["active"] = ["Must be a valid boolean."]
        for name in ("name", "secret_key"):
            if body.get(name) is not None and not isinstance(body[name], str):
                errors[name] = ["Not a valid string."]
        if errors:
            raise HTTPProblem(400, errors)
        return {name: body[name] for name in _WRITABLE if name in body}

    # Deliveries ------------------------------------------------------------------------
    def deliveries(self, raised: RaisedEvent) -> list[Delivery]:
        """One signed delivery per active subscription that wants ``raised.event``."""
        wanted = [
            record
            for _, record in sorted(self.subscriptions.items())
            if record["active"] and raised.event in record["events"]
        ]
        out: list[Delivery] = []
        for record in wanted:
            version = record["api_version"] or self.default_version
            data = self._render(raised, version)
            if data is None:
                continue
            store = raised.host.split(".")[0] if not raised.host[:1].isdigit() else "sandbox"
            event_id = str(uuid.uuid4())
            payload = {
                "api_version": version,
                "data": data,
                "event_id": event_id,
                "event_type": raised.event,
                "object": raised.event.split(".")[0],
                "webhook": {
                    "events": list(record["events"]),
                    "id": record["id"],
                    "store": store,
                    "target": record["target"],
                },
            }
            body, signature = sign_webhook(payload, record["secret_key"])
            out.append(
                Delivery(
                    url=record["target"],
                    body=body,
                    headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
                    event=raised.event,
                    event_id=event_id,
                    on_gone=self._disable(record["id"]),
                )
            )
        return out

    def _render(self, raised: RaisedEvent, version: str) -> dict[str, Any] | None:
        kind = raised.event.split(".")[0]
        if kind == "order":
            order = self.state.orders.get(raised.ref)
            return None if order is None else render_order(self.state, order, version,
                                                            raised.origin)  # fmt: skip
        key = int(raised.ref) if raised.ref.isdigit() else -1
        if kind == "customer":
            user = self.state.users.get(key)
            return None if user is None else render_user(self.state, user)
        if kind == "product":
            product = self.state.products.get(key)
            if product is None:
                return None
            return render_product(product, raised.origin, version)
        return None

    def _disable(self, webhook_id: int) -> Callable[[], None]:
        def disable() -> None:
            # Called from the delivery thread: the store is changed under its own lock.
            with self.lock:
                record = self.subscriptions.get(webhook_id)
                if record is not None:
                    record["active"] = False

        return disable
