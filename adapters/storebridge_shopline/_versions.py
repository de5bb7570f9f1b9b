"""SHOPLINE Admin REST API versions (``/admin/openapi/{version}/...``).

Versions are dated ``vYYYYMMDD`` and released roughly quarterly; a stable version is served
for twelve months. The list is every version seen in SHOPLINE's docs and official SDKs;
v20240901 and v20250901 were never published.
"""

from __future__ import annotations

KNOWN_VERSIONS: tuple[str, ...] = (
    "v20210901",
    "v20220601",
    "v20220901",
    "v20230301",
    "v20230901",
    "v20231201",
    "v20240301",
    "v20240601",
    "v20241201",
    "v20250301",
    "v20250601",
    "v20251201",
    "v20260301",
    "v20260601",
    "v20260901",
    "v20261201",
)

DEFAULT_VERSION = "v20260301"
"""A stable version whose order, customer and product fields this adapter is written against."""

__all__ = ["DEFAULT_VERSION", "KNOWN_VERSIONS"]
