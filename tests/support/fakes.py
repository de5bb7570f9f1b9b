"""Fake time for retry and rate-limit tests (the library's own harness)."""

from __future__ import annotations

from storebridge.testing import FakeTime

__all__ = ["FakeTime"]
