"""Raised rate limits for tests that run the command line in-process against sandboxes.

The command line reads a store's settings from its profile and nothing else: no option sets
a store's rate limit, so a run keeps to what the adapter declares for its platform (29 Next
and SHOPLINE) or to the profile's ``requests_per_second`` (24Nettbutikk). Tests whose subject
is not pacing raise both, as a plan with a higher allowance would, against sandboxes whose own
limits are off or raised alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge import RateLimit
from storebridge.registry import adapter_class

__all__ = ["DECLARED", "PACE", "SETTINGS", "raise_declared_limits"]

PACE = 25
"""How many times the documented rate limits the raised ones are."""

DECLARED = ("29next", "shopline")
"""Platforms whose adapters pace every store at one declared limit."""

SETTINGS: dict[str, dict[str, Any]] = {
    "24nettbutikk": {"requests_per_second": 2.0 * PACE, "burst": 2 * PACE},
}
"""Profile settings that raise the limit a store keeps to, for platforms that have them."""


def raise_declared_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the test ends, :data:`DECLARED` adapters declare :data:`PACE` times their limit."""
    for platform in DECLARED:
        cls = adapter_class(platform)
        declared = cls.default_rate_limit
        raised = RateLimit(per_second=declared.per_second * PACE, burst=declared.burst)
        monkeypatch.setattr(cls, "default_rate_limit", raised)
