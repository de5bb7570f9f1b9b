"""Query parsing shared by the emulator's endpoints: filters, cursors, numbers."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storebridge import _http
from storebridge.payload import parse_iso_datetime
from storebridge.sandbox import (
    EmulatorRequest,
    HTTPProblem,
)

API = r"/admin/openapi/(?P<version>[^/]+)/"
ALL_SCOPES = (
    "read_orders,write_orders,read_customers,write_customers,read_products,write_products,"
    "read_store_information"
)
PAGE_CAPS = {"orders": 100, "customers": 250, "products": 250}
FULFILLMENT_FILTERS = {"unshipped", "partial", "shipped", "any"}
Handler = Callable[[EmulatorRequest], _http.Response]


def parse_amount(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}}) from None
    if not result.is_finite():
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}})
    return result


def encode_cursor(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(value: str) -> dict[str, Any]:
    try:
        padded = value + "=" * (-len(value) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        raise HTTPProblem(400, {"errors": "page_info is invalid"}) from None
    if not isinstance(data, dict):
        raise HTTPProblem(400, {"errors": "page_info is invalid"})
    return data


def parse_when(value: str, name: str) -> datetime:
    try:
        return parse_iso_datetime(value)
    except ValueError:
        raise HTTPProblem(400, {"errors": f"{name} must be ISO 8601 with an offset"}) from None


def matches_common_filters(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    for field in ("created_at", "updated_at"):
        stamp = parse_iso_datetime(row[field]) if row.get(field) else None
        low, high = filters.get(f"{field}_min"), filters.get(f"{field}_max")
        if low and (stamp is None or stamp < parse_when(low, f"{field}_min")):
            return False
        if high and (stamp is None or stamp > parse_when(high, f"{field}_max")):
            return False
    since = filters.get("since_id")
    if since and int(row["id"]) <= int(since):
        return False
    ids = filters.get("ids")
    return not (ids and row["id"] not in {i.strip() for i in ids.split(",")})
