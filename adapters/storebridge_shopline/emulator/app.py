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

import json
import random
from datetime import timedelta
from typing import Any

from storebridge import _http
from storebridge.sandbox import (
    Clock,
    EmulatorRequest,
    LeakyBucket,
    json_response,
)
from storebridge_shopline.emulator.catalog import CatalogEndpoints
from storebridge_shopline.emulator.oauth import TokenEndpoints
from storebridge_shopline.emulator.orders import OrderEndpoints
from storebridge_shopline.emulator.querying import (
    ALL_SCOPES,
    API,
    Handler,
)
from storebridge_shopline.emulator.seed import (
    SEED_START,
    Ids,
    iso,
    seed_customers,
    seed_products,
)
from storebridge_shopline.emulator.tokens import TEN_HOURS, THREE_YEARS, TokenRegistry
from storebridge_shopline.webhooks import sign_webhook


class ShoplineEmulator(OrderEndpoints, CatalogEndpoints, TokenEndpoints):
    """SHOPLINE for one store (``handle``) and one app (``app_key``/``app_secret``).

    Options (defaults follow the notes; inferred behaviour is marked):

    * ``token_lifetime`` (10 h), ``refresh_grace`` (5 min), ``private_refresh_grace`` (30
      min), ``private_token_lifetime`` (3 years); ``clock`` decides when tokens expire.
    * ``rate_limit``: True (4/s), False (off) or requests per second; ``bucket_size`` 40;
      ``retry_after_header`` (inferred; SHOPLINE documents no rate-limit headers) adds
      ``Retry-After`` to 429s.
    * ``default_order_status`` for lists that send no ``status`` (inferred: ``open``).
    * ``currency`` is the settlement currency (products are priced in it);
      ``enabled_currencies`` are the others orders may be placed in.
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
        enabled_currencies: tuple[str, ...] = ("EUR", "GBP", "NOK", "SGD"),
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
        self.enabled_currencies = tuple(dict.fromkeys((currency, *enabled_currencies)))
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
            (
                "GET",
                r"orders/(?P<id>\d+)/transactions\.json",
                self.order_transactions,
                "read_orders",
            ),
            ("GET", r"orders/(?P<id>\d+)/refunds\.json", self.list_refunds, "read_orders"),
            (
                "POST",
                r"orders/(?P<id>\d+)/refunds/calculate\.json",
                self.calculate_refund,
                "write_orders",
            ),
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
        ]
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
            {
                "currencies": [
                    {"currency": code, "enabled": True, "rate_update_at": ""}
                    for code in self.enabled_currencies
                ]
            },
        )

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
