"""Webhook subscriptions through the REST subscription API (v20240601 and later).

SHOPLINE takes one topic per subscription, so ``subscribe`` makes one per topic, each a
write settled by reading the subscriptions back when its answer is lost (the one with the
same address and topic is the write's effect): a retry never subscribes twice. Get, update
and delete put the id before ``webhooks.json`` (``{id}/webhooks.json``), as the docs and
the Go SDK do. Deliveries are signed with the app secret; there is no secret to choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from storebridge.errors import NotFound, ValidationError
from storebridge.http import Response
from storebridge.kit import (
    Flow,
    LinkHeader,
    ListFlow,
    Payload,
    build_request,
    expand_pages,
    read_json,
    segment,
    walk,
)
from storebridge.model import WebhookSubscription
from storebridge_shopline._webhook_events import TOPIC_EVENTS, topics_of
from storebridge_shopline._writes import reconciled

if TYPE_CHECKING:
    from storebridge_shopline._adapter import ShoplineAdapter

PLATFORM = "shopline"
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
    made: list[WebhookSubscription] = []
    for topic in dict.fromkeys(TOPIC_EVENTS[t] for t in topics):
        made.append((yield from _subscribe_one(adapter, topic, address)))
    return made


def _subscribe_one(adapter: ShoplineAdapter, topic: str, address: str) -> Flow[WebhookSubscription]:
    body = {"webhook": {"address": address, "topic": topic, "api_version": adapter.api_version}}
    request = adapter.write("POST", "webhooks.json", "webhooks.subscribe", body)

    def parse(response: Response) -> WebhookSubscription:
        return subscription(Payload(read_json(response), "$", PLATFORM).raw("webhook"),
                            "$.webhook")  # fmt: skip

    def find() -> Flow[WebhookSubscription | None]:
        response = yield adapter.get("webhooks.json", "webhooks.list")
        rows = Payload(read_json(response), "$", PLATFORM).raw("webhooks") or ()
        for index, row in enumerate(rows):
            if (
                isinstance(row, dict)
                and row.get("address") == address
                and (row.get("topic") == topic)
            ):
                return subscription(row, f"$.webhooks[{index}]")
        return None

    return (yield from reconciled(request, parse, find))


def list_webhooks(adapter: ShoplineAdapter) -> ListFlow[WebhookSubscription]:
    first = adapter.get("webhooks.json", "webhooks.list")

    def expand(rows: Sequence[Any]) -> Flow[list[WebhookSubscription]]:
        return [subscription(row, f"$.webhooks[{i}]") for i, row in enumerate(rows)]
        yield  # pragma: no cover - makes this a generator

    def key(row: Any) -> object:
        return row.get("id") if isinstance(row, dict) else None

    rows = walk(first, LinkHeader(rows=("webhooks",)), resource="webhooks", platform=PLATFORM,
                key=key)  # fmt: skip
    return expand_pages(rows, expand)


def unsubscribe(adapter: ShoplineAdapter, ref: str) -> Flow[None]:
    path = f"{segment(_ref(ref))}/webhooks.json"
    request = build_request("DELETE", adapter.url(path), operation="webhooks.unsubscribe")

    def gone() -> Flow[bool | None]:
        try:
            yield adapter.get(path, "webhooks.get")
        except NotFound:
            return True
        return None

    yield from reconciled(request, lambda _response: True, gone)
    return None


__all__ = ["FIRST_VERSION", "list_webhooks", "subscribe", "subscription", "unsubscribe"]
