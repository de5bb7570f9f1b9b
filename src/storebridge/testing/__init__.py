"""Test helpers for adapter authors: cassettes and the conformance kit.

``storebridge.testing.cassettes`` needs vcrpy (the ``test`` extra); it is imported only
when one of its names is used, so the conformance kit works without it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CassetteMiss", "CassetteTransport", "find_credentials"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from storebridge.testing import cassettes

        return getattr(cassettes, name)
    raise AttributeError(f"module 'storebridge.testing' has no attribute {name!r}")
