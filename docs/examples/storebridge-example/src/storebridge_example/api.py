"""What Example Commerce documents about its API, shared by the adapter and the emulator."""

from __future__ import annotations

from storebridge.kit import RateLimit

PLATFORM = "example"
"""The entry-point name: ``storebridge.connect("example", ...)``."""

API_PATH = "/api/v1"
"""Every route lives under the store's address plus this prefix."""

RATE_LIMIT = RateLimit(per_second=10, burst=20)
"""Per access token; a request over the limit is answered 429 with ``Retry-After``."""

MAX_PAGE_SIZE = 100
"""The largest ``limit`` a listing accepts."""
