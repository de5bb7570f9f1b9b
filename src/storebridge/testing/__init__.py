"""Test helpers for adapter authors: cassettes and the conformance kit."""

from storebridge.testing.cassettes import CassetteMiss, CassetteTransport, find_credentials

__all__ = ["CassetteMiss", "CassetteTransport", "find_credentials"]
