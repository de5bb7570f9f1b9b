"""Test helpers for adapter authors: fake time, the fault layer, cassettes, conformance kit.

``storebridge.testing.cassettes`` needs vcrpy (the ``test`` extra); it is imported only
when one of its names is used, so the rest works without it.
"""

from __future__ import annotations

from typing import Any

from storebridge.testing.fake_time import FakeTime
from storebridge.testing.faults import FAULT_KINDS, LOST_ANSWER_FAULTS, FaultTransport

_CASSETTE_NAMES = ("CassetteMiss", "CassetteTransport", "find_credentials")

__all__ = [
    "FAULT_KINDS",
    "LOST_ANSWER_FAULTS",
    "CassetteMiss",
    "CassetteTransport",
    "FakeTime",
    "FaultTransport",
    "find_credentials",
]


def __getattr__(name: str) -> Any:
    if name in _CASSETTE_NAMES:
        from storebridge.testing import cassettes

        return getattr(cassettes, name)
    raise AttributeError(f"module 'storebridge.testing' has no attribute {name!r}")
