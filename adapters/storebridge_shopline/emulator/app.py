"""An emulator of SHOPLINE's Admin REST API and OAuth token endpoints.

Faithful to the research notes: ``/admin/openapi/{version}/...`` routing (unknown versions
404), Bearer auth on every REST call, ``traceId`` on every response, the per-(app, store)
leaky bucket (4/s, 40 deep) answering 429 ``{"errors":"Too many request"}``, ``link``
header pagination with opaque ``page_info`` cursors that ignore every filter but ``limit``
and ``fields``, ``{"errors": ...}`` bodies, the signed token create/refresh calls with 10-hour
tokens whose predecessors live 5 more minutes (30 for private apps), and the refund rules
(never more than is refundable). Behaviour the notes mark as inferred is switchable through
constructor options.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from storebridge import _http
from storebridge.payload import parse_iso_datetime
from storebridge.sandbox import (
    Clock,
    Emulator,
    EmulatorRequest,
    HTTPProblem,
    LeakyBucket,
    json_response,
)
from storebridge_shopline.emulator.seed import (
    CENT,
    SEED_START,
    Ids,
    iso,
    money_set,
    money_str,
    seed_customers,
    seed_products,
)
from storebridge_shopline.emulator.tokens import TEN_HOURS, THREE_YEARS, TokenRegistry
from storebridge_shopline.signing import same_signature, sign_body
from storebridge_shopline.versions import KNOWN_VERSIONS
from storebridge_shopline.webhooks import sign_webhook

API = r"/admin/openapi/(?P<version>[^/]+)/"
ALL_SCOPES = (
    "read_orders,write_orders,read_customers,write_customers,read_products,write_products,"
    "read_store_information"
)
PAGE_CAPS = {"orders": 100, "customers": 250, "products": 250}
FULFILLMENT_FILTERS = {"unshipped", "partial", "shipped", "any"}
Handler = Callable[[EmulatorRequest], _http.Response]


def _dec(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}}) from None
    if not result.is_finite():
        raise HTTPProblem(422, {"errors": {what: ["is not a number"]}})
    return result


def _encode_cursor(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_cursor(value: str) -> dict[str, Any]:
    try:
        padded = value + "=" * (-len(value) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        raise HTTPProblem(400, {"errors": "page_info is invalid"}) from None
    if not isinstance(data, dict):
        raise HTTPProblem(400, {"errors": "page_info is invalid"})
    return data


def _when(value: str, name: str) -> datetime:
    try:
        return parse_iso_datetime(value)
    except ValueError:
        raise HTTPProblem(400, {"errors": f"{name} must be ISO 8601 with an offset"}) from None


def _in_range(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    for field in ("created_at", "updated_at"):
        stamp = parse_iso_datetime(row[field]) if row.get(field) else None
        low, high = filters.get(f"{field}_min"), filters.get(f"{field}_max")
        if low and (stamp is None or stamp < _when(low, f"{field}_min")):
            return False
        if high and (stamp is None or stamp > _when(high, f"{field}_max")):
            return False
    since = filters.get("since_id")
    if since and int(row["id"]) <= int(since):
        return False
    ids = filters.get("ids")
    return not (ids and row["id"] not in {i.strip() for i in ids.split(",")})


class ShoplineEmulator(Emulator):
    """SHOPLINE for one store (``handle``) and one app (``app_key``/``app_secret``).

    Options (defaults follow the notes; inferred behaviour is marked):

    * ``token_lifetime`` (10 h), ``refresh_grace`` (5 min), ``private_refresh_grace`` (30
      min), ``private_token_lifetime`` (3 years); ``clock`` decides when tokens expire.
    * ``rate_limit``: True (4/s), False (off) or requests per second; ``bucket_size`` 40;
      ``retry_after_header`` (inferred; SHOPLINE documents no rate-limit headers) adds
      ``Retry-After`` to 429s.
    * ``default_order_status`` for lists that send no ``status`` (inferred: ``open``).
    * ``numeric_set_amounts``: amounts inside ``*_set`` objects as numbers (documented
      both ways).
    * ``token_error_status``: HTTP status of token-endpoint refusals (inferred: 200, with
      the error in the ``code``/``i18nCode`` envelope).
    * ``tolerate_brace_refresh_body``: accept a ``{}`` refresh body (inferred; the official
      SDKs send none).
    * ``min_refresh_interval``: refuse refreshes closer together than this with
      ``REQUEST_FREQUENTLY`` (inferred from third-party code; 0 disables).
    """

    platform = "shopline"

    def __init__(
        self,
        *,
        handle: str = "acme",
        app_key: str = "sandbox-app-key",
        app_secret: str = "sandbox-app-secret-0000",
        currency: str = "USD",
        seed: int = 1,
        orders: int = 25,
        customers: int | None = None,
        products: int | None = None,
        clock: Clock | None = None,
        latency: float = 0.0,
        token_lifetime: float = TEN_HOURS,
        refresh_grace: float = 300.0,
        private_refresh_grace: float = 1800.0,
        private_token_lifetime: float = THREE_YEARS,
        rate_limit: bool | float = True,
        bucket_size: int = 40,
        retry_after_header: bool = False,
        default_order_status: str = "open",
        numeric_set_amounts: bool = False,
        token_error_status: int = 200,
        tolerate_brace_refresh_body: bool = True,
        min_refresh_interval: float = 0.0,
    ) -> None:
        super().__init__(clock=clock, latency=latency)
        self.store_handle = handle
        self.app_key = app_key
        self.app_secret = app_secret
        self.currency = currency
        self.token_lifetime = token_lifetime
        self.refresh_grace = refresh_grace
        self.private_refresh_grace = private_refresh_grace
        self.private_token_lifetime = private_token_lifetime
        self.retry_after_header = retry_after_header
        self.default_order_status = default_order_status
        self.numeric_set_amounts = numeric_set_amounts
        self.token_error_status = token_error_status
        self.tolerate_brace_refresh_body = tolerate_brace_refresh_body
        self.min_refresh_interval = min_refresh_interval
        per_second = 4.0 if rate_limit is True else float(rate_limit or 0)
        self.bucket = LeakyBucket(per_second, bucket_size, self.clock) if per_second else None
        self.tokens = TokenRegistry(handle, app_secret)
        self.codes: dict[str, float] = {}
        self.refreshes = 0
        self.throttled = 0
        self._last_refresh: float | None = None
        self._trace = 0
        self._ids = Ids()
        rng = random.Random(seed)
        self.products = {
            p["id"]: p
            for p in seed_products(rng, self._ids, products or max(5, orders // 2), currency)
        }
        self.customers = {
            c["id"]: c for c in seed_customers(rng, self._ids, customers or max(5, orders // 2))
        }
        self.orders: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, list[dict[str, Any]]] = {}
        for number in range(1, orders + 1):
            self._seed_order(rng, number)
        self._routes_up()

    # Routes ----------------------------------------------------------------------------
    def _routes_up(self) -> None:
        self.route("POST", r"/admin/oauth/token/create", self.token_create)
        self.route("POST", r"/admin/oauth/token/refresh", self.token_refresh)
        rest: list[tuple[str, str, Handler, str]] = [
            ("GET", r"merchants/shop\.json", self.shop, "read_store_information"),
            ("GET", r"currency/currencies\.json", self.currencies, "read_store_information"),
            ("GET", r"orders\.json", self.list_orders, "read_orders"),
            ("POST", r"orders\.json", self.create_order, "write_orders"),
            ("GET", r"orders/count\.json", self.count_orders, "read_orders"),
            ("PUT", r"orders/(?P<id>\d+)\.json", self.update_order, "write_orders"),
            ("POST", r"orders/(?P<id>\d+)/cancel\.json", self.cancel_order, "write_orders"),
            ("GET", r"orders/(?P<id>\d+)/transactions\.json", self.order_transactions,
             "read_orders"),
            ("GET", r"orders/(?P<id>\d+)/refunds\.json", self.list_refunds, "read_orders"),
            ("POST", r"orders/(?P<id>\d+)/refunds/calculate\.json", self.calculate_refund,
             "write_orders"),
            ("POST", r"order/refund\.json", self.create_refund, "write_orders"),
            ("GET", r"v2/customers\.json", self.list_customers, "read_customers"),
            ("GET", r"customers/v2/search\.json", self.search_customers, "read_customers"),
            ("GET", r"customers/v2/count\.json", self.count_customers, "read_customers"),
            ("GET", r"customers/v2/(?P<id>\d+)\.json", self.get_customer, "read_customers"),
            ("POST", r"customers\.json", self.create_customer, "write_customers"),
            ("PUT", r"customers/(?P<id>\d+)\.json", self.update_customer, "write_customers"),
            ("GET", r"products/products\.json", self.list_products, "read_products"),
            ("POST", r"products/products\.json", self.create_product, "write_products"),
            ("GET", r"products/count\.json", self.count_products, "read_products"),
            ("GET", r"products/(?P<id>\d+)\.json", self.get_product, "read_products"),
        ]  # fmt: skip
        for method, path, handler, scope in rest:
            self.route(method, API + path, self._rest(handler, scope))

    def not_found(self, request: EmulatorRequest) -> _http.Response:
        return json_response(404, {"errors": "Not Found"})

    def decorate(self, request: EmulatorRequest, response: _http.Response) -> _http.Response:
        with self.lock:
            self._trace += 1
            trace = f"{self._trace:08x}-{self.store_handle}-emu"
        response.headers["traceId"] = trace
        return response

    # Tokens ----------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def issue_token(
        self, *, private: bool = False, scope: str = ALL_SCOPES
    ) -> tuple[str, datetime]:
        """A token as the admin (private app) or an OAuth grant would hand out; for tests."""
        with self.lock:
            lifetime = self.private_token_lifetime if private else self.token_lifetime
            token = self.tokens.issue(
                app_key=self.app_key, private=private, scope=scope, now=self.now(),
                lifetime=lifetime,
            )  # fmt: skip
            return token.value, datetime.fromtimestamp(token.expires_at, UTC)

    def rotate_private_token(self) -> str:
        """What "refresh" in the store admin does: a new token, the old one lives 30 min."""
        with self.lock:
            value, _ = self.issue_token(private=True)
            self.tokens.supersede(self.app_key, True, self.now(), self.private_refresh_grace, value)
            return value

    def issue_code(self) -> str:
        """An authorization code, as SHOPLINE puts on the OAuth callback (valid 10 min)."""
        with self.lock:
            code = f"code{len(self.codes) + 1:06d}"
            self.codes[code] = self.now() + 600
            return code

    def _token_refusal(self, code: int | str, i18n: str, message: str) -> HTTPProblem:
        return HTTPProblem(
            self.token_error_status, {"code": code, "i18nCode": i18n, "message": message}
        )

    def _check_signed(self, req: EmulatorRequest, bodies: tuple[bytes, ...]) -> None:
        appkey = req.headers.get("appkey")
        stamp = req.headers.get("timestamp")
        sign = req.headers.get("sign")
        if not appkey or not stamp or not sign:
            raise self._token_refusal(400, "PARAM_ERROR", "appkey, timestamp and sign are required")
        if appkey != self.app_key:
            raise self._token_refusal(401, "APP_NOT_FOUND", "unknown appkey")
        try:
            skew = abs(self.now() - int(stamp) / 1000)
        except ValueError:
            raise self._token_refusal(400, "PARAM_ERROR", "timestamp must be epoch ms") from None
        if skew > 600:
            raise self._token_refusal(401, "TIMESTAMP_EXPIRED", "timestamp is outside 10 minutes")
        if not any(same_signature(sign_body(self.app_secret, b, stamp), sign) for b in bodies):
            raise self._token_refusal(401, "SIGN_ERROR", "sign verification failed")

    def _token_answer(self, value: str, expires_at: float, scope: str) -> _http.Response:
        expire = datetime.fromtimestamp(expires_at, UTC)
        stamp = expire.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expire.microsecond // 1000:03d}+00:00"
        return json_response(
            200,
            {
                "code": 200,
                "i18nCode": "SUCCESS",
                "message": "ok",
                "data": {"accessToken": value, "expireTime": stamp, "scope": scope},
            },
        )

    def token_create(self, req: EmulatorRequest) -> _http.Response:
        self._check_signed(req, (req.body,))
        code = req.json().get("code") if req.body else None
        expires = self.codes.pop(code, None) if isinstance(code, str) else None
        if expires is None or expires < self.now():
            raise self._token_refusal(400, "CODE_INVALID", "code is invalid or expired")
        token = self.tokens.issue(
            app_key=self.app_key, private=False, scope=ALL_SCOPES, now=self.now(),
            lifetime=self.token_lifetime,
        )  # fmt: skip
        self.tokens.supersede(self.app_key, False, self.now(), self.refresh_grace, token.value)
        return self._token_answer(token.value, token.expires_at, token.scope)

    def token_refresh(self, req: EmulatorRequest) -> _http.Response:
        bodies: tuple[bytes, ...] = (b"",)
        if req.body.strip() == b"{}" and self.tolerate_brace_refresh_body:
            bodies = (b"", b"{}")
        elif req.body.strip():
            raise self._token_refusal(400, "PARAM_ERROR", "refresh takes no body")
        self._check_signed(req, bodies)
        now = self.now()
        if (
            self.min_refresh_interval
            and self._last_refresh is not None
            and now - self._last_refresh < self.min_refresh_interval
        ):
            raise self._token_refusal(400, "REQUEST_FREQUENTLY", "refresh requested too often")
        self._last_refresh = now
        self.refreshes += 1
        token = self.tokens.issue(
            app_key=self.app_key, private=False, scope=ALL_SCOPES, now=now,
            lifetime=self.token_lifetime,
        )  # fmt: skip
        self.tokens.supersede(self.app_key, False, now, self.refresh_grace, token.value)
        return self._token_answer(token.value, token.expires_at, token.scope)

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
        cursor = _decode_cursor(query["page_info"]) if query.get("page_info") else None
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
            info = _encode_cursor(
                {"filters": filters, "sinceId": page[-1]["id"], "direction": "next", "limit": limit}
            )
            links.append(f'<{base}?limit={limit}&page_info={info}>; rel="next"')
        if page and int(page[0]["id"]) > int(rows[0]["id"]):
            info = _encode_cursor(
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

    # Store -----------------------------------------------------------------------------
    def shop(self, req: EmulatorRequest) -> _http.Response:
        return json_response(
            200,
            {
                "data": {
                    "id": 1631700219512,
                    "name": self.store_handle.title(),
                    "domain": f"{self.store_handle}.myshopline.com",
                    "currency": self.currency,
                    "iana_timezone": "Asia/Singapore",
                    "language": "en",
                    "biz_store_status": 2,
                    "created_at": iso(SEED_START - timedelta(days=90)),
                    "updated_at": iso(SEED_START - timedelta(days=90)),
                }
            },
        )

    def currencies(self, req: EmulatorRequest) -> _http.Response:
        return json_response(
            200,
            {"currencies": [{"currency": self.currency, "enabled": True, "rate_update_at": ""}]},
        )

    # Orders ----------------------------------------------------------------------------
    def _set(self, value: Decimal, currency: str) -> dict[str, Any]:
        return money_set(value, currency, self.numeric_set_amounts)

    def _build_order(
        self,
        *,
        lines: list[dict[str, Any]],
        customer: dict[str, Any] | None,
        email: str | None,
        created: str,
        name: str,
        currency: str,
        shipping: Decimal,
        tax_rate: Decimal,
        discount: Decimal = Decimal(0),
        financial_status: str = "paid",
        fulfillment_status: str | None = None,
        tags: str = "",
        note: str | None = None,
        shipping_address: dict[str, Any] | None = None,
        billing_address: dict[str, Any] | None = None,
        note_attributes: list[dict[str, Any]] | None = None,
        tax_override: Decimal | None = None,
        gateway: str = "SLpayments",
    ) -> dict[str, Any]:
        oid = self._ids.new("order")
        subtotal = Decimal(0)
        tax_total = Decimal(0)
        for line in lines:
            line["id"] = self._ids.new("line")
            line_total = Decimal(line["price"]) * line["quantity"]
            subtotal += line_total
            line_tax = (line_total * tax_rate).quantize(CENT)
            line["tax_lines"] = (
                [{"title": "VAT", "rate": float(tax_rate), "price": money_str(line_tax),
                  "type": "product_tax"}]
                if line_tax else []
            )  # fmt: skip
            line["_tax"] = money_str(line_tax)
            tax_total += line_tax
        if tax_override is not None:
            tax_total = tax_override
        total = subtotal + shipping + tax_total - discount
        order: dict[str, Any] = {
            "id": oid,
            "name": name,
            "store_id": "1631700219512",
            "email": email,
            "phone": customer.get("phone") if customer else None,
            "currency": currency,
            "presentment_currency": currency,
            "status": "open",
            "financial_status": financial_status,
            "fulfillment_status": fulfillment_status,
            "cancel_reason": None,
            "cancelled_at": None,
            "hidden_order": False,
            "created_at": created,
            "updated_at": created,
            "processed_at": created,
            "order_at": created,
            "tags": tags,
            "note": note,
            "note_attributes": note_attributes or [],
            "taxes_included": False,
            "line_items": lines,
            "shipping_lines": (
                [
                    {
                        "title": "Standard",
                        "code": "standard",
                        "price": money_str(shipping),
                        "price_set": self._set(shipping, currency),
                    }
                ]
                if shipping
                else []
            ),
            "customer": self._customer_stub(customer) if customer else None,
            "shipping_address": shipping_address,
            "billing_address": billing_address,
            "payment_gateway_names": [gateway] if financial_status == "paid" else [],
            "refunds": [],
            "_shipping": money_str(shipping),
            "_shipping_refunded": "0.00",
            "_total": money_str(total),
            "_refunded": "0.00",
            "_subtotal": money_str(subtotal),
            "_tax": money_str(tax_total),
            "_discount": money_str(discount),
        }
        self.orders[oid] = order
        self.transactions[oid] = []
        if financial_status in ("paid", "partially_refunded", "refunded"):
            self.transactions[oid].append(
                {
                    "id": self._ids.new("transaction"),
                    "order_id": oid,
                    "kind": "sale",
                    "status": "success",
                    "gateway": gateway,
                    "amount": money_str(total),
                    "currency": currency,
                    "created_at": created,
                    "processed_at": created,
                    "_refunded": "0.00",
                }
            )
        if customer is not None:
            customer["orders_count"] = int(customer.get("orders_count") or 0) + 1
            spent = Decimal(customer.get("total_spent") or "0") + total
            customer["total_spent"] = money_str(spent)
            customer["last_order_id"] = oid
            customer["last_order_name"] = name
        return order

    @staticmethod
    def _customer_stub(customer: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("id", "email", "first_name", "last_name", "phone", "created_at", "updated_at")
        return {k: customer.get(k) for k in keys}

    def _seed_order(self, rng: random.Random, number: int) -> None:
        customer = rng.choice(list(self.customers.values()))
        lines = []
        variants = [(p, v) for p in self.products.values() for v in p["variants"]]
        for product, variant in rng.sample(variants, k=min(len(variants), rng.randint(1, 3))):
            quantity = rng.randint(1, 3)
            lines.append(
                {
                    "product_id": product["id"],
                    "variant_id": variant["id"],
                    "sku": variant["sku"],
                    "title": product["title"],
                    "name": f"{product['title']} - {variant['title']}",
                    "variant_title": variant["title"],
                    "vendor": product["vendor"],
                    "quantity": quantity,
                    "price": variant["price"],
                    "grams": 200,
                    "requires_shipping": True,
                    "taxable": True,
                    "fulfillable_quantity": quantity,
                }
            )
        fulfillment = rng.choice((None, None, "fulfilled", "fulfilled", "partial"))
        for line in lines:
            line["fulfillment_status"] = "fulfilled" if fulfillment == "fulfilled" else None
        created = SEED_START + timedelta(hours=number * 7, minutes=rng.randint(0, 59))
        address = {
            k: v
            for k, v in customer["default_address"].items()
            if k not in ("id", "customer_id", "default")
        }
        self._build_order(
            lines=lines,
            customer=customer,
            email=customer["email"],
            created=iso(created),
            name=f"#{1000 + number}",
            currency=self.currency,
            shipping=Decimal(rng.choice(("0.00", "5.00", "9.90"))),
            tax_rate=Decimal(rng.choice(("0", "0.1"))),
            financial_status="paid" if rng.random() < 0.9 else "unpaid",
            fulfillment_status=fulfillment,
            shipping_address=address,
            billing_address=dict(address),
        )

    def render_order(self, order: dict[str, Any]) -> dict[str, Any]:
        cur = order["currency"]
        subtotal, tax = Decimal(order["_subtotal"]), Decimal(order["_tax"])
        discount, shipping = Decimal(order["_discount"]), Decimal(order["_shipping"])
        current = Decimal(order["_total"]) - Decimal(order["_refunded"])
        outstanding = (
            Decimal(order["_total"])
            if order["financial_status"] in ("unpaid", "pending")
            else Decimal(0)
        )
        out = {k: v for k, v in order.items() if not k.startswith("_")}
        out["line_items"] = [
            {k: v for k, v in li.items() if not k.startswith("_")} for li in order["line_items"]
        ]
        for li in out["line_items"]:
            li["price_set"] = self._set(Decimal(li["price"]), cur)
        amounts = {
            "current_total_price": current,
            "current_subtotal_price": subtotal,
            "current_total_tax": tax,
            "current_total_discounts": discount,
            "subtotal_price": subtotal,
            "total_line_items_price": subtotal,
            "total_tax": tax,
            "total_discounts": discount,
            "total_outstanding": outstanding,
        }
        for key, value in amounts.items():
            out[key] = money_str(value)
            out[f"{key}_set"] = self._set(value, cur)
        out["total_shipping_price_set"] = self._set(shipping, cur)
        return out

    def _order_rows(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        status = filters.get("status") or self.default_order_status
        if status not in ("open", "cancelled", "any"):
            raise HTTPProblem(400, {"errors": "status value is illegal"})
        fulfillment = filters.get("fulfillment_status")
        if fulfillment and fulfillment not in FULFILLMENT_FILTERS:
            raise HTTPProblem(400, {"errors": "fulfillment status value is illegal"})
        wanted_fulfillment = {"unshipped": None, "partial": "partial", "shipped": "fulfilled"}
        rows = []
        for order in self.orders.values():
            if status != "any" and order["status"] != status:
                continue
            if (
                filters.get("financial_status")
                and filters["financial_status"] != "any"
                and (order["financial_status"] != filters["financial_status"])
            ):
                continue
            if (
                fulfillment
                and fulfillment != "any"
                and (order["fulfillment_status"] != wanted_fulfillment[fulfillment])
            ):
                continue
            if filters.get("name") and order["name"] != filters["name"]:
                continue
            if filters.get("email") and (order["email"] or "").lower() != filters["email"].lower():
                continue
            if _in_range(order, filters):
                rows.append(order)
        return rows

    def list_orders(self, req: EmulatorRequest) -> _http.Response:
        return self._paged(req, "orders", "orders", self._order_rows, self.render_order)

    def count_orders(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"count": len(self._order_rows(req.query))})

    def create_order(self, req: EmulatorRequest) -> _http.Response:
        body = req.json().get("order")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "order is required"})
        items = body.get("line_items")
        if not isinstance(items, list) or not items:
            raise HTTPProblem(422, {"errors": {"line_items": ["can't be blank"]}})
        variants = {v["id"]: (p, v) for p in self.products.values() for v in p["variants"]}
        lines = []
        for index, item in enumerate(items):
            found = variants.get(str(item.get("variant_id"))) if item.get("variant_id") else None
            if item.get("variant_id") and found is None:
                raise HTTPProblem(
                    422, {"errors": {f"line_items[{index}].variant_id": ["does not exist"]}}
                )
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or quantity < 1:
                raise HTTPProblem(
                    422, {"errors": {f"line_items[{index}].quantity": ["must be at least 1"]}}
                )
            price = item.get("price", found[1]["price"] if found else None)
            if price is None:
                raise HTTPProblem(
                    422, {"errors": {f"line_items[{index}].price": ["can't be blank"]}}
                )
            lines.append(
                {
                    "product_id": found[0]["id"] if found else item.get("product_id"),
                    "variant_id": found[1]["id"] if found else None,
                    "sku": item.get("sku") or (found[1]["sku"] if found else None),
                    "title": item.get("title") or (found[0]["title"] if found else "Item"),
                    "name": item.get("title"),
                    "quantity": quantity,
                    "price": money_str(_dec(price, f"line_items[{index}].price")),
                    "requires_shipping": True,
                    "taxable": True,
                    "fulfillable_quantity": quantity,
                    "fulfillment_status": None,
                }
            )
        customer = None
        if isinstance(body.get("customer"), dict) and body["customer"].get("id"):
            customer = self.customers.get(str(body["customer"]["id"]))
            if customer is None:
                raise HTTPProblem(422, {"errors": {"customer.id": ["does not exist"]}})
        currency = str(body.get("currency") or self.currency)
        if currency != self.currency:
            raise HTTPProblem(422, {"errors": {"currency": [f"currency must be {self.currency}"]}})
        shipping = sum(
            (
                _dec(s.get("price", 0), "shipping_lines.price")
                for s in body.get("shipping_lines") or []
            ),
            Decimal(0),
        )
        created = body.get("processed_at") or self._stamp()
        _when(created, "processed_at")
        financial = body.get("financial_status") or "paid"
        order = self._build_order(
            lines=lines,
            customer=customer,
            email=body.get("email") or (customer or {}).get("email"),
            created=created,
            name=str(body.get("name") or f"#{1000 + len(self.orders) + 1}"),
            currency=currency,
            shipping=shipping,
            tax_rate=Decimal(0),
            tax_override=_dec(body.get("total_tax", 0), "total_tax"),
            discount=_dec(body.get("total_discounts", 0), "total_discounts"),
            financial_status=financial,
            tags=str(body.get("tags") or ""),
            note=body.get("note"),
            shipping_address=body.get("shipping_address"),
            billing_address=body.get("billing_address"),
            note_attributes=body.get("note_attributes"),
            gateway="manual",
        )
        order["updated_at"] = self._stamp()
        return json_response(200, {"order": self.render_order(order)})

    def update_order(self, req: EmulatorRequest) -> _http.Response:
        order = self._order(req)
        body = req.json().get("order")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "order is required"})
        for key in ("email", "phone", "tags", "note", "note_attributes"):
            if key in body:
                order[key] = body[key]
        if isinstance(body.get("shipping_address"), dict):
            order["shipping_address"] = {
                **(order.get("shipping_address") or {}),
                **body["shipping_address"],
            }
        order["updated_at"] = self._stamp()
        return json_response(200, {"order": self.render_order(order)})

    def cancel_order(self, req: EmulatorRequest) -> _http.Response:
        order = self._order(req)
        if order["status"] == "cancelled":
            raise HTTPProblem(422, {"errors": "The order has been cancelled."})
        body = req.json() if req.body else {}
        amount = _dec(body.get("amount") or 0, "amount")
        if amount > 0:
            self._refund_money(order, amount)
        if body.get("restock"):
            for line in order["line_items"]:
                self._restock(line, line["quantity"])
        order["status"] = "cancelled"
        order["cancelled_at"] = self._stamp()
        order["cancel_reason"] = body.get("cancel_reason") or "other"
        order["updated_at"] = order["cancelled_at"]
        return json_response(200, {"order": self.render_order(order)})

    def order_transactions(self, req: EmulatorRequest) -> _http.Response:
        order = self._order(req)
        rows = [
            {k: v for k, v in t.items() if not k.startswith("_")}
            for t in self.transactions[order["id"]]
        ]
        return json_response(200, {"transactions": rows})

    # Refunds ---------------------------------------------------------------------------
    def _restock(self, line: Mapping[str, Any], quantity: int) -> None:
        for product in self.products.values():
            for variant in product["variants"]:
                if variant["id"] == line.get("variant_id"):
                    variant["inventory_quantity"] = int(variant["inventory_quantity"]) + quantity

    def _refundable_quantity(self, line: Mapping[str, Any]) -> int:
        return int(line["quantity"]) - int(line.get("_refunded_qty", 0))

    def _sales(self, order: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            t
            for t in self.transactions[order["id"]]
            if t["kind"] == "sale" and t["status"] == "success"
        ]

    def _remaining(self, sale: Mapping[str, Any]) -> Decimal:
        return Decimal(sale["amount"]) - Decimal(sale["_refunded"])

    def _refund_plan(self, order: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
        """Lines, shipping and amounts a refund request asks for; 422 beyond what is left."""
        currency = body.get("currency")
        if currency and currency != order["currency"]:
            raise HTTPProblem(422, {"errors": f"currency must be {order['currency']}"})
        by_id = {li["id"]: li for li in order["line_items"]}
        lines = []
        subtotal = tax = Decimal(0)
        for index, item in enumerate(body.get("refund_line_items") or []):
            line = by_id.get(str(item.get("line_item_id")))
            if line is None:
                raise HTTPProblem(
                    422,
                    {"errors": {f"refund_line_items[{index}].line_item_id": ["does not exist"]}},
                )
            kind = item.get("type")
            if kind not in ("Unshipped", "Returned"):
                raise HTTPProblem(
                    422,
                    {
                        "errors": {
                            f"refund_line_items[{index}].type": ["must be Unshipped or Returned"]
                        }
                    },
                )
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or quantity < 1:
                raise HTTPProblem(
                    422,
                    {"errors": {f"refund_line_items[{index}].quantity": ["must be at least 1"]}},
                )
            if quantity > self._refundable_quantity(line):
                raise HTTPProblem(
                    422,
                    {"errors": f"refund quantity {quantity} exceeds the refundable quantity "
                     f"{self._refundable_quantity(line)} of line item {line['id']}"},
                )  # fmt: skip
            line_sub = Decimal(line["price"]) * quantity
            line_tax = (Decimal(line.get("_tax", "0")) * quantity / int(line["quantity"])).quantize(
                CENT
            )
            subtotal += line_sub
            tax += line_tax
            lines.append({"line": line, "quantity": quantity, "type": kind, "subtotal": line_sub,
                          "tax": line_tax, "restock_type": item.get("restock_type")})  # fmt: skip
        shipping_left = Decimal(order["_shipping"]) - Decimal(order["_shipping_refunded"])
        shipping = Decimal(0)
        ship = body.get("shipping") or {}
        if ship.get("full_refund"):
            shipping = shipping_left
        elif ship.get("amount") not in (None, ""):
            shipping = _dec(ship["amount"], "shipping.amount")
        if shipping < 0 or shipping > shipping_left:
            raise HTTPProblem(
                422,
                {
                    "errors": f"shipping refund exceeds the refundable shipping {money_str(shipping_left)}"
                },
            )
        return {"lines": lines, "subtotal": subtotal, "tax": tax, "shipping": shipping,
                "shipping_left": shipping_left, "total": subtotal + tax + shipping}  # fmt: skip

    def calculate_refund(self, req: EmulatorRequest) -> _http.Response:
        order = self._order(req)
        plan = self._refund_plan(order, req.json())
        cur = order["currency"]
        left = plan["total"]
        suggestions = []
        for sale in self._sales(order):
            remaining = self._remaining(sale)
            share = min(left, remaining)
            left -= share
            suggestions.append(
                {"order_id": order["id"], "parent_id": sale["id"], "gateway": sale["gateway"],
                 "kind": "suggested_refund", "amount": money_str(share),
                 "maximum_refundable": money_str(remaining), "currency": cur}
            )  # fmt: skip
        if left > 0:
            raise HTTPProblem(422, {"errors": "refund amount exceeds the refundable amount"})
        refund = {
            "currency": cur,
            "refund_line_items": [
                {"line_item_id": p["line"]["id"], "price": p["line"]["price"], "quantity": p["quantity"],
                 "subtotal": money_str(p["subtotal"]), "total_tax": money_str(p["tax"]),
                 "discount_total_amount": "0.00", "type": p["type"]}
                for p in plan["lines"]
            ],
            "shipping": {"amount": money_str(plan["shipping"]), "tax": "0.00",
                         "maximum_refundable": money_str(plan["shipping_left"])},
            "total_duties_set": self._set(Decimal(0), cur),
            "transactons": suggestions,
        }  # fmt: skip
        return json_response(200, {"refund": refund})

    def _refund_money(self, order: dict[str, Any], amount: Decimal) -> list[dict[str, Any]]:
        """Refund ``amount`` across the order's sales (cancel with a refund)."""
        made = []
        left = amount
        for sale in self._sales(order):
            share = min(left, self._remaining(sale))
            if share <= 0:
                continue
            left -= share
            made.append(self._refund_transaction(order, sale, share))
        if left > 0:
            raise HTTPProblem(422, {"errors": "refund amount exceeds the refundable amount"})
        return made

    def _refund_transaction(
        self, order: dict[str, Any], sale: dict[str, Any], amount: Decimal
    ) -> dict[str, Any]:
        sale["_refunded"] = money_str(Decimal(sale["_refunded"]) + amount)
        order["_refunded"] = money_str(Decimal(order["_refunded"]) + amount)
        refunded_all = Decimal(order["_refunded"]) >= Decimal(order["_total"])
        order["financial_status"] = "refunded" if refunded_all else "partially_refunded"
        now = self._stamp()
        tx = {
            "id": self._ids.new("transaction"), "order_id": order["id"], "kind": "refund",
            "status": "success", "gateway": sale["gateway"], "amount": money_str(amount),
            "currency": order["currency"], "created_at": now, "processed_at": now,
            "parent_id": sale["id"], "_refunded": "0.00",
        }  # fmt: skip
        self.transactions[order["id"]].append(tx)
        return tx

    def create_refund(self, req: EmulatorRequest) -> _http.Response:
        body = req.json()
        order = self.orders.get(str(body.get("order_id")))
        if order is None:
            raise HTTPProblem(404, {"errors": "The order does not exist."})
        requested = body.get("transactions")
        if not isinstance(requested, list) or not requested:
            raise HTTPProblem(422, {"errors": {"transactions": ["is required"]}})
        plan = self._refund_plan(order, body)
        sales = {s["id"]: s for s in self._sales(order)}
        amounts: list[tuple[dict[str, Any], Decimal]] = []
        for index, item in enumerate(requested):
            sale = sales.get(str(item.get("id")))
            if sale is None:
                raise HTTPProblem(
                    422,
                    {"errors": {f"transactions[{index}].id": ["is not a payment of this order"]}},
                )
            amount = _dec(item.get("amount"), f"transactions[{index}].amount")
            if amount <= 0 or amount > self._remaining(sale):
                raise HTTPProblem(
                    422, {"errors": f"refund amount {money_str(amount)} exceeds the refundable "
                          f"{money_str(self._remaining(sale))} of transaction {sale['id']}"},
                )  # fmt: skip
            amounts.append((sale, amount))
        now_ms = str(int(self.now() * 1000))
        made = [self._refund_transaction(order, sale, amount) for sale, amount in amounts]
        refund_lines = []
        for p in plan["lines"]:
            line = p["line"]
            line["_refunded_qty"] = int(line.get("_refunded_qty", 0)) + p["quantity"]
            if p.get("restock_type") == "return":
                self._restock(line, p["quantity"])
            refund_lines.append(
                {"id": self._ids.new("refund_line"), "line_item_id": line["id"], "quantity": p["quantity"],
                 "restock_type": p.get("restock_type") or "no_restock",
                 "subtotal": money_str(p["subtotal"]), "total_tax": money_str(p["tax"])}
            )  # fmt: skip
        order["_shipping_refunded"] = money_str(
            Decimal(order["_shipping_refunded"]) + plan["shipping"]
        )
        rid = self._ids.new("refund")
        clean = [{k: v for k, v in t.items() if not k.startswith("_")} for t in made]
        stored = {
            "id": rid, "order_id": order["id"], "note": body.get("note"), "user_id": None,
            "created_at": self._stamp(), "processed_at": self._stamp(),
            "refund_line_items": refund_lines, "transactions": clean, "order_adjustments": [],
        }  # fmt: skip
        order["refunds"].append(stored)
        order["updated_at"] = self._stamp()
        data = {
            "id": rid, "order_id": order["id"], "note": body.get("note"), "create_at": now_ms,
            "status": "success", "refund_line_items": refund_lines,
            "transactions": [{**t, "create_at": now_ms} for t in clean],
            "order_adjustments": [], "total_duties_set": self._set(Decimal(0), order["currency"]),
        }  # fmt: skip
        return json_response(200, {"data": data})

    def list_refunds(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"refunds": self._order(req)["refunds"]})

    # Customers -------------------------------------------------------------------------
    def _customer_rows(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        return [c for c in self.customers.values() if _in_range(c, filters)]

    def list_customers(self, req: EmulatorRequest) -> _http.Response:
        return self._paged(req, "customers", "customers", self._customer_rows, dict)

    def count_customers(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"count": len(self._customer_rows(req.query))})

    def search_customers(self, req: EmulatorRequest) -> _http.Response:
        terms = {}
        for part in (req.query.get("query") or "").split(";"):
            key, _, value = part.partition(":")
            if key.strip():
                terms[key.strip()] = value.strip().lower()

        def select(filters: Mapping[str, str]) -> list[dict[str, Any]]:
            return [
                c for c in self.customers.values()
                if all(str(c.get(k) or "").lower() == v for k, v in terms.items())
            ]  # fmt: skip

        return self._paged(req, "customers", "customers", select, dict)

    def get_customer(self, req: EmulatorRequest) -> _http.Response:
        found = self.customers.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        return json_response(200, {"customer": found})

    def _customer_fields(self, body: Mapping[str, Any], target: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        email = body.get("email")
        if email is not None and (
            not isinstance(email, str) or "@" not in email or len(email) > 50
        ):
            errors["email"] = ["is invalid"]
        elif email is not None and any(
            (c.get("email") or "").lower() == email.lower() and c["id"] != target.get("id")
            for c in self.customers.values()
        ):
            errors["email"] = ["has already been taken"]
        tags = body.get("tags")
        if tags is not None and (len(str(tags)) > 1000 or len(str(tags).split(",")) > 100):
            errors["tags"] = ["too many tags (at most 100, 1000 characters)"]
        if errors:
            raise HTTPProblem(422, {"errors": errors})
        for key in (
            "email",
            "phone",
            "first_name",
            "last_name",
            "tags",
            "note",
            "email_marketing_consent",
        ):
            if key in body:
                target[key] = body[key]

    def create_customer(self, req: EmulatorRequest) -> _http.Response:
        body = req.json().get("customer")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "customer is required"})
        if not body.get("email") and not body.get("phone"):
            raise HTTPProblem(422, {"errors": {"email": ["email or phone is required"]}})
        cid = self._ids.new("customer")
        customer: dict[str, Any] = {"id": cid, "state": 1, "orders_count": 0, "total_spent": "0.00",
                                    "tags": "", "created_at": self._stamp(), "updated_at": self._stamp()}  # fmt: skip
        self._customer_fields(body, customer)
        addresses = []
        for index, addr in enumerate(body.get("addresses") or []):
            addresses.append(
                {**addr, "id": f"{cid}{index + 1:02d}", "customer_id": cid, "default": index == 0}
            )
        customer["addresses"] = addresses
        customer["default_address"] = addresses[0] if addresses else None
        self.customers[cid] = customer
        return json_response(200, {"customer": customer})

    def update_customer(self, req: EmulatorRequest) -> _http.Response:
        customer = self.customers.get(req.params["id"])
        if customer is None:
            raise HTTPProblem(404, {"errors": "The customer does not exist."})
        body = req.json().get("customer")
        if not isinstance(body, dict):
            raise HTTPProblem(400, {"errors": "customer is required"})
        self._customer_fields(body, customer)
        customer["updated_at"] = self._stamp()
        return json_response(200, {"customer": customer})

    # Products --------------------------------------------------------------------------
    def _product_rows(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        rows = []
        for product in self.products.values():
            if any(
                filters.get(k) and product.get(k) != filters[k]
                for k in ("title", "handle", "vendor", "status")
            ):
                continue
            if _in_range(product, filters):
                rows.append(product)
        return rows

    def list_products(self, req: EmulatorRequest) -> _http.Response:
        return self._paged(req, "products", "products", self._product_rows, dict)

    def count_products(self, req: EmulatorRequest) -> _http.Response:
        return json_response(200, {"count": len(self._product_rows(req.query))})

    def get_product(self, req: EmulatorRequest) -> _http.Response:
        found = self.products.get(req.params["id"])
        if found is None:
            raise HTTPProblem(404, {"errors": "The product does not exist."})
        return json_response(200, {"product": found})

    def create_product(self, req: EmulatorRequest) -> _http.Response:
        body = req.json().get("product")
        if not isinstance(body, dict) or not body.get("title"):
            raise HTTPProblem(422, {"errors": {"title": ["can't be blank"]}})
        pid = self._ids.new("product")
        now = self._stamp()
        known = {v["sku"] for p in self.products.values() for v in p["variants"] if v.get("sku")}
        variants = []
        for index, item in enumerate(body.get("variants") or [{}]):
            sku = item.get("sku")
            if sku and sku in known:
                raise HTTPProblem(
                    422, {"errors": {f"variants[{index}].sku": ["has already been taken"]}}
                )
            variants.append(
                {
                    "id": self._ids.new("variant"), "product_id": pid, "title": item.get("title") or "Default",
                    "sku": sku, "barcode": item.get("barcode"), "position": index + 1,
                    "price": money_str(_dec(item.get("price", 0), f"variants[{index}].price")),
                    "compare_at_price": item.get("compare_at_price"), "weight": item.get("weight", "0"),
                    "weight_unit": item.get("weight_unit", "kg"), "inventory_item_id": self._ids.new("inventory"),
                    "inventory_quantity": int(item.get("inventory_quantity") or 0),
                    "inventory_policy": item.get("inventory_policy", "deny"),
                    "inventory_tracker": bool(item.get("inventory_tracker", True)),
                    "taxable": True, "required_shipping": True,
                    "option1": item.get("option1"), "option2": item.get("option2"), "option3": item.get("option3"),
                }
            )  # fmt: skip
        title = str(body["title"])
        product = {
            "id": pid, "title": title, "subtitle": body.get("subtitle", ""),
            "handle": body.get("handle") or title.lower().replace(" ", "-"),
            "body_html": body.get("body_html"), "vendor": body.get("vendor"), "tags": body.get("tags") or "",
            "status": body.get("status", "active"), "published_scope": "web", "product_type": "NORMAL",
            "created_at": now, "updated_at": now, "published_at": now,
            "options": [{"id": self._ids.new("option"), "product_id": pid, **o} for o in body.get("options") or []],
            "variants": variants,
        }  # fmt: skip
        self.products[pid] = product
        return json_response(200, {"product": product})

    # Webhooks --------------------------------------------------------------------------
    def webhook_delivery(
        self, topic: str, payload: Any, *, webhook_id: str = "1"
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook as SHOPLINE would POST it: raw body and headers (hex HMAC)."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return body, {
            "X-Shopline-Topic": topic,
            "X-Shopline-Hmac-Sha256": sign_webhook(self.app_secret, body),
            "X-Shopline-Shop-Domain": f"{self.store_handle}.myshopline.com",
            "X-Shopline-Shop-Id": "1631700219512",
            "X-Shopline-Merchant-Id": "4216472541",
            "X-Shopline-API-Version": "v20250601",
            "X-Shopline-Webhook-Id": webhook_id,
        }


__all__ = ["ALL_SCOPES", "ShoplineEmulator"]
