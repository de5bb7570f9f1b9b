"""The 29 Next emulator's switches: what the notes mark as inferred, and its credentials."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from storebridge.sandbox.webhooks import WebhookOptions, webhook_options
from storebridge_29next.emulator.wire import DEFAULT_TOKEN, VERSIONS

__all__ = ["ALL_SCOPES", "TwentyNineNextOptions"]

ALL_SCOPES = frozenset(
    f"{area}:{mode}"
    for area in (
        "orders",
        "users",
        "catalogue",
        "transactions",
        "fulfillment_orders",
        "locations",
        "webhooks",
    )
    for mode in ("read", "write")
)


def _scopes(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _known_version(_i: object, a: attrs.Attribute[Any], value: str) -> None:
    if value not in VERSIONS:
        raise ValueError(f"{a.name} must be one of {', '.join(VERSIONS)}, got {value!r}")


@attrs.frozen(kw_only=True)
class TwentyNineNextOptions:
    """Passed as keywords: ``TwentyNineNextEmulator(size, page_size=5)`` or
    ``TwentyNineNextAdapter.sandbox(page_size=5)``.

    Facts from the notes are followed as documented; what they mark as inferred is an
    option: ``default_version`` (used when the version header is missing), ``page_size``
    (undocumented), ``rate_limit``/``burst`` (4 requests/second per token; bucket or strict
    window is unknown; None turns it off), ``scopes`` (the token's scopes; a missing one
    answers 403; None grants all), ``auto_accept_cancellation`` (whether the location
    accepts a cancellation request at once). ``token`` is the access token it accepts.
    ``webhooks``: how webhooks are delivered (retries, duplicates, an in-process transport;
    :class:`~storebridge.sandbox.webhooks.WebhookOptions` or a dict of its fields).
    """

    token: str = DEFAULT_TOKEN
    scopes: frozenset[str] | None = attrs.field(default=None, converter=_scopes)
    rate_limit: float | None = 4.0
    burst: int = 4
    page_size: int = 20
    default_version: str = attrs.field(default="2024-04-01", validator=_known_version)
    auto_accept_cancellation: bool = True
    webhooks: WebhookOptions = attrs.field(default=None, converter=webhook_options)
