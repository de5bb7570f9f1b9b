"""SHOPLINE's wire conventions: paths, error bodies, money, times, cursors and ``link`` pages.

Lists page by opaque ``page_info`` cursors that carry the first request's filters (every
filter but ``limit`` and ``fields`` is ignored on follow-up pages) and the id to continue
after or before; the next and previous pages come back in a ``link`` header.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from storebridge.http import Response
from storebridge.kit import parse_iso_datetime
from storebridge.sandbox import (
    EmulatorRequest,
    HTTPProblem,
    Span,
    keyset_page,
    unemulated,
)

__all__ = [
    "ALL_SCOPES",
    "API",
    "CENT",
    "FULFILLMENT_FILTERS",
    "PAGE_CAPS",
    "STORE_TZ",
    "Handler",
    "Record",
    "decode_cursor",
    "encode_cursor",
    "instant",
    "iso",
    "money_set",
    "money_str",
    "page_answer",
    "parse_amount",
    "parse_when",
    "refuse_unemulated",
    "text_set",
]

API = r"/admin/openapi/(?P<version>[^/]+)/"
ALL_SCOPES = (
    "read_orders,write_orders,read_customers,write_customers,read_products,write_products,"
    "read_store_information"
)
PAGE_CAPS = {"orders": 100, "customers": 250, "products": 250, "webhooks": 250}
FULFILLMENT_FILTERS = {"unshipped", "partial", "shipped", "any"}
STORE_TZ = timezone(timedelta(hours=8))
"""Stores answer in their own offset; +08:00 matches the docs' examples."""
CENT = Decimal("0.01")

Handler = Callable[[EmulatorRequest], Response]
Record = dict[str, Any]


# Values ----------------------------------------------------------------------------------
def iso(when: datetime) -> str:
    return when.astimezone(STORE_TZ).isoformat(timespec="seconds")


def instant(value: str) -> float:
    """A stored ISO 8601 time (always with an offset) as epoch seconds, for indexes."""
    return parse_iso_datetime(value).timestamp()


def money_str(value: Decimal) -> str:
    return str(value.quantize(CENT))


def money_set(value: Decimal, currency: str, numeric: bool = False) -> dict[str, Any]:
    amount: Any = float(value.quantize(CENT)) if numeric else money_str(value)
    entry = {"amount": amount, "currency_code": currency}
    return {"shop_money": entry, "presentment_money": dict(entry)}


def text_set(text: str, currency: str, numeric: bool = False) -> dict[str, Any]:
    """:func:`money_set` of an amount already kept as two-decimal text."""
    amount: Any = float(text) if numeric else text
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    }


def parse_amount(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}}) from None
    if not result.is_finite():
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}})
    return result


def parse_when(value: str, name: str) -> datetime:
    try:
        return parse_iso_datetime(value)
    except ValueError:
        raise HTTPProblem(400, {"errors": f"{name} must be ISO 8601 with an offset"}) from None


# Pages -----------------------------------------------------------------------------------
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


def page_answer(
    req: EmulatorRequest,
    key: str,
    resource: str,
    select: Callable[[Mapping[str, str]], Span[Record]],
    render: Callable[[Record], Record],
) -> Response:
    """One page of a list: ``select(filters)`` gives the matching records sorted by id."""
    query = req.query
    cap = PAGE_CAPS[resource]
    cursor = decode_cursor(query["page_info"]) if query.get("page_info") else None
    # With page_info every filter but limit and fields comes from the cursor.
    filters: dict[str, str] = (
        dict(cursor.get("filters", {}))
        if cursor is not None
        else {k: v for k, v in query.items() if k not in ("limit", "fields", "page_info")}
    )
    raw_limit = query.get("limit") or (str(cursor["limit"]) if cursor else "50")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise HTTPProblem(400, {"errors": "limit must be an integer"}) from None
    if not 1 <= limit <= cap:
        raise HTTPProblem(400, {"errors": f"limit must be between 1 and {cap}"})
    rows = select(filters)
    if cursor is not None and cursor.get("direction") == "prev":
        page = keyset_page(rows, limit=limit, before=int(cursor["untilId"]))
    elif cursor is not None:
        page = keyset_page(rows, limit=limit, after=int(cursor["sinceId"]))
    else:
        page = keyset_page(rows, limit=limit)
    links = []
    base = f"{req.origin}{req.path}"
    if page.items and page.has_next:
        info = encode_cursor(
            {
                "filters": filters,
                "sinceId": page.items[-1]["id"],
                "direction": "next",
                "limit": limit,
            }
        )
        links.append(f'<{base}?limit={limit}&page_info={info}>; rel="next"')
    if page.items and page.has_previous:
        info = encode_cursor(
            {
                "filters": filters,
                "untilId": page.items[0]["id"],
                "direction": "prev",
                "limit": limit,
            }
        )
        links.append(f'<{base}?limit={limit}&page_info={info}>; rel="previous"')
    fields = [f for f in query.get("fields", "").split(",") if f]
    items = [render(r) for r in page.items]
    if fields:
        items = [{k: v for k, v in item.items() if k in fields} for item in items]
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if links:
        headers["link"] = ", ".join(links)
    # orjson: a page of orders is hundreds of kilobytes, encoded while the store is locked.
    return Response(200, content=orjson.dumps({key: items}), headers=headers)


NOT_EMULATED = {
    "orders": frozenset({"buyer_id", "location", "contract_ids", "search_content"}),
    "products": frozenset({"collection_id", "product_category"}),
}  # fmt: skip
"""Filters SHOPLINE applies and this emulator does not (refused, not ignored)."""


def refuse_unemulated(req: EmulatorRequest, listing: str) -> None:
    """A 400 naming the filters of ``req`` the emulator cannot apply, if any."""
    message = unemulated(req.query.keys(), NOT_EMULATED[listing])
    if message is not None:
        raise HTTPProblem(400, {"errors": message})
