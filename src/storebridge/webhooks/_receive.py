"""One delivery: verify, parse, de-duplicate, hand over."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from storebridge._http import Headers
from storebridge.adapter import Adapter
from storebridge.errors import PayloadError, StorebridgeError, ValidationError
from storebridge.model.changes import Change, ChangeKind
from storebridge.store import Store
from storebridge.webhooks._seen import Claim, DeliveryState, SeenStore
from storebridge.webhooks._setup import set_up_within

T = TypeVar("T")


class WebhookRejected(StorebridgeError):
    """A delivery that must not be trusted or cannot be read.

    ``status`` is what to answer the platform: 401 for a missing or wrong signature, 400 for
    a body that is not a delivery storebridge can read.
    """

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


RETRY_AFTER = 30
"""Seconds a platform is asked to wait (``Retry-After``) before re-sending a delivery that
another handler is still working on."""


class DeliveryInProgress(WebhookRejected):
    """This delivery is being handled elsewhere right now and has not finished: retry later.

    Another request (the platform's first attempt, which it gave up waiting for, or another
    worker sharing the seen-store) holds a claim on the same delivery id. That handler may
    still fail, so this one is not a duplicate: answer ``status`` (503) with a
    ``Retry-After: retry_after`` header so the platform delivers it again. Once the other
    handler finished, the delivery is a duplicate (None); once it failed, or its claim
    expired (a crashed worker, after the store's ``hold``), it is handled again.
    """

    def __init__(self, key: str, *, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(
            f"delivery {key} is still being handled by another request; answer 503 so the "
            "platform delivers it again",
            status=503,
        )
        self.key = key
        self.retry_after = retry_after


_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)
"""What reading a hostile body can trip over besides PayloadError (deep nesting, odd types)."""


def read_delivery(read: Callable[[], T], *, platform: str) -> T:
    """``read()``, with anything it trips over turned into a PayloadError.

    For an adapter's ``parse_webhook`` after the signature check: a converter refuses bad
    values with a path, and whatever else a body makes it trip over is still an unreadable
    delivery (answered 400), never an error the receiver would answer 500 -- which would
    only make the platform deliver the same body again.
    """
    try:
        return read()
    except PayloadError:
        raise
    except _UNREADABLE as exc:
        raise PayloadError(
            f"the delivery could not be read ({type(exc).__name__})", platform=platform
        ) from None


def delivered_change(
    adapter: Adapter,
    *,
    resource: str,
    kind: ChangeKind,
    ref: str,
    record: Any,
    event_id: str | None,
    topic: str,
    raw: Mapping[str, Any],
) -> Change:
    """The :class:`Change` a delivery stands for, for an adapter's ``parse_webhook``.

    ``record`` is the changed record as the model (None for a deletion or a subject the
    model has no class for); when it happened is the record's ``updated_at``, else its
    ``created_at``: the platforms send the record, not a separate event time.
    """
    occurred = getattr(record, "updated_at", None) or getattr(record, "created_at", None)
    return Change(
        platform=adapter.name,
        store=adapter.store_id,
        resource=resource,
        kind=kind,
        ref=ref,
        object=record,
        occurred_at=occurred,
        source="webhook",
        event_id=event_id,
        topic=topic,
        raw=raw,
    )


@attrs.frozen
class WebhookEndpoint:
    """Where deliveries for one store arrive: its name in URLs, its adapter, its secret."""

    name: str
    adapter: Adapter
    secret: str = attrs.field(repr=False)


def endpoint(store: Any, *, name: str | None = None, secret: str | None = None) -> WebhookEndpoint:
    """A :class:`WebhookEndpoint` for a Store, an AsyncStore or an adapter.

    ``secret`` defaults to what the adapter knows (SHOPLINE signs with the app secret; a 29
    Next store needs the ``secret_key`` its subscription was created with, given here or as
    the ``webhook_secret`` setting). ``name`` defaults to the store's id.
    """
    if isinstance(store, WebhookEndpoint):
        return store
    adapter = store if isinstance(store, Adapter) else getattr(store, "adapter", None)
    if not isinstance(adapter, Adapter):
        raise ValidationError(
            f"expected a Store, AsyncStore or Adapter, got {type(store).__name__}", field="store"
        )
    adapter.require("webhooks.receive")
    chosen = secret or adapter.webhook_secret()
    if not chosen:
        raise ValidationError(
            f"{adapter.display_name} webhooks are signed with a secret; pass secret=... (the "
            "one your subscription was created with)",
            field="secret",
        )
    return WebhookEndpoint(name or adapter.store_id, adapter, chosen)


def _headers(given: Mapping[str, Any] | Any) -> Headers:
    """Headers as sent, whatever their bytes: a signature header in the wrong encoding must
    fail verification, not raise while being read."""
    source: Any = given.items() if hasattr(given, "items") else given
    try:
        items: list[tuple[Any, Any]] = [(name, value) for name, value in source]
    except (TypeError, ValueError):
        raise ValidationError(
            "headers must be the request's headers as received: a mapping of name to value "
            f"or (name, value) pairs, got {type(given).__name__}",
            field="headers",
        ) from None
    clean: list[tuple[bytes, bytes]] = []
    for name, value in items:
        raw_name = name if isinstance(name, bytes) else str(name).encode("utf-8", "replace")
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        clean.append((raw_name, raw))
    return Headers(clean)


def parse(target: Any, headers: Mapping[str, str] | Any, body: bytes) -> Change:
    """The delivery as a Change, after checking its signature; WebhookRejected if it fails."""
    ep = endpoint(target)
    if not isinstance(body, bytes | bytearray):
        raise WebhookRejected("the body must be the raw bytes received", status=400)
    try:
        return ep.adapter.parse_webhook(_headers(headers), bytes(body), ep.secret)
    except WebhookRejected:
        raise
    except PayloadError as exc:
        raise WebhookRejected(f"the delivery could not be read: {exc}", status=400) from None


def dedupe_key(change: Change) -> str | None:
    if not change.event_id:
        return None
    return f"{change.platform}:{change.store}:{change.event_id}"


def receive(
    target: Any,
    headers: Mapping[str, str] | Any,
    body: bytes,
    *,
    handle: Callable[[Change], Any] | None = None,
    seen: SeenStore | None = None,
) -> Change | None:
    """Verify, parse and (with ``seen``) de-duplicate one delivery; None if it was handled.

    ``target`` is a Store, AsyncStore, adapter or :class:`WebhookEndpoint`; ``body`` the raw
    request body exactly as received (the signature covers those bytes). With ``handle``,
    the change is handed to it and counts as seen only once it returns: if it raises (any
    exception, KeyboardInterrupt and cancellation included), a later re-delivery is handled
    again. ``seen`` needs ``handle``: a delivery may only be marked handled once your code
    handled it. A delivery another handler is still working on raises
    :class:`DeliveryInProgress` (a :class:`WebhookRejected` with status 503): answer it so
    the platform delivers again.
    """
    if seen is not None and handle is None:
        raise ValidationError(
            "receive(..., seen=...) needs handle=: the delivery is marked handled when "
            "handle returns, so without it a failure in your code after receive() returned "
            "would leave the platform's re-delivery dropped as a duplicate. Pass "
            "handle=your_function (or leave seen out and de-duplicate yourself)",
            field="handle",
        )
    try:
        change = parse(target, headers, body)
    except WebhookRejected as exc:
        # What the delivery needs may be readable now (SHOPLINE: the store's currency).
        if exc.status != 503 or not isinstance(target, Store) or not set_up_within(target):
            raise
        change = parse(target, headers, body)
    key = dedupe_key(change) if seen is not None else None
    if key is None or seen is None:
        if handle is not None:
            _ran(handle(change))
        return change
    claim = Claim.take(seen, key)
    if claim.state is DeliveryState.DONE:
        return None
    if claim.state is DeliveryState.IN_PROGRESS:
        raise DeliveryInProgress(key)
    try:
        if handle is not None:
            _ran(handle(change))
    except BaseException:
        claim.release()  # this call's claim only: another may hold a newer one
        raise
    claim.done()
    return change


def _ran(outcome: object) -> None:
    """Refuse what an ``async def`` handler returns: a coroutine nobody awaits never runs,
    and the delivery would be answered 2xx and marked handled all the same."""
    if inspect.isawaitable(outcome):
        if inspect.iscoroutine(outcome):
            outcome.close()  # never started: nothing of it ran
        raise ValidationError(
            "handle is an async function: receive() calls it without awaiting, so it would "
            "never run; pass a plain function, or serve deliveries with asgi_app(), which "
            "awaits async handlers",
            field="handle",
        )


__all__ = [
    "RETRY_AFTER",
    "DeliveryInProgress",
    "WebhookEndpoint",
    "WebhookRejected",
    "dedupe_key",
    "endpoint",
    "parse",
    "receive",
]
