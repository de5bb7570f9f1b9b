"""SHOPLINE webhooks: verifying deliveries, reading them as Change events, subscriptions.

**Verifying.** SHOPLINE signs the raw request body with the app secret (HMAC-SHA256) and
sends it in ``X-Shopline-Hmac-Sha256``. Both official SDKs and real deliveries use lowercase
hex; the docs' examples show base64, so base64 is accepted as well. Verify the *raw* bytes
you received, before parsing: re-serialised JSON will not match.

**Reading.** SHOPLINE posts the record itself as the body, and says what happened in
headers: ``X-Shopline-Topic`` (``orders/updated``...) and ``X-Shopline-Webhook-Id`` (the same
on every re-push of one message: what de-duplication keys on). The body is read by the same
converter as API answers. Products carry no currency: they are read in the store's
settlement currency once this connection has read it (``store.extra.shop_currency()``, any
product request), and until then such a delivery is refused with status 503, so that
SHOPLINE delivers it again. A refund is in its order's currency, which may be another one:
it is read in the currency it names (its transactions', its ``currency``, else the one its
amounts' sets name on every side), and one that leaves it open is refused with 400 naming
the order to read it from, never read in the store's (see :func:`priced_in`). A few topics
send a summary instead of the record (``products/status_changed``: ``product_id`` and the
two statuses; ``customers/redact``: ``customer.id``...): their Change has the ref read where
the topic puts it and no model object (:data:`SUMMARY_REFS`). Topics about records
storebridge does not model (``fulfillments/create``...) still become a Change, without a
model object: answering them 400 would only make SHOPLINE retry.

**Subscriptions** (the REST subscription API, v20240601 and later). SHOPLINE takes one topic
per subscription, so ``subscribe`` makes one per topic, each a write settled by reading the
subscriptions back, every page of them, when its answer is lost (the one with the same
address and topic is the write's effect): a retry never subscribes twice. Get, update and
delete put the id before ``webhooks.json`` (``{id}/webhooks.json``), as the docs and the Go
SDK do. Deliveries are signed with the app secret; there is no secret to choose.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.errors import NotFound, PayloadError, StorebridgeError, ValidationError
from storebridge.http import Headers, Response
from storebridge.kit import (
    Flow,
    LinkHeader,
    ListFlow,
    Payload,
    WebhookRejected,
    build_request,
    delivered_change,
    expand_pages,
    parse_json,
    read_back_rows,
    read_delivery,
    read_json,
    reconciled_write,
    segment,
    signature_digest,
    walk,
)
from storebridge.model import (
    Change,
    ChangeKind,
    Customer,
    Order,
    Product,
    Refund,
    WebhookSubscription,
)
from storebridge_shopline._money import delivered_refund_currency
from storebridge_shopline._paging import one_record

if TYPE_CHECKING:
    from storebridge_shopline._adapter import ShoplineAdapter

PLATFORM = "shopline"


# Verifying -------------------------------------------------------------------------------
SIGNATURE_HEADER = "X-Shopline-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopline-Webhook-Id"
"""Unique per message and unchanged on re-delivery: use it as an idempotency key."""


def webhook_digest(app_secret: str, body: bytes) -> bytes:
    return hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign_webhook(app_secret: str, body: bytes) -> str:
    """The header value SHOPLINE sends for ``body`` (lowercase hex)."""
    return webhook_digest(app_secret, body).hex()


def verify_webhook(app_secret: str, body: bytes, signature: str | bytes | None) -> bool:
    """True when ``signature`` (hex, or base64) is the body's HMAC; constant-time compare.

    Any malformed signature (missing, empty, not ASCII, wrong length or encoding) is False,
    never an exception.
    """
    given = signature_digest(signature, base64_too=True)
    if given is None or not isinstance(app_secret, str) or not app_secret:
        return False
    if not isinstance(body, bytes | bytearray | memoryview):
        return False
    try:
        expected = webhook_digest(app_secret, bytes(body))
    except UnicodeEncodeError:  # a secret that is not encodable text cannot have signed it
        return False
    return hmac.compare_digest(expected, given)


def verify_webhook_request(app_secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """:func:`verify_webhook` reading the signature header in any case."""
    wanted = SIGNATURE_HEADER.lower()
    value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return verify_webhook(app_secret, body, value)


# Reading deliveries ----------------------------------------------------------------------
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

SUMMARY_REFS: Mapping[str, tuple[str, ...]] = {
    "products/status_changed": ("product_id",),
    "customers/redact": ("customer", "id"),
}
"""Topics whose body is a summary, not the record, and where in it the record's id is
(SHOPLINE's event models): read for ``id``, a status change would be refused as a product
without one, and a redaction accepted as the deletion of no record."""


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
    return read_delivery(lambda: _change(adapter, headers, body), platform=PLATFORM)


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
    if topic in SUMMARY_REFS:
        return _summary_change(adapter, record, topic, kind, event_id)
    model = _MODELS.get(resource)
    ref = record.opt_ref("id") or ""
    obj = None
    if action == "delete":
        # The id is all a deletion says: without one, no handler can tell what went.
        ref = record.ref("id")
    elif model is not None and kind is not ChangeKind.DELETED:
        ref = record.ref("id")
        obj = adapter.converter(priced_in(adapter, record, model)).structure(record, model)
    return delivered_change(
        adapter, resource=resource, kind=kind, ref=ref, record=obj, event_id=event_id,
        topic=topic, raw=record.data,
    )  # fmt: skip


def _summary_change(
    adapter: ShoplineAdapter, record: Payload, topic: str, kind: ChangeKind, event_id: str
) -> Change:
    """The Change of a topic whose body is a summary (:data:`SUMMARY_REFS`): its ref read
    where the topic puts it, no model object, the summary's own time."""
    *within, key = SUMMARY_REFS[topic]
    holder = record
    for name in within:
        holder = holder.obj(name)
    # The id is all such a body says of the record: without it, no handler can act.
    change = delivered_change(
        adapter, resource=topic.partition("/")[0], kind=kind, ref=holder.ref(key), record=None,
        event_id=event_id, topic=topic, raw=record.data,
    )  # fmt: skip
    when = record.opt_timestamp("updated_at") or record.opt_timestamp("update_time")
    return attrs.evolve(change, occurred_at=when)


def priced_in(adapter: ShoplineAdapter, record: Payload, model: type[Any]) -> str | None:
    """The currency a delivered product or refund is priced in, known for sure. None for
    orders (they carry theirs) and customers.

    A refund is in its order's currency, which the delivery may not say and parsing reads
    nothing to learn (``parse_webhook`` does no I/O): it is the currency the refund names,
    else the one its sets name (:func:`~storebridge_shopline._money.delivered_refund_currency`),
    else a PayloadError (400: the same body is never readable, however often it is sent),
    never the store's settlement currency, which an order placed in another enabled
    currency is not in.

    A product is in the store's settlement currency; until this connection has read it, the
    delivery is refused with 503 (try again later), not 400: once the store's currency is
    read, SHOPLINE's next delivery of it is read.
    """
    if model is Refund:
        return delivered_refund_currency(record)
    if model is not Product:
        return None
    if adapter.currency is None:
        raise WebhookRejected(
            "this SHOPLINE product names no currency, and this connection has not read the "
            "store's yet: read it once before serving webhooks (store.extra.shop_currency()); "
            "answer 503 so SHOPLINE delivers it again",
            status=503,
        )
    return adapter.currency


# Subscriptions ---------------------------------------------------------------------------
FIRST_VERSION = "v20240601"
"""The subscription API, and the webhook versions it can create, start here."""


def subscription(row: Any, path: str = "$") -> WebhookSubscription:
    p = Payload(row, path, PLATFORM)
    return WebhookSubscription(
        platform=PLATFORM,
        ref=p.ref("id"),
        url=p.string("address"),
        topics=topics_of(p.raw("topic")),
        active=True,
        api_version=p.opt_string("api_version"),
        raw=dict(p.data),
    )


def _ref(ref: str) -> str:
    if not (ref.isascii() and ref.isdigit() and len(ref) <= 20):
        raise ValidationError(
            f"ref must be a SHOPLINE webhook id (digits), got {ref[:40]!r}", field="ref"
        )
    return ref


def subscribe(
    adapter: ShoplineAdapter, topics: Sequence[str], address: str, secret: str | None
) -> Flow[list[WebhookSubscription]]:
    own = adapter.webhook_secret()
    if secret is not None and secret != own:
        raise ValidationError(
            "SHOPLINE signs every delivery with the app secret; leave secret out (the "
            "receiver verifies with app_secret)",
            field="secret",
        )
    wanted = list(dict.fromkeys(TOPIC_EVENTS[t] for t in topics))
    # One subscription per topic and address: those already there (an earlier call that
    # failed part way) are kept, not sent again (SHOPLINE refuses a second one with a 422).
    rows = yield from read_back_rows(_subscription_rows(adapter), resource="webhooks",
                                     platform=PLATFORM)  # fmt: skip
    # Only a subscription of this API version is the one asked for: another one is sent,
    # and SHOPLINE says why it refuses it.
    there = {
        row.get("topic"): row
        for row in rows
        if row.get("address") == address and row.get("api_version") in (None, adapter.api_version)
    }
    made: list[WebhookSubscription] = []
    for index, topic in enumerate(wanted):
        if topic in there:
            made.append(subscription(there[topic], "$.webhooks[*]"))
            continue
        try:
            made.append((yield from _subscribe_one(adapter, topic, address)))
        except StorebridgeError as error:
            if made:
                error.add_note(
                    f"webhooks.subscribe: {len(made)} of {len(wanted)} topics are subscribed "
                    f"({', '.join(wanted[:index])}); {topic} failed. Calling again keeps "
                    "those and subscribes the rest."
                )
            raise
    return made


def _subscribe_one(adapter: ShoplineAdapter, topic: str, address: str) -> Flow[WebhookSubscription]:
    body = {"webhook": {"address": address, "topic": topic, "api_version": adapter.api_version}}
    request = adapter.write("POST", "webhooks.json", "webhooks.subscribe", body)

    def parse(response: Response) -> WebhookSubscription:
        return subscription(Payload(read_json(response), "$", PLATFORM).raw("webhook"),
                            "$.webhook")  # fmt: skip

    def find() -> Flow[WebhookSubscription | None]:
        # Every page, each holding its list: a subscription missed (on a later page, or in
        # a wrong-shaped answer read as "none") would be sent again, and SHOPLINE refuses a
        # second one (422) for the one made, leaving the outcome unknown.
        rows = yield from read_back_rows(_subscription_rows(adapter), resource="webhooks",
                                         platform=PLATFORM)  # fmt: skip
        for row in rows:
            if row.get("address") == address and row.get("topic") == topic:
                return subscription(row, "$.webhooks[*]")
        return None

    # A subscription is kept once per topic and address, and deliveries are de-duplicated
    # on arrival, so a second sending after an empty read-back costs nothing lasting.
    return (yield from reconciled_write(request, parse, find, attempts=2))


def _subscription_rows(adapter: ShoplineAdapter) -> ListFlow[dict[str, Any]]:
    """Every row of ``webhooks.json``, page by page (``page_info`` cursors in the ``link``
    header); a page without its ``webhooks`` list is asked again."""

    def key(row: Any) -> object:
        return row.get("id") if isinstance(row, dict) else None

    first = adapter.get("webhooks.json", "webhooks.list")
    return walk(first, LinkHeader(rows=("webhooks",)), resource="webhooks", platform=PLATFORM,
                key=key)  # fmt: skip


def list_webhooks(adapter: ShoplineAdapter) -> ListFlow[WebhookSubscription]:
    def expand(rows: Sequence[Any]) -> Flow[list[WebhookSubscription]]:
        return [subscription(row, f"$.webhooks[{i}]") for i, row in enumerate(rows)]
        yield  # pragma: no cover - makes this a generator

    return expand_pages(_subscription_rows(adapter), expand)


def unsubscribe(adapter: ShoplineAdapter, ref: str) -> Flow[None]:
    path = f"{segment(_ref(ref))}/webhooks.json"
    request = build_request("DELETE", adapter.url(path), operation="webhooks.unsubscribe")

    def gone() -> Flow[bool | None]:
        try:
            # Checked to be the subscription: a wrong-shaped 200 is asked again, not taken
            # for one still there (and the DELETE sent again, to a 404).
            yield adapter.get(path, "webhooks.get", check=one_record("webhook", ref))
        except NotFound:
            return True
        return None

    # Deleting twice has one effect.
    yield from reconciled_write(request, lambda _response: True, gone, attempts=2)
    return None


__all__ = [
    "FIRST_VERSION",
    "SIGNATURE_HEADER",
    "SUMMARY_REFS",
    "TOPIC_EVENTS",
    "TOPIC_HEADER",
    "WEBHOOK_ID_HEADER",
    "list_webhooks",
    "parse_webhook",
    "priced_in",
    "sign_webhook",
    "subscribe",
    "subscription",
    "topics_of",
    "unsubscribe",
    "verify_webhook",
    "verify_webhook_request",
]
