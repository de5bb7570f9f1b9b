"""SHOPLINE webhook deliveries as :class:`~storebridge.model.Change` events.

SHOPLINE posts the record itself as the body, and says what happened in headers:
``X-Shopline-Topic`` (``orders/updated``...), ``X-Shopline-Webhook-Id`` (the same on every
re-push of one message: what de-duplication keys on), ``X-Shopline-Hmac-Sha256`` (the app
secret's HMAC of the raw body, checked before anything is read). The body is read by the
same converter as API answers. Products carry no currency: their prices are read in the
store's currency once the adapter has read it (any product or shop request), else USD.
Topics about records storebridge does not model (``fulfillments/create``...) still become
a Change, without a model object: answering them 400 would only make SHOPLINE retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storebridge.errors import PayloadError
from storebridge.http import Headers
from storebridge.kit import Payload, WebhookRejected, parse_json
from storebridge.model import Change, ChangeKind, Customer, Order, Product, Refund
from storebridge_shopline._webhooks import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, verify_webhook

if TYPE_CHECKING:
    from storebridge_shopline._adapter import ShoplineAdapter

PLATFORM = "shopline"
TOPIC_HEADER = "X-Shopline-Topic"

TOPIC_EVENTS: Mapping[str, str] = {
    "orders.created": "orders/create",
    "orders.updated": "orders/updated",
    "orders.deleted": "orders/delete",
    "customers.created": "customers/create",
    "customers.updated": "customers/update",
    "customers.deleted": "customers/delete",
    "products.created": "products/create",
    "products.updated": "products/update",
    "products.deleted": "products/delete",
    "refunds.created": "refunds/create",
}
"""Unified topic -> the SHOPLINE topic subscribed to (one subscription each)."""

_ACTIONS: Mapping[str, ChangeKind] = {
    "create": ChangeKind.CREATED,
    "update": ChangeKind.UPDATED,
    "updated": ChangeKind.UPDATED,
    "paid": ChangeKind.UPDATED,
    "cancelled": ChangeKind.UPDATED,
    "fulfilled": ChangeKind.UPDATED,
    "partially_fulfilled": ChangeKind.UPDATED,
    "edited": ChangeKind.UPDATED,
    "enable": ChangeKind.UPDATED,
    "disable": ChangeKind.UPDATED,
    "status_changed": ChangeKind.UPDATED,
    "delete": ChangeKind.DELETED,
    "redact": ChangeKind.DELETED,
}
"""The action part of a topic; ``orders/update`` (the docs' spelling) and ``orders/updated``
(the SDK's) both mean an update."""

_MODELS: Mapping[str, type[Any]] = {
    "orders": Order,
    "customers": Customer,
    "products": Product,
    "refunds": Refund,
}

_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def topics_of(topic: Any) -> tuple[str, ...]:
    """The unified topic of a subscription's SHOPLINE ``topic``, if it has one."""
    names = {"orders/update": "orders.updated"}
    names.update({event: unified for unified, event in TOPIC_EVENTS.items()})
    return (names[topic],) if isinstance(topic, str) and topic in names else ()


def parse_webhook(adapter: ShoplineAdapter, headers: Headers, body: bytes, secret: str) -> Change:
    """Verify ``X-Shopline-Hmac-Sha256`` against ``body``, then read headers and record."""
    if not verify_webhook(secret, body, headers.get(SIGNATURE_HEADER)):
        raise WebhookRejected(
            f"the {SIGNATURE_HEADER} header is missing or does not match the body "
            "(SHOPLINE signs with the app secret)"
        )
    try:
        return _change(adapter, headers, body)
    except PayloadError:
        raise
    except _UNREADABLE as exc:
        # The converter refuses bad values with a path; anything else it trips over is
        # still an unreadable delivery, never an error the receiver would answer 500.
        raise PayloadError(
            f"the delivery could not be read ({type(exc).__name__})", platform=PLATFORM
        ) from None


def _header(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if not value or not value.strip() or not value.isprintable():
        raise PayloadError(f"the {name} header is missing or blank", path=name, platform=PLATFORM)
    return value.strip()


def _change(adapter: ShoplineAdapter, headers: Headers, body: bytes) -> Change:
    topic = _header(headers, TOPIC_HEADER)
    event_id = _header(headers, WEBHOOK_ID_HEADER)
    record = Payload(parse_json(body, platform=PLATFORM), "$", PLATFORM)
    resource, _, action = topic.partition("/")
    kind = _ACTIONS.get(action, ChangeKind.UNKNOWN)
    model = _MODELS.get(resource)
    ref = record.opt_ref("id") or ""
    obj = None
    if model is not None and kind is not ChangeKind.DELETED:
        ref = record.ref("id")
        obj = adapter.converter().structure(record, model)
    occurred = getattr(obj, "updated_at", None) or getattr(obj, "created_at", None)
    return Change(
        platform=PLATFORM,
        store=adapter.store_id,
        resource=resource,
        kind=kind,
        ref=ref,
        object=obj,
        occurred_at=occurred,
        source="webhook",
        event_id=event_id,
        topic=topic,
        raw=record.data,
    )


__all__ = ["TOPIC_EVENTS", "TOPIC_HEADER", "parse_webhook", "topics_of"]
