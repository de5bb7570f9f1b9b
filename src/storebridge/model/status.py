"""Open enums for platform statuses.

Platforms add statuses over time. A value we do not know becomes ``UNKNOWN`` and the raw
string is kept next to it on the model object (``status_raw`` and friends), so nothing is lost
and nothing crashes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Self, cast


class OpenEnum(enum.StrEnum):
    """A string enum whose ``parse`` maps unknown values to ``UNKNOWN`` instead of failing."""

    @classmethod
    def parse(cls, raw: object, aliases: Mapping[str, str] | None = None) -> Self:
        """Map a platform value onto a member: via ``aliases``, then by value, else UNKNOWN."""
        if isinstance(raw, str):
            key = raw.strip().lower()
        elif raw is None:
            key = "unknown"
        else:
            try:
                key = str(raw).strip().lower()
            except ValueError:  # str() refuses integers of thousands of digits: no status
                key = "unknown"
        if aliases:
            key = aliases.get(key, key)
        # A dict lookup, not cls(key): an unknown value would cost a raised ValueError.
        member = cls._value2member_map_.get(key) or cls._value2member_map_["unknown"]
        return cast(Self, member)


class OrderStatus(OpenEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class FinancialStatus(OpenEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    UNPAID = "unpaid"
    UNKNOWN = "unknown"


class FulfillmentStatus(OpenEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    RESTOCKED = "restocked"
    UNKNOWN = "unknown"


class TransactionKind(OpenEnum):
    SALE = "sale"
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    REFUND = "refund"
    VOID = "void"
    UNKNOWN = "unknown"


class TransactionStatus(OpenEnum):
    SUCCESS = "success"
    PENDING = "pending"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class RestockType(OpenEnum):
    """What happens to stock for a refunded line."""

    CANCEL = "cancel"
    RETURN = "return"
    NO_RESTOCK = "no_restock"
    UNKNOWN = "unknown"


class FulfillmentOrderStatus(OpenEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    INCOMPLETE = "incomplete"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    UNKNOWN = "unknown"


__all__ = [
    "FinancialStatus",
    "FulfillmentOrderStatus",
    "FulfillmentStatus",
    "OpenEnum",
    "OrderStatus",
    "RestockType",
    "TransactionKind",
    "TransactionStatus",
]
