"""29 Next webhook deliveries as :class:`~storebridge.model.Change` events.

A delivery is the envelope ``{object, data, event_id, event_type, webhook, api_version}``;
``data`` is the record as the Admin API's ``GET`` renders it, so it is read by the same
converter as any answer. ``event_type`` maps onto the unified topics (``order.updated`` ->
``orders.updated``...); ``event_id`` is the same across the platform's retries of one event,
so it is what de-duplication keys on. Events about records storebridge does not model
(``transaction.created``, ``fulfillment.updated``...) still become a Change, with no model
object and the payload in ``raw``: answering them 400 would only make the platform retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storebridge.errors import PayloadError
from storebridge.http import Headers
from storebridge.kit import Payload, WebhookRejected, parse_json
from storebridge.model import Change, ChangeKind, Customer, Order, Product
from storebridge_29next._converter import structure
from storebridge_29next._webhooks import SIGNATURE_HEADER, verify_webhook_signature

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

PLATFORM = "29next"

TOPIC_EVENTS: Mapping[str, str] = {
    "orders.created": "order.created",
    "orders.updated": "order.updated",
    "customers.created": "customer.created",
    "customers.updated": "customer.updated",
    "customers.deleted": "customer.deleted",
    "products.created": "product.created",
    "products.updated": "product.updated",
    "products.deleted": "product.deleted",
}
"""Unified topic -> the 29 Next event type that delivers it."""

MISSING_TOPICS: Mapping[str, str] = {
    "orders.deleted": "29 Next has no order deletion event",
    "refunds.created": "29 Next sends no refund event; a refund changes its order, so "
    "subscribe to orders.updated",
}
"""Unified topics 29 Next cannot deliver, and what to do instead."""

_RECORDS: Mapping[str, tuple[str, type[Any], str]] = {
    "order": ("orders", Order, "number"),
    "customer": ("customers", Customer, "id"),
    "product": ("products", Product, "id"),
}
"""Event object -> (resource, model class, key field of ``data``)."""

_KINDS = {
    "created": ChangeKind.CREATED,
    "updated": ChangeKind.UPDATED,
    "deleted": ChangeKind.DELETED,
}

_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def topics_of(events: Any) -> tuple[str, ...]:
    """The unified topics of a subscription's 29 Next ``events`` (others are left out)."""
    by_event = {event: topic for topic, event in TOPIC_EVENTS.items()}
    if not isinstance(events, list):
        return ()
    return tuple(by_event[e] for e in events if isinstance(e, str) and e in by_event)


def parse_webhook(
    adapter: TwentyNineNextAdapter, headers: Headers, body: bytes, secret: str
) -> Change:
    """Verify ``X-29Next-Signature`` against ``body``, then read the envelope."""
    if not verify_webhook_signature(body, headers.get(SIGNATURE_HEADER), secret):
        raise WebhookRejected(
            f"the {SIGNATURE_HEADER} header is missing or does not match the body "
            "(is the secret the subscription's secret_key?)"
        )
    try:
        return _change(adapter, Payload(parse_json(body, platform=PLATFORM), "$", PLATFORM))
    except PayloadError:
        raise
    except _UNREADABLE as exc:
        # The converter refuses bad values with a path; anything else it trips over is
        # still an unreadable delivery, never an error the receiver would answer 500.
        raise PayloadError(
            f"the delivery could not be read ({type(exc).__name__})", platform=PLATFORM
        ) from None


def _change(adapter: TwentyNineNextAdapter, envelope: Payload) -> Change:
    event_type = envelope.string("event_type")
    event_id = envelope.ref("event_id")
    data = envelope.obj("data")
    subject, _, action = event_type.partition(".")
    kind = _KINDS.get(action, ChangeKind.UNKNOWN)
    record = _RECORDS.get(subject)
    occurred = None
    if record is None:
        resource, obj = f"{subject}s", None
        ref = data.opt_ref("id") or ""
    else:
        resource, cls, key = record
        ref = data.ref(key)
        obj = None if kind is ChangeKind.DELETED else structure(data, cls)
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
        topic=event_type,
        raw=envelope.data,
    )


__all__ = ["MISSING_TOPICS", "TOPIC_EVENTS", "parse_webhook", "topics_of"]
