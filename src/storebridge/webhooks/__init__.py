"""Webhook deliveries, verified, parsed into :class:`~storebridge.model.Change` and de-duplicated.

Three layers, use the one that fits:

* :func:`receive` -- one delivery (raw body + headers) for one store: the signature is
  checked against the raw body, the payload becomes a ``Change`` with the unified model
  object handed to your ``handle``, and a delivery handled before returns None.
* :func:`asgi_app` -- an ASGI application (Starlette) that receives deliveries for many
  stores at ``POST /{store}`` and hands each new event to your callback; it answers what the
  platforms expect (200 accepted or already handled, 401 bad signature, 400 unreadable, 404
  unknown store, 500 when your callback fails and 503 while another request is still
  handling the same delivery, so the platform delivers again).
* the seen-stores (:class:`MemorySeenStore`, :class:`SQLiteSeenStore`) that remember
  delivery ids; a delivery counts as seen only once your callback has finished with it,
  and one still being handled (:class:`DeliveryState` ``IN_PROGRESS``) is retried, never
  acknowledged (:class:`DeliveryInProgress` from :func:`receive`).

Platforms send the same event more than once (retries, re-pushes); 29 Next's ``event_id``
and SHOPLINE's ``X-Shopline-Webhook-Id`` identify a delivery across its retries.
Subscriptions are managed through the store: ``store.webhooks.subscribe(topics, url)``,
``.list()``, ``.unsubscribe(ref)``. 24Nettbutikk has no webhooks: poll the change feed
(``store.changes(..., follow=True)``) to get the same ``Change`` events.
"""

from __future__ import annotations

import importlib
from typing import Any

from storebridge.errors import ConfigurationError
from storebridge.webhooks._receive import (
    DeliveryInProgress,
    WebhookEndpoint,
    WebhookRejected,
    endpoint,
    receive,
)
from storebridge.webhooks._seen import (
    DeliveryState,
    MemorySeenStore,
    SeenStore,
    SQLiteSeenStore,
)


def asgi_app(*args: object, **kwargs: object) -> object:
    """An ASGI app receiving deliveries for many stores (needs ``storebridge[webhooks]``).

    See :func:`storebridge.webhooks._asgi.asgi_app` for the arguments.
    """
    build = _asgi_module().asgi_app
    return build(*args, **kwargs)


def serve(app: object, *, host: str = "127.0.0.1", port: int = 0) -> Any:
    """Run an ASGI app with uvicorn in a background thread (a context manager yielding its
    URL); needs ``storebridge[webhooks]``."""
    return _asgi_module().serve(app, host=host, port=port)


def _asgi_module() -> Any:
    """The ASGI module, or a ConfigurationError saying which extra it needs."""
    try:
        return importlib.import_module("storebridge.webhooks._asgi")
    except ImportError as exc:
        raise ConfigurationError(
            f"serving webhooks needs the webhooks extra ({exc.name or exc} is missing): "
            "pip install 'storebridge[webhooks]'",
            setting="webhooks",
        ) from None


__all__ = [
    "DeliveryInProgress",
    "DeliveryState",
    "MemorySeenStore",
    "SQLiteSeenStore",
    "SeenStore",
    "WebhookEndpoint",
    "WebhookRejected",
    "asgi_app",
    "endpoint",
    "receive",
    "serve",
]
