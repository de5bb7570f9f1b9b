"""Results of the 29 Next fulfillment-order operations (reachable via ``store.extra``)."""

from __future__ import annotations

import attrs

from storebridge.model import FulfillmentOrder

HOLD_REASONS = ("address_incorrect", "out_of_stock", "high_risk", "awaiting_payment", "other")
"""``reason`` values accepted by ``hold_fulfillment_order`` (the spec's enum)."""


@attrs.frozen(kw_only=True)
class FulfillmentRequestResult:
    """``fulfillment-request/``: the order as it was, the part sent, the part kept back."""

    original: FulfillmentOrder
    requested: FulfillmentOrder
    unrequested: FulfillmentOrder | None


@attrs.frozen(kw_only=True)
class MoveResult:
    """``move/``: the original fulfillment order and the one now at the new location."""

    original: FulfillmentOrder
    moved: FulfillmentOrder


@attrs.frozen(kw_only=True)
class AvailableLocation:
    """A location that can fulfil some lines of a fulfillment order."""

    ref: str
    name: str
    line_refs: tuple[str, ...]
