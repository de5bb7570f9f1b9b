"""What every part of the SHOPLINE emulator shares: store state and REST plumbing."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storebridge import _http
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    HTTPProblem,
    LeakyBucket,
    json_response,
)
from storebridge_shopline.emulator.querying import (
    PAGE_CAPS,
    Handler,
    decode_cursor,
    encode_cursor,
)
from storebridge_shopline.emulator.seed import Ids, iso, money_set
from storebridge_shopline.emulator.tokens import TokenRegistry
from storebridge_shopline.versions import KNOWN_VERSIONS


class StoreState(Emulator):
    """The store's data, its app and token settings, and the REST guard every call passes."""

    store_handle: str
    app_key: str
    app_secret: str
    currency: str
    enabled_currencies: tuple[str, ...]
    token_lifetime: float
    refresh_grace: float
    private_refresh_grace: float
    private_token_lifetime: float
    retry_after_header: bool
    default_order_status: str
    numeric_set_amounts: bool
    token_error_status: int
    tolerate_brace_refresh_body: bool
    min_refresh_interval: float
    bucket: LeakyBucket | None
    tokens: TokenRegistry
    codes: dict[str, float]
    refreshes: int
    throttled: int
    _last_refresh: float | None
    _trace: int
    _ids: Ids
    products: dict[str, dict[str, Any]]
    customers: dict[str, dict[str, Any]]
    orders: dict[str, dict[str, Any]]
    transactions: dict[str, list[dict[str, Any]]]

    def now(self) -> float:
        return self.clock.now()

    # REST plumbing ---------------------------------------------------------------------
    def _rest(self, handler: Handler, scope: str) -> Handler:
        def guarded(req: EmulatorRequest) -> _http.Response:
            if req.params.get("version") not in KNOWN_VERSIONS:
                raise HTTPProblem(404, {"errors": "Not Found"})
            header = req.headers.get("authorization", "")
            value = header[7:].strip() if header.lower().startswith("bearer ") else ""
            token = self.tokens.get(value) if value else None
            if token is None:
                raise HTTPProblem(401, {"errors": "[API] Invalid API key or access token"})
            if not token.valid(self.now()):
                raise HTTPProblem(401, {"errors": "ACCESS_TOKEN is expired!"})
            if scope not in token.scope.split(","):
                raise HTTPProblem(403, {"errors": f"the access token lacks the {scope} scope"})
            if self.bucket is not None:
                wait = self.bucket.admit(f"{token.app_key}:{self.store_handle}")
                if wait is not None:
                    self.throttled += 1
                    headers = (
                        {"Retry-After": str(math.ceil(wait))} if self.retry_after_header else {}
                    )
                    raise HTTPProblem(429, {"errors": "Too many request"}, headers)
            if req.method in ("POST", "PUT") and "application/json" not in req.headers.get(
                "content-type", ""
            ):
                raise HTTPProblem(400, {"errors": "Content-Type must be application/json"})
            return handler(req)

        return guarded

    def _stamp(self) -> str:
        return iso(datetime.fromtimestamp(self.now(), UTC))

    def _paged(
        self,
        req: EmulatorRequest,
        key: str,
        resource: str,
        select: Callable[[Mapping[str, str]], list[dict[str, Any]]],
        render: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> _http.Response:
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
        rows = sorted(select(filters), key=lambda r: int(r["id"]))
        if cursor is not None and cursor.get("direction") == "prev":
            before = int(cursor["untilId"])
            earlier = [r for r in rows if int(r["id"]) < before]
            page = earlier[-limit:]
        elif cursor is not None:
            since = int(cursor["sinceId"])
            page = [r for r in rows if int(r["id"]) > since][:limit]
        else:
            page = rows[:limit]
        links = []
        base = f"{req.origin}{req.path}"
        if page and int(page[-1]["id"]) < int(rows[-1]["id"]):
            info = encode_cursor(
                {"filters": filters, "sinceId": page[-1]["id"], "direction": "next", "limit": limit}
            )
            links.append(f'<{base}?limit={limit}&page_info={info}>; rel="next"')
        if page and int(page[0]["id"]) > int(rows[0]["id"]):
            info = encode_cursor(
                {"filters": filters, "untilId": page[0]["id"], "direction": "prev", "limit": limit}
            )
            links.append(f'<{base}?limit={limit}&page_info={info}>; rel="previous"')
        fields = [f for f in query.get("fields", "").split(",") if f]
        items = [render(r) for r in page]
        if fields:
            items = [{k: v for k, v in item.items() if k in fields} for item in items]
        headers = {"link": ", ".join(links)} if links else {}
        return json_response(200, {key: items}, headers)

    def _order(self, req: EmulatorRequest) -> dict[str, Any]:
        found = self.orders.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The order does not exist."})
        return found

    def _set(self, value: Decimal, currency: str) -> dict[str, Any]:
        return money_set(value, currency, self.numeric_set_amounts)
