"""What changed in a store: one event model for the change feed and for webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from storebridge.model.base import ModelObject
from storebridge.model.status import OpenEnum


class ChangeKind(OpenEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True, repr=False)
class Change(ModelObject):
    """One change to one record, from the change feed (``store.changes``) or a webhook.

    ``object`` is the record as the unified model (an Order, Customer, Product...) -- None
    for a deletion, which carries only the ``ref``. ``occurred_at`` is when the platform says
    the change happened (the record's ``updated_at``, or the event's time). ``event_id`` is
    the platform's delivery id for webhooks (what de-duplication keys on). ``checkpoint`` is
    set by the change feed: save it, and resuming from it continues right after this change.
    """

    platform: str
    store: str
    resource: str
    kind: ChangeKind
    ref: str
    object: Any = None
    occurred_at: datetime | None = None
    source: str = "feed"
    """``"feed"`` (read from the platform's listings) or ``"webhook"`` (delivered to you)."""
    event_id: str | None = None
    topic: str | None = None
    """The platform's own name for the event (``order.updated``, ``orders/update``...)."""
    checkpoint: Any = attrs.field(default=None, eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False)

    def __repr__(self) -> str:
        when = self.occurred_at.isoformat() if self.occurred_at else None
        return (
            f"Change({self.resource} {self.kind.value} ref={self.ref!r}, occurred_at={when!r}, "
            f"source={self.source!r}, platform={self.platform!r})"
        )


@attrs.frozen(kw_only=True)
class WebhookSubscription(ModelObject):
    """A webhook subscription on a platform: where it delivers, and which topics."""

    platform: str
    ref: str
    url: str
    topics: tuple[str, ...]
    """Unified topics (``orders.created``...) where known; platform topics are in ``raw``."""
    active: bool | None = None
    api_version: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


TOPICS: tuple[str, ...] = (
    "orders.created",
    "orders.updated",
    "orders.deleted",
    "customers.created",
    "customers.updated",
    "customers.deleted",
    "products.created",
    "products.updated",
    "products.deleted",
    "refunds.created",
)
"""The unified webhook topics; each adapter maps them onto its platform's events."""


__all__ = ["TOPICS", "Change", "ChangeKind", "WebhookSubscription"]
