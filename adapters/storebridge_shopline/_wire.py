"""SHOPLINE wire conventions both ways of reading orders share (the careful converter and
its fast path): the platform's name, status spellings, and tags kept as one
comma-separated string."""

from __future__ import annotations

from collections.abc import Iterable

PLATFORM = "shopline"

FULFILLMENT_ALIASES = {"partial": "partially_fulfilled", "shipped": "fulfilled",
                       "unshipped": "unfulfilled"}  # fmt: skip
"""SHOPLINE's fulfillment words (orders answer ``partial``; filters take ``shipped`` ...)."""

ORDER_STATUS_ALIASES = {"canceled": "cancelled"}
"""Order ``status``: the orders API documents its answers as ``open``/``canceled``, its list
filter and the order webhooks as ``open``/``cancelled``; both are a cancelled order."""

REGION = ("province", "province_code_v2", "standard_province_code", "province_code")
"""Where an address's region is read, first found: the province's name, else its ISO 3166-2
code (``province_code_v2`` on customer addresses from v20250601, ``standard_province_code``
on order addresses from July 2025), else the custom ``province_code`` (deprecated on customer
addresses from v20250601, so a store may send only the code of its version)."""


def split_tags(value: str | None) -> tuple[str, ...]:
    """SHOPLINE tags are one comma-separated string."""
    if not value:
        return ()
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


def join_tags(tags: Iterable[str]) -> str:
    return ",".join(tags)


__all__ = [
    "FULFILLMENT_ALIASES",
    "ORDER_STATUS_ALIASES",
    "PLATFORM",
    "REGION",
    "join_tags",
    "split_tags",
]
