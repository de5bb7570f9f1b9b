"""An emulated 24Nettbutikk shop: ``/api/v1`` routes, auth, path paging, HEAD, PATCH."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol

from storebridge.http import URL
from storebridge.kit import RateLimit
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    Guard,
    HTTPProblem,
    Listings,
    SandboxSize,
    Span,
    Throttle,
    offset_page,
)
from storebridge.sandbox.kit import build_options, seeding
from storebridge_24nettbutikk.emulator.customers import Customers
from storebridge_24nettbutikk.emulator.options import EmulatorOptions
from storebridge_24nettbutikk.emulator.orders import Orders
from storebridge_24nettbutikk.emulator.products import Products, is_flat
from storebridge_24nettbutikk.emulator.state import RESOURCES, Record, ShopState
from storebridge_24nettbutikk.emulator.wire import Response, Wire, bad_request

__all__ = ["API", "NettbutikkEmulator"]

API = "/api/v1"
Handler = Callable[[EmulatorRequest], Response]


class Resource(Protocol):
    name: str

    def rows(self, record: Record, flat: bool) -> list[dict[str, Any]]: ...


class NettbutikkEmulator(Emulator):
    """A 24Nettbutikk shop in memory, seeded deterministically.

    ``NettbutikkEmulator(size, **options)``: ``size`` is a
    :class:`~storebridge.sandbox.SandboxSize`, ``options`` the :class:`EmulatorOptions`
    fields (the behaviours the research notes mark as inferred). ``touch(resource, key,
    **fields)`` changes a record the way the shop admin would (bumping ``modified_on`` to the
    emulator clock's now).
    """

    platform = "24nettbutikk"

    def __init__(self, size: SandboxSize | None = None, **options: Any) -> None:
        size = size or SandboxSize()
        super().__init__(clock=size.clock, latency=size.latency)
        self.options = build_options(EmulatorOptions, options, self.platform)
        self.token = self.options.token
        self.wire = Wire(self.options)
        with seeding(size.orders):
            self.state = ShopState(size, self.options)
            products = Products(self.state, self.wire, self.now)
        self.listings = Listings()
        throttle = None
        if self.options.rate_limit:
            throttle = Throttle(
                limit=RateLimit(self.options.rate_limit, self.options.rate_burst),
                refuse=lambda seconds: HTTPProblem(429, None, {"Retry-After": str(seconds)}),
                clock=self.options.limit_clock or self.clock.now,
                key=self.token,  # one shop, one credential: anonymous calls count too
            )
        self.guard = Guard(self._authenticate, throttle)
        orders = Orders(self.state, self.wire, self.now)
        customers = Customers(self.state, self.wire)
        self.resources: dict[str, Resource] = {
            "orders": orders,
            "products": products,
            "customers": customers,
        }
        for resource in RESOURCES:
            self._api("HEAD", rf"{resource}/?", self.head)
        self._api("GET", r"?", self.root)
        for endpoint in (*orders.endpoints(), *products.endpoints(), *customers.endpoints()):
            self._api(endpoint.method, endpoint.path, endpoint.handler)
        self._api(
            "GET", r"(?P<resource>orders|products|customers)(?P<segments>(?:/[^/]*)*)", self.get
        )

    # Records, for tests and the sandbox kit --------------------------------------------
    @property
    def orders(self) -> list[Record]:
        return self.state.table("orders").records

    @property
    def products(self) -> list[Record]:
        return self.state.table("products").records

    @property
    def customers(self) -> list[Record]:
        return self.state.table("customers").records

    def table(self, resource: str) -> list[Record]:
        return self.state.table(resource).records

    def find(self, resource: str, key: str) -> Record | None:
        return self.state.find(resource, key)

    def local(self, instant: float) -> str:
        return self.state.local(instant)

    def server_unix(self, instant: float) -> int:
        return self.state.server_unix(instant)

    def now(self) -> float:
        return float(self.clock.now())

    def touch(self, resource: str, key: int | str, **fields: Any) -> dict[str, Any]:
        """Change a record as the shop would (``modified_on`` becomes the clock's now)."""
        with self.lock:
            record = self.find(resource, str(key))
            if record is None:
                raise KeyError(f"no {resource} record {key}")
            record.update(fields)
            self.state.modify(resource, record, self.now())
            self.changed()
            return dict(record)

    def decorate(self, request: EmulatorRequest, response: Response) -> Response:
        """Every answer carries ``Date``, the shop's clock, as an HTTP server's does."""
        now = datetime.fromtimestamp(self.now(), UTC)
        response.headers["Date"] = format_datetime(now, usegmt=True)
        return response

    def delete(self, resource: str, key: int | str) -> None:
        """Delete a record as the shop's own admin would (the API has no delete)."""
        with self.lock:
            record = self.find(resource, str(key))
            if record is None:
                raise KeyError(f"no {resource} record {key}")
            self.state.table(resource).remove(record)
            self.changed()

    # Guard -----------------------------------------------------------------------------
    def _api(self, method: str, path: str, handler: Handler) -> None:
        def guarded(req: EmulatorRequest) -> Response:
            self.guard.check(req)
            return handler(req)

        self.route(method, f"{API}/{path}", guarded)

    def _authenticate(self, req: EmulatorRequest, need: str) -> str:
        if req.query.get("access_token") == self.token:
            return self.token
        header = req.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", "?"
            if user == self.token and password in ("", "x-oauth-basic"):
                return self.token
        raise HTTPProblem(401, None, {"WWW-Authenticate": 'Basic realm="24Nettbutikk API"'})

    def not_found(self, request: EmulatorRequest) -> Response:
        return Response(404, content=b"")

    # Lists -----------------------------------------------------------------------------
    def head(self, req: EmulatorRequest) -> Response:
        resource = req.path[len(API) :].strip("/")
        if resource != "orders" and not self.options.head_on_all:
            raise HTTPProblem(405, None)
        stamp = self.state.last_modified(resource)
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        if stamp is not None:
            headers["Last-Modified"] = stamp
        return Response(200, content=b"", headers=headers)

    def root(self, req: EmulatorRequest) -> Response:
        return self.wire.encode(
            req,
            {
                "data": [
                    {"name": "customers", "description": "Registered customers"},
                    {"name": "orders", "description": "Orders, purchases everything related"},
                    {"name": "products", "description": "The webshop's products"},
                ],
                "paging": [],
            },
        )

    def get(self, req: EmulatorRequest) -> Response:
        """One record (``/{resource}/{key}``) or a page (``/{resource}[/limit/offset[/since
        [/until]]]``)."""
        resource = req.params["resource"]
        segments = [s for s in req.params.get("segments", "").split("/") if s]
        flat = is_flat(req)
        if len(segments) == 1:
            return self.wire.encode(req, {"data": self._one(resource, segments[0], flat)})
        if len(segments) > 4 or not all(s.isdigit() for s in segments):
            raise bad_request()
        paged_customers = self.options.customer_paging
        if resource == "customers" and segments and not paged_customers:
            raise bad_request()
        numbers = [int(s) for s in segments]
        limit, offset = (numbers[0], numbers[1]) if numbers else (100, 0)
        if resource == "customers" and not paged_customers:
            limit = max(1, len(self.customers))
        since = numbers[2] if len(numbers) > 2 else None
        until = numbers[3] if len(numbers) > 3 else None
        if limit < 1:
            raise bad_request()
        if self.options.page_cap is not None and (resource != "customers" or paged_customers):
            limit = min(limit, self.options.page_cap)
        rows = self._rows(resource, since, until, flat)
        page = offset_page(rows, offset, limit)
        if not page.items and self.options.empty_list == "404":
            raise HTTPProblem(404, None)
        data = [self._render(resource, unit, flat) for unit in page.items]
        paging: dict[str, str] = {}
        if page.has_previous:
            back = max(0, min(offset, page.total) - limit)
            paging["prev"] = self._link(req, resource, limit, back, since, until)
        if page.has_next:
            paging["next"] = self._link(req, resource, limit, offset + limit, since, until)
        headers = {}
        stamp = self.state.last_modified(resource)
        if stamp:
            headers["Last-Modified"] = stamp
        return self.wire.encode(req, {"data": data, "paging": paging or []}, headers)

    def _rows(self, resource: str, since: int | None, until: int | None, flat: bool) -> Span[Any]:
        """What a list pages over: records, or (product, variant row) pairs when flat."""
        windowed = since is not None or until is not None
        if resource == "products" and flat:
            return self.listings.get(
                ("flat", since, until), self.revision, lambda: self._flat_rows(since, until)
            )
        if windowed and self.options.sort == "key":
            return self.listings.get(
                (resource, since, until),
                self.revision,
                lambda: self.state.listing(resource, since, until),
            )
        return self.state.listing(resource, since, until)

    def _flat_rows(self, since: int | None, until: int | None) -> Span[tuple[Record, int]]:
        products = self.state.listing("products", since, until)
        units = [
            (product, index)
            for product in products
            for index in range(max(1, len(product["variants"])))
        ]
        return Span(range(len(units)), units)

    def _render(self, resource: str, unit: Any, flat: bool) -> dict[str, Any]:
        if resource == "products" and flat:
            product: Record = unit[0]
            index: int = unit[1]
            rows = self.resources["products"].rows(product, True)
            return rows[index]
        return self.resources[resource].rows(unit, flat)[0]

    def _one(self, resource: str, key: str, flat: bool) -> list[dict[str, Any]]:
        record = self.find(resource, key)
        if record is None:
            raise HTTPProblem(404, None)
        return self.resources[resource].rows(record, flat)

    def _link(
        self,
        req: EmulatorRequest,
        resource: str,
        limit: int,
        offset: int,
        since: int | None,
        until: int | None,
    ) -> str:
        parts = [f"{req.origin}{API}/{resource}", str(limit), str(offset)]
        if since is not None:
            parts.append(str(since))
        if until is not None:
            parts.append(str(until))
        # The wiki: links carry since/until, access_token and callback, nothing else.
        kept = {k: v for k, v in req.query.items() if k in ("access_token", "callback")}
        url = URL("/".join(parts))
        return str(url.copy_merge_params(kept) if kept else url)
