"""An emulator of SHOPLINE's Admin REST API and OAuth token endpoints.

Faithful to the research notes: ``/admin/openapi/{version}/...`` routing (unknown versions
404), Bearer auth on every REST call, ``traceId`` on every response, the per-(app, store)
leaky bucket (4/s, 40 deep) answering 429 ``{"errors":"Too many request"}``, ``link``
header pagination with opaque ``page_info`` cursors that ignore every filter but ``limit``
and ``fields``, ``{"errors": ...}`` bodies, the signed token create/refresh calls with 10-hour
tokens whose predecessors live 5 more minutes (30 for private apps), and the refund rules
(never more than is refundable). Behaviour the notes mark as inferred is switchable through
:class:`~storebridge_shopline.emulator.options.ShoplineOptions`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storebridge.http import Response
from storebridge.kit import RateLimit
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    Guard,
    HTTPProblem,
    SandboxSize,
    Throttle,
    json_response,
)
from storebridge.sandbox.kit import build_options, seeding
from storebridge.sandbox.webhooks import WebhookHub
from storebridge_shopline._versions import KNOWN_VERSIONS
from storebridge_shopline.emulator.customers import Customers
from storebridge_shopline.emulator.oauth import TokenEndpoints
from storebridge_shopline.emulator.options import ShoplineOptions
from storebridge_shopline.emulator.orders import Orders
from storebridge_shopline.emulator.products import Products
from storebridge_shopline.emulator.refunds import Refunds
from storebridge_shopline.emulator.seed import seed_store
from storebridge_shopline.emulator.shop import Shop
from storebridge_shopline.emulator.state import StoreState
from storebridge_shopline.emulator.tokens import TokenRegistry
from storebridge_shopline.emulator.webhooks import EVENT_RULES, Webhooks, webhook_headers
from storebridge_shopline.emulator.wire import ALL_SCOPES, API, Handler, Record

__all__ = ["ALL_SCOPES", "ShoplineEmulator"]


def _too_many(retry_after: bool) -> Any:
    def refuse(seconds: int) -> HTTPProblem:
        headers = {"Retry-After": str(seconds)} if retry_after else {}
        return HTTPProblem(429, {"errors": "Too many request"}, headers)

    return refuse


class ShoplineEmulator(Emulator):
    """SHOPLINE for one store (``handle``) and one app (``app_key``/``app_secret``).

    ``ShoplineEmulator(size, **options)``: ``size`` is a
    :class:`~storebridge.sandbox.SandboxSize`, ``options`` the
    :class:`~storebridge_shopline.emulator.options.ShoplineOptions` fields.
    """

    platform = "shopline"

    def __init__(self, size: SandboxSize | None = None, **options: Any) -> None:
        size = size or SandboxSize()
        super().__init__(clock=size.clock, latency=size.latency)
        self.options = build_options(ShoplineOptions, options, self.platform)
        self.state = StoreState(self.options, self.clock)
        self.state.revision = lambda: self.revision
        with seeding(size.orders):
            seed_store(self.state, size)
            customers, products = Customers(self.state), Products(self.state)
        per_second = self.options.per_second
        throttle = None
        if per_second:
            throttle = Throttle(
                limit=RateLimit(per_second, self.options.bucket_size),
                refuse=_too_many(self.options.retry_after_header),
                clock=self.clock,
            )
        self.guard = Guard(self._authenticate, throttle)
        self.oauth = TokenEndpoints(self.state, self.lock)
        refunds = Refunds(self.state)
        self.shop = Shop(self.state)
        self.order_endpoints = Orders(self.state, refunds)
        self._trace = 0
        for endpoint in self.oauth.endpoints():
            self.route(endpoint.method, endpoint.path, endpoint.handler)
        self.subscriptions = Webhooks(
            self.state,
            self.order_endpoints.render_order,
            lambda: self.webhooks.options if self.webhooks else self.options.webhooks,
        )
        for resource in (
            self.shop,
            self.order_endpoints,
            refunds,
            customers,
            products,
            self.subscriptions,
        ):
            for endpoint in resource.endpoints():
                self.route(endpoint.method, API + endpoint.path, self._rest(endpoint))
        self.webhooks = WebhookHub(
            EVENT_RULES,
            self.subscriptions.deliveries,
            self.options.webhooks,
            subscribed=lambda: bool(self.subscriptions.subscriptions),
        )

    # Guard -----------------------------------------------------------------------------
    def _rest(self, endpoint: Any) -> Handler:
        handler: Handler = endpoint.handler
        need: str = endpoint.need

        def guarded(req: EmulatorRequest) -> Response:
            if req.params.get("version") not in KNOWN_VERSIONS:
                raise HTTPProblem(404, {"errors": "Not Found"})
            self.guard.check(req, need)
            if req.method in ("POST", "PUT") and "application/json" not in req.headers.get(
                "content-type", ""
            ):
                raise HTTPProblem(400, {"errors": "Content-Type must be application/json"})
            return handler(req)

        return guarded

    def _authenticate(self, req: EmulatorRequest, scope: str) -> str:
        header = req.headers.get("authorization", "")
        value = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = self.tokens.get(value) if value else None
        if token is None:
            raise HTTPProblem(401, {"errors": "[API] Invalid API key or access token"})
        if not token.valid(self.now()):
            raise HTTPProblem(401, {"errors": "ACCESS_TOKEN is expired!"})
        if scope and scope not in token.scope.split(","):
            raise HTTPProblem(403, {"errors": f"the access token lacks the {scope} scope"})
        return f"{token.app_key}:{self.store_handle}"

    def not_found(self, request: EmulatorRequest) -> Response:
        return json_response(404, {"errors": "Not Found"})

    def decorate(self, request: EmulatorRequest, response: Response) -> Response:
        with self.lock:
            self._trace += 1
            trace = f"{self._trace:08x}-{self.store_handle}-emu"
        response.headers["traceId"] = trace
        return response

    # What tests and the sandbox kit read -----------------------------------------------
    @property
    def store_handle(self) -> str:
        return self.options.handle

    @property
    def app_key(self) -> str:
        return self.options.app_key

    @property
    def app_secret(self) -> str:
        return self.options.app_secret

    @property
    def currency(self) -> str:
        return self.options.currency

    @property
    def enabled_currencies(self) -> tuple[str, ...]:
        return self.shop.enabled_currencies

    @property
    def tokens(self) -> TokenRegistry:
        return self.state.tokens

    @property
    def orders(self) -> dict[str, Record]:
        return self.state.orders.rows

    @property
    def customers(self) -> dict[str, Record]:
        return self.state.customers.rows

    @property
    def products(self) -> dict[str, Record]:
        return self.state.products.rows

    @property
    def transactions(self) -> dict[str, list[Record]]:
        return self.state.transactions

    @property
    def refreshes(self) -> int:
        return self.oauth.refreshes

    @property
    def throttled(self) -> int:
        return self.guard.throttled

    @property
    def codes(self) -> dict[str, float]:
        return self.oauth.codes

    def now(self) -> float:
        return self.clock.now()

    def render_order(self, order: Record) -> Record:
        return self.order_endpoints.render_order(order)

    def issue_token(
        self, *, private: bool = False, scope: str = ALL_SCOPES
    ) -> tuple[str, datetime]:
        """A token as the admin (private app) or an OAuth grant would hand out; for tests."""
        return self.oauth.issue_token(private=private, scope=scope)

    def rotate_private_token(self) -> str:
        """What "refresh" in the store admin does: a new token, the old one lives 30 min."""
        return self.oauth.rotate_private_token()

    def issue_code(self) -> str:
        """An authorization code, as SHOPLINE puts on the OAuth callback (valid 10 min)."""
        return self.oauth.issue_code()

    # Webhooks --------------------------------------------------------------------------
    def webhook_delivery(
        self, topic: str, payload: Any, *, webhook_id: str = "1"
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook as SHOPLINE would POST it: raw body and headers (hex HMAC)."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return body, webhook_headers(
            self.app_secret, self.store_handle, topic, body,
            version="v20250601", webhook_id=webhook_id,
        )  # fmt: skip
