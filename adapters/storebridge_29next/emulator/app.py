"""The 29 Next Admin API emulator: routes, the guard (version, token, scope, throttle).

Resources live in their own modules (orders, refunds, fulfillment, users, products,
transactions, locations); options are
:class:`~storebridge_29next.emulator.options.TwentyNineNextOptions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storebridge.kit import RateLimit
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    Endpoint,
    Guard,
    HTTPProblem,
    SandboxSize,
    Throttle,
)
from storebridge.sandbox.kit import build_options, seeding
from storebridge.sandbox.webhooks import WebhookHub
from storebridge_29next.emulator.fulfillment import Fulfillment
from storebridge_29next.emulator.locations import Locations
from storebridge_29next.emulator.options import ALL_SCOPES, TwentyNineNextOptions
from storebridge_29next.emulator.orders import Orders
from storebridge_29next.emulator.products import Products
from storebridge_29next.emulator.refunds import Refunds
from storebridge_29next.emulator.seed import seed_store
from storebridge_29next.emulator.transactions import Transactions
from storebridge_29next.emulator.users import Users
from storebridge_29next.emulator.webhooks import EVENT_RULES, Webhooks
from storebridge_29next.emulator.wire import (
    DEFAULT_TOKEN,
    ROOT,
    VERSION_HEADER,
    VERSIONS,
    Handler,
    Response,
)

__all__ = ["ALL_SCOPES", "DEFAULT_TOKEN", "VERSIONS", "TwentyNineNextEmulator"]

_NOT_FOUND_HTML = (
    b"<!DOCTYPE html><html><head><title>Page not found</title></head>"
    b"<body><h1>404</h1><p>The page you are looking for does not exist.</p></body></html>"
)
_BEARER = {"WWW-Authenticate": 'Bearer realm="api"'}


def _throttled(seconds: int) -> HTTPProblem:
    return HTTPProblem(
        429,
        {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
        {"Retry-After": str(seconds)},
    )


class TwentyNineNextEmulator(Emulator):
    """A seeded 29 Next store behind the Admin API paths (``/api/admin/...``).

    ``TwentyNineNextEmulator(size, **options)``: ``size`` is a
    :class:`~storebridge.sandbox.SandboxSize`, ``options`` the
    :class:`~storebridge_29next.emulator.options.TwentyNineNextOptions` fields.
    """

    platform = "29next"

    def __init__(self, size: SandboxSize | None = None, **options: Any) -> None:
        size = size or SandboxSize()
        super().__init__(clock=size.clock, latency=size.latency)
        self.options = build_options(TwentyNineNextOptions, options, self.platform)
        self.token = self.options.token
        self.tokens: dict[str, frozenset[str]] = {
            self.token: ALL_SCOPES if self.options.scopes is None else self.options.scopes
        }
        self.page_size = self.options.page_size
        self.default_version = self.options.default_version
        throttle = None
        if self.options.rate_limit is not None:
            throttle = Throttle(
                limit=RateLimit(self.options.rate_limit, self.options.burst),
                refuse=_throttled,
                clock=self.clock,
            )
        self.guard = Guard(self._authenticate, throttle)
        with seeding(size.orders):
            self.state = seed_store(size)
        self.state.revision = lambda: self.revision
        state, page_size, now = self.state, self.page_size, self._now
        users = Users(state, page_size, now)
        refunds = Refunds(state, now)
        resources = (
            Orders(state, users, refunds, page_size, now),
            refunds,
            Fulfillment(state, now, self.options.auto_accept_cancellation),
            users,
            Products(state, page_size, now),
            Transactions(state, page_size),
            Locations(state, page_size),
        )
        for resource in resources:
            for endpoint in resource.endpoints():
                self.api(endpoint)
        self.subscriptions = Webhooks(
            state, now, lambda: self.webhooks.options if self.webhooks else self.options.webhooks,
            self.default_version, self.lock,
        )  # fmt: skip
        for endpoint in self.subscriptions.endpoints():
            self.api(endpoint)
        self.webhooks = WebhookHub(
            EVENT_RULES,
            self.subscriptions.deliveries,
            self.options.webhooks,
            subscribed=lambda: bool(self.subscriptions.subscriptions),
        )

    # Guard -----------------------------------------------------------------------------
    def api(self, endpoint: Endpoint[Handler]) -> None:
        """Route ``endpoint`` under ``/api/admin`` behind the guard."""
        handler, scope = endpoint.handler, endpoint.need

        def guarded(req: EmulatorRequest) -> Response:
            # Same order as Django REST Framework: version, authentication, permission,
            # throttle.
            version = req.headers.get(VERSION_HEADER) or self.default_version
            if version not in VERSIONS:
                raise HTTPProblem(
                    406, {"detail": 'Invalid version in "X-29next-API-Version" header.'}
                )
            self.guard.check(req, scope)
            return handler(req, version)

        self.route(endpoint.method, ROOT + endpoint.path, guarded)

    def _authenticate(self, req: EmulatorRequest, scope: str) -> str:
        header = req.headers.get("authorization")
        if not header:
            raise HTTPProblem(
                401, {"detail": "Authentication credentials were not provided."}, _BEARER
            )
        kind, _, token = header.partition(" ")
        token = token.strip()
        if kind.lower() != "bearer" or token not in self.tokens:
            raise HTTPProblem(401, {"detail": "Invalid token."}, _BEARER)
        if scope not in self.tokens[token]:
            raise HTTPProblem(403, {"detail": "You do not have permission to perform this action."})
        return token

    def not_found(self, request: EmulatorRequest) -> Response:
        # Wrong paths fall through to the storefront, which answers an HTML page.
        return Response(404, content=_NOT_FOUND_HTML, headers={"Content-Type": "text/html"})

    def _now(self) -> datetime:
        return self.clock.utcnow()
