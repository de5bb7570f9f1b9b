"""29 Next webhooks: verifying deliveries, reading them as Change events, subscriptions.

**Verifying.** The signature (``X-29Next-Signature``) is the hex HMAC-SHA256 of the payload,
keyed with the webhook's ``secret_key``. The vendor's documented receiver signs
``json.dumps(parsed_body)`` rather than the raw bytes, and which of the two the sender signs
is not documented, so a delivery is accepted when either matches. Comparisons are
constant-time.

**Reading.** A delivery is the envelope ``{object, data, event_id, event_type, webhook,
api_version}``; ``data`` is the record as the Admin API's ``GET`` renders it on the
delivery's ``api_version`` (the subscription's own, which may not be the connected one),
so it is read by the same converter as any answer of that version. ``event_type`` maps
onto the unified topics (``order.updated`` -> ``orders.updated``...); ``event_id`` is the
same across the platform's retries of one event, so it is what de-duplication keys on.
Events about records storebridge does not model (``transaction.created``,
``fulfillment.updated``...) still become a Change, with no model object and the payload in
``raw``: answering them 400 would only make the platform retry.

**Subscriptions** (``/webhooks/``). One subscription carries every event asked for, so
``subscribe`` is one write; a lost answer is settled by reading the subscriptions back (one
with the same target and events is the write's effect), so a retry never leaves two. 29
Next signs deliveries with the ``secret_key`` the subscription is created with: it is the
``secret`` argument or the ``webhook_secret`` setting, and it is never kept in what ``list``
returns.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from storebridge.errors import NotFound, ValidationError
from storebridge.http import Headers, Request, Response
from storebridge.kit import (
    BodyNextUrl,
    Flow,
    ListFlow,
    Payload,
    WebhookRejected,
    build_request,
    delivered_change,
    expand_pages,
    parse_json,
    read_delivery,
    read_json,
    reconciled_write,
    signature_digest,
    walk,
)
from storebridge.model import Change, ChangeKind, Customer, Order, Product, WebhookSubscription
from storebridge_29next._converter import structure
from storebridge_29next._paging import search_pages
from storebridge_29next._requests import (
    PLATFORM,
    get,
    has_results,
    int_ref,
    is_record,
    post,
    url,
)

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

# Verifying -------------------------------------------------------------------------------
SIGNATURE_HEADER = "X-29Next-Signature"


def webhook_signature(body: bytes | str, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def _digest(body: bytes | str, secret: str) -> bytes:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def verify_webhook_signature(body: bytes | str, signature: str | bytes | None, secret: str) -> bool:
    """True when ``signature`` (the ``X-29Next-Signature`` header) matches ``body``.

    ``body`` is the request body as received. Both the raw bytes and the vendor's
    re-serialised form (``json.dumps`` of the parsed body) are accepted. A malformed
    signature (missing, empty, not ASCII, not 64 hex digits) is False, never an exception.
    """
    given = signature_digest(signature)
    if given is None or not isinstance(secret, str) or not secret:
        return False
    if not isinstance(body, bytes | str):
        return False
    try:
        if hmac.compare_digest(_digest(body, secret), given):
            return True
        canonical = json.dumps(json.loads(body))
        return hmac.compare_digest(_digest(canonical, secret), given)
    except (ValueError, RecursionError):
        # Not JSON, not encodable text, or nested too deeply to re-serialise: no match.
        return False


def sign_webhook(payload: Mapping[str, Any], secret: str) -> tuple[bytes, str]:
    """Serialise ``payload`` the way the vendor's example does, and sign it.

    Returns ``(body, signature)``: for emulators and tests of webhook receivers.
    """
    body = json.dumps(payload).encode("utf-8")
    return body, webhook_signature(body, secret)


# Reading deliveries ----------------------------------------------------------------------
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
    return read_delivery(
        lambda: _change(adapter, Payload(parse_json(body, platform=PLATFORM), "$", PLATFORM)),
        platform=PLATFORM,
    )


def _change(adapter: TwentyNineNextAdapter, envelope: Payload) -> Change:
    event_type = envelope.string("event_type")
    event_id = envelope.ref("event_id")
    data = envelope.obj("data")
    subject, _, action = event_type.partition(".")
    kind = _KINDS.get(action, ChangeKind.UNKNOWN)
    record = _RECORDS.get(subject)
    if record is None:
        resource, obj = f"{subject}s", None
        ref = data.opt_ref("id") or ""
    else:
        resource, cls, key = record
        ref = data.ref(key)
        version = envelope.opt_string("api_version") or adapter.api_version
        obj = None if kind is ChangeKind.DELETED else structure(data, cls, version)
    return delivered_change(
        adapter, resource=resource, kind=kind, ref=ref, record=obj, event_id=event_id,
        topic=event_type, raw=envelope.data,
    )  # fmt: skip


# Subscriptions ---------------------------------------------------------------------------
def subscription(row: Any, path: str = "$") -> WebhookSubscription:
    """A ``Webhook`` object as a WebhookSubscription, its ``secret_key`` left out."""
    p = Payload(row, path, PLATFORM)
    active = p.opt_bool("active")
    return WebhookSubscription(
        platform=PLATFORM,
        ref=p.ref("id"),
        url=p.string("target"),
        topics=topics_of(p.raw("events")),
        active=active,
        api_version=p.opt_string("api_version"),
        raw={k: v for k, v in p.data.items() if k != "secret_key"},
    )


def events_for(topics: Sequence[str]) -> list[str]:
    """The 29 Next events of unified ``topics``; ValidationError for one it cannot send."""
    for topic in topics:
        if topic in MISSING_TOPICS:
            raise ValidationError(f"{topic}: {MISSING_TOPICS[topic]}", field="topics")
    return list(dict.fromkeys(TOPIC_EVENTS[topic] for topic in topics))


def subscribe(
    adapter: TwentyNineNextAdapter, topics: Sequence[str], target: str, secret: str | None
) -> Flow[list[WebhookSubscription]]:
    events = events_for(topics)
    chosen = secret or adapter.webhook_secret()
    if secret and secret not in adapter.given_secrets:
        adapter.given_secrets.append(secret)
    if not chosen:
        raise ValidationError(
            "29 Next signs deliveries with a secret you choose: pass secret=... (or set the "
            "webhook_secret setting) and give the receiver the same one",
            field="secret",
        )
    body = {
        "name": "storebridge",
        "target": target,
        "events": events,
        "active": True,
        "api_version": adapter.api_version,
        "secret_key": chosen,
    }
    request = post(adapter, "webhooks.subscribe", ("webhooks",), body)

    def parse(response: Response) -> WebhookSubscription:
        return subscription(read_json(response))

    def same(rows: list[Payload]) -> Flow[WebhookSubscription | None]:
        for row in rows:
            if row.raw("target") == target and set(row.raw("events") or ()) == set(events):
                return subscription(row.data, row.path)
        return None
        yield  # pragma: no cover - makes this a generator

    def find() -> Flow[WebhookSubscription | None]:
        # Every page: a subscription beyond the first would be made a second time.
        first = get(adapter, "webhooks.list", "webhooks", check=has_results)
        return (yield from search_pages(first, "webhooks", same))

    # A subscription is kept once per target and events, and deliveries are de-duplicated
    # on arrival, so a second sending after an empty read-back costs nothing lasting.
    made = yield from reconciled_write(request, parse, find, attempts=2)
    return [made]


def list_webhooks(adapter: TwentyNineNextAdapter) -> ListFlow[WebhookSubscription]:
    first = get(adapter, "webhooks.list", "webhooks")

    def expand(rows: Sequence[Any]) -> Flow[list[WebhookSubscription]]:
        return [subscription(row, f"$.results[{i}]") for i, row in enumerate(rows)]
        yield  # pragma: no cover - makes this a generator

    rows = walk(first, BodyNextUrl(), resource="webhooks", platform=PLATFORM, key=_row_id)
    return expand_pages(rows, expand)


def unsubscribe(adapter: TwentyNineNextAdapter, ref: str) -> Flow[None]:
    number = int_ref(ref, "ref")
    request = _delete(adapter, number)

    def gone() -> Flow[bool | None]:
        try:
            # Checked to be the subscription: a wrong-shaped 200 is asked again, not taken
            # for one still there (and the DELETE sent again, to a 404).
            yield get(adapter, "webhooks.get", "webhooks", number,
                      check=is_record("id", str(number)))  # fmt: skip
        except NotFound:
            return True
        return None

    # Deleting twice has one effect.
    yield from reconciled_write(request, lambda _response: True, gone, attempts=2)
    return None


def _delete(adapter: TwentyNineNextAdapter, number: int) -> Request:
    return build_request(
        "DELETE", url(adapter, "webhooks", number), operation="webhooks.unsubscribe"
    )


def _row_id(row: Any) -> object:
    return row.get("id") if isinstance(row, dict) else None


__all__ = [
    "MISSING_TOPICS",
    "SIGNATURE_HEADER",
    "TOPIC_EVENTS",
    "events_for",
    "list_webhooks",
    "parse_webhook",
    "sign_webhook",
    "subscribe",
    "subscription",
    "topics_of",
    "unsubscribe",
    "verify_webhook_signature",
    "webhook_signature",
]
