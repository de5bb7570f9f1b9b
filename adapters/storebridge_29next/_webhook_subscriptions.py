"""Webhook subscriptions (``/webhooks/``): subscribe, list, unsubscribe.

One subscription carries every event asked for, so ``subscribe`` is one write; a lost answer
is settled by reading the subscriptions back (one with the same target and events is the
write's effect), so a retry never leaves two subscriptions. 29 Next signs deliveries with
the ``secret_key`` the subscription is created with: it is the ``secret`` argument or the
``webhook_secret`` setting, and it is never kept in what ``list`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from storebridge.errors import NotFound, ValidationError
from storebridge.http import Request, Response
from storebridge.kit import (
    BodyNextUrl,
    Flow,
    ListFlow,
    Payload,
    build_request,
    derive_request,
    expand_pages,
    read_json,
    reconciled_write,
    same_origin,
    walk,
)
from storebridge.model import WebhookSubscription
from storebridge_29next._requests import PLATFORM, get, int_ref, post, url
from storebridge_29next._webhook_events import MISSING_TOPICS, TOPIC_EVENTS, topics_of

if TYPE_CHECKING:
    from storebridge_29next._adapter import TwentyNineNextAdapter

_MAX_PAGES = 100
"""Pages of subscriptions read back after a lost answer (a store has a handful)."""


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

    def find() -> Flow[WebhookSubscription | None]:
        for row in (yield from _all_rows(adapter)):
            if row.get("target") == target and set(row.get("events") or ()) == set(events):
                return subscription(row)
        return None

    made = yield from reconciled_write(request, parse, find)
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
            yield get(adapter, "webhooks.get", "webhooks", number)
        except NotFound:
            return True
        return None

    yield from reconciled_write(request, lambda _response: True, gone)
    return None


def _delete(adapter: TwentyNineNextAdapter, number: int) -> Request:
    return build_request(
        "DELETE", url(adapter, "webhooks", number), operation="webhooks.unsubscribe"
    )


def _row_id(row: Any) -> object:
    return row.get("id") if isinstance(row, dict) else None


def _all_rows(adapter: TwentyNineNextAdapter) -> Flow[list[dict[str, Any]]]:
    """Every subscription, following ``next`` links (for reading a write back)."""
    request: Request | None = get(adapter, "webhooks.list", "webhooks")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while request is not None and len(seen) < _MAX_PAGES:
        seen.add(str(request.url))
        response = yield request
        body = read_json(response)
        page = Payload(body, "$", PLATFORM)
        rows.extend(row for row in page.raw("results") or () if isinstance(row, dict))
        link = BodyNextUrl().next_url(body)
        if link is None:
            break
        target = same_origin(request, request.url.join(link), "$.next")
        request = None if str(target) in seen else derive_request(request, str(target))
    return rows


__all__ = ["events_for", "list_webhooks", "subscribe", "subscription", "unsubscribe"]
