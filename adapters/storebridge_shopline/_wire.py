"""SHOPLINE wire conventions both ways of reading orders share (the careful converter and
its fast path): the platform's name, status spellings, and tags kept as one
comma-separated string."""

from __future__ import annotations

from collections.abc import Iterable

PLATFORM = "shopline"

FULFILLMENT_ALIASES = {"partial": "partially_fulfilled", "shipped": "fulfilled",
                       "unshipped": "unfulfilled"}  # fmt: skip
"""SHOPLINE's fulfillment words (orders answer ``partial``; filters take ``shipped`` ...)."""


def split_tags(value: str | None) -> tuple[str, ...]:
    """SHOPLINE tags are one comma-separated string."""
    if not value:
        return ()
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


def join_tags(tags: Iterable[str]) -> str:
    return ",".join(tags)


__all__ = ["FULFILLMENT_ALIASES", "PLATFORM", "join_tags", "split_tags"]
