"""A small third-party-style adapter and emulator used to test the facade itself."""

from __future__ import annotations

from typing import Any

import attrs

from storebridge.adapter import Adapter, OrderQuery, RateLimit, error_from_response
from storebridge.auth import BearerAuth
from storebridge.errors import APIError
from storebridge.flow import Flow, ListFlow, build_request, expand_pages, just, reconciled_write
from storebridge.http import Auth, Response, read_json
from storebridge.model import Customer, CustomerDraft, Order, OrderStatus
from storebridge.model.money import Money
from storebridge.pagination import BodyNextUrl, walk
from storebridge.payload import Payload
from storebridge.refs import segment
from storebridge.sandbox import Emulator, EmulatorRequest, HTTPProblem, json_response
from storebridge.settings import Secret, check_base_url, secret_field


@attrs.frozen
class ToySettings:
    base_url: str = attrs.field(converter=check_base_url)
    token: Secret = secret_field()
    page_size: int = 2


def _order(p: Payload) -> Order:
    currency = p.string("currency")
    return Order(
        platform="toy",
        ref=p.string("id"),
        number=p.string("id"),
        status=OrderStatus.parse(p.opt_string("status")),
        status_raw=p.opt_string("status"),
        currency=currency,
        total=p.money("total", currency),
        raw=p.data,
    )


def _row_id(row: dict[str, Any]) -> object:
    return row["id"]


def _customer(p: Payload) -> Customer:
    return Customer(platform="toy", ref=p.string("id"), email=p.opt_string("email"), raw=p.data)


class ToyAdapter(Adapter):
    name = "toy"
    display_name = "Toy"
    Settings = ToySettings
    default_rate_limit = RateLimit(per_second=100, burst=100)

    @property
    def base_url(self) -> str:
        return str(self.settings.base_url)

    @property
    def auth(self) -> Auth:
        return BearerAuth(self.settings.token)

    @property
    def secrets(self) -> list[str]:
        return [self.settings.token.reveal()]

    def parse_error(self, response: Response) -> APIError:
        try:
            message = str(response.json().get("detail", "error"))
        except ValueError:
            message = response.text or "error"
        return error_from_response(self, response, message=message)

    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        first = build_request(
            "GET",
            f"{self.base_url}/orders",
            operation="orders.list",
            params={"limit": query.page_size or self.settings.page_size},
        )
        rows = walk(first, BodyNextUrl(), resource="orders", platform="toy", key=_row_id)
        return expand_pages(
            rows, lambda page: just([_order(Payload(row, platform="toy")) for row in page])
        )

    def get_order(self, ref: str) -> Flow[Order]:
        response = yield build_request(
            "GET", f"{self.base_url}/orders/{segment(ref)}", operation="orders.get"
        )
        return _order(Payload(read_json(response), platform="toy"))

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        request = build_request(
            "POST",
            f"{self.base_url}/customers",
            operation="customers.create",
            json={"email": draft.email},
        )

        def find() -> Flow[Customer | None]:
            response = yield build_request(
                "GET", f"{self.base_url}/customers", operation="customers.find",
                params={"email": draft.email},
            )  # fmt: skip
            rows = read_json(response)["results"]
            return _customer(Payload(rows[0])) if rows else None

        return (
            yield from reconciled_write(
                request, lambda r: _customer(Payload(read_json(r), platform="toy")), find
            )
        )


class ToyEmulator(Emulator):
    platform = "toy"

    def __init__(self, orders: int = 5, token: str = "toy-secret-token-123", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.orders = {
            str(i): {"id": str(i), "currency": "EUR", "total": f"{i}.50", "status": "open"}
            for i in range(1, orders + 1)
        }
        self.customers: dict[str, dict[str, Any]] = {}
        self.route("GET", r"/orders", self.list_orders)
        self.route("GET", r"/orders/(?P<id>[^/]+)", self.get_order)
        self.route("POST", r"/customers", self.create_customer)
        self.route("GET", r"/customers", self.find_customers)

    def _auth(self, req: EmulatorRequest) -> None:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            raise HTTPProblem(401, {"detail": "Invalid token."})

    def list_orders(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        limit = int(req.query.get("limit", "2"))
        offset = int(req.query.get("offset", "0"))
        rows = list(self.orders.values())[offset : offset + limit]
        nxt = None
        if offset + limit < len(self.orders):
            nxt = f"{req.origin}/orders?limit={limit}&offset={offset + limit}"
        return json_response(200, {"next": nxt, "results": rows})

    def get_order(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        row = self.orders.get(req.params["id"])
        if row is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return json_response(200, row)

    def create_customer(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        body = req.json()
        ref = str(len(self.customers) + 1)
        self.customers[ref] = {"id": ref, "email": body["email"]}
        return json_response(201, self.customers[ref])

    def find_customers(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        email = req.query.get("email")
        rows = [c for c in self.customers.values() if c["email"] == email]
        return json_response(200, {"next": None, "results": rows})


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(amount, currency)
