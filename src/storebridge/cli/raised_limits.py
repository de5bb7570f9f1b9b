"""Sandboxes served at a raised rate limit (``--rate-limit`` of ``sandbox serve`` and
``demo``), and the limit their clients keep to so that they read at that speed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storebridge.cli.output import usage_error

if TYPE_CHECKING:
    from storebridge.adapter import Adapter, RateLimit
    from storebridge.sandbox import Sandbox

RateLimitOption = Annotated[
    float | None,
    typer.Option(
        "--rate-limit",
        help="Requests per second a sandbox allows each credential, as on a plan with a "
        "raised limit [default: the platform's documented limit]; its clients keep to it.",
        show_default=False,
    ),
]


def sandbox_options(rate_limit: float | None) -> dict[str, Any]:
    """The sandbox options for ``--rate-limit`` (none when it is not given).

    Every built-in emulator takes ``rate_limit`` as requests per second; one that does not
    refuses it with a ConfigurationError naming the option.
    """
    if rate_limit is None:
        return {}
    if not math.isfinite(rate_limit) or rate_limit <= 0:
        raise usage_error(
            f"--rate-limit must be a number of requests per second above 0, got {rate_limit}"
        )
    return {"rate_limit": rate_limit}


def limit_to_keep(
    adapter: type[Adapter], kit: Sandbox, settings: Mapping[str, Any]
) -> RateLimit | None:
    """The rate limit a client of ``kit`` (opened with ``settings``) keeps to: the sandbox's
    own, inside which the core keeps its usual margin.

    None when the sandbox's settings already pace the adapter for it (a platform with rate
    settings of its own), so a profile never states its limit twice; None also when the
    sandbox enforces no limit, or shows none (an emulator without a ``guard``).
    """
    # Imported here: every command line loads this module for its option.
    from storebridge.sandbox import Guard

    if adapter.from_settings(**settings).rate_limit != adapter.default_rate_limit:
        return None
    guard = getattr(kit.emulator, "guard", None)
    throttle = guard.throttle if isinstance(guard, Guard) else None
    return None if throttle is None else throttle.limit


__all__ = ["RateLimitOption", "limit_to_keep", "sandbox_options"]
