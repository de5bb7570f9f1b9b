"""A small but complete platform (customers, products, orders, tags) for migration tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from storebridge.adapter import Adapter, ListQuery, OrderQuery, RateLimit, error_from_response
from storebridge.auth import BearerAuth
from storebridge.errors import APIError
from storebridge.flow import Flow, ListFlow, build_request, reconciled_write
from storebridge.http import Auth, Response
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    Order,
    OrderDraft,
    OrderLine,
    OrderStatus,
    Product,
    ProductDraft,
    Variant,
)
from storebridge.pagination import BodyNextUrl, paginate
from storebridge.payload import Payload
from storebridge.sandbox import Emulator, EmulatorRequest, HTTPProblem, json_response
from storebridge.settings import Secret, check_base_url, secret_field

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@attrs.frozen
class ShopSettings:
    base_url: str = attrs.field(converter=check_base_url)
    token: Secret = secret_field()
    can_write: bool = True


def _customer(p: Payload) -> Customer:
    return Customer(
        platform="toyshop", ref=p.string("id"), email=p.opt_string("email"),
        first_name=p.opt_string("first_name"), last_name=p.opt_string("last_name"),
        tags=tuple(p.raw("tags") or ()), updated_at=p.opt_timestamp("updated_at"), raw=p.data,
    )  # fmt: skip


def _product(p: Payload) -> Product:
    return Product(
        platform="toyshop", ref=p.string("id"), title=p.string("title"),
        tags=tuple(p.raw("tags") or ()), updated_at=p.opt_timestamp("updated_at"),
        variants=p.each("variants", lambda v: Variant(
            platform="toyshop", ref=v.string("id"), sku=v.opt_string("sku"),
            price=v.opt_money("price", "EUR"), stock=v.opt_integer("stock"),
        )),
        raw=p.data,
    )  # fmt: skip


def _order(p: Payload) -> Order:
    cur = p.string("currency")
    customer = p.opt_obj("customer")
    return Order(
        platform="toyshop", ref=p.string("id"), number=p.string("number"),
        status=OrderStatus.OPEN, currency=cur, total=p.money("total", cur),
        financial_status=FinancialStatus.parse(p.opt_string("financial_status")),
        email=p.opt_string("email"), tags=tuple(p.raw("tags") or ()),
        customer=_customer(customer) if customer else None,
        lines=p.each("lines", lambda ln: OrderLine(
            platform="toyshop", ref=ln.string("id"), sku=ln.opt_string("sku"),
            title=ln.string("title"), quantity=ln.integer("quantity"),
            unit_price=ln.money("price", cur),
        )),
        created_at=p.opt_timestamp("created_at"), updated_at=p.opt_timestamp("updated_at"),
        raw=p.data,
    )  # fmt: skip


class ToyShopAdapter(Adapter):
    name = "toyshop"
    display_name = "ToyShop"
    Settings = ShopSettings
    # Its lists come oldest change first (an edit moves a record last), so a migration may
    # resume after the last record it processed without first seeing a ref out of line.
    documented_orders = frozenset({"updated_asc"})
    default_rate_limit = RateLimit(per_second=1000, burst=1000)

    @property
    def base_url(self) -> str:
        return str(self.settings.base_url)

    @property
    def auth(self) -> Auth:
        return BearerAuth(self.settings.token)

    @property
    def capabilities(self) -> frozenset[str]:
        caps = super().capabilities
        if not self.settings.can_write:
            caps -= {"customers.create", "products.create", "orders.create", "customers.update"}
        return caps

    def parse_error(self, response: Response) -> APIError:
        return error_from_response(self, response, message=response.text or "error")

    def _list(self, path: str, query: ListQuery, parse: Any) -> ListFlow[Any]:
        params = {}
        if query.updated_since is not None:
            params["updated_since"] = query.updated_since.isoformat()
        first = build_request("GET", f"{self.base_url}/{path}", operation=path, params=params)
        return paginate(
            first, BodyNextUrl(),
            lambda r: [parse(x) for x in Payload(r.json()).objects("results")],
        )  # fmt: skip

    def _create(self, path: str, body: dict[str, Any], tag: str, parse: Any) -> Flow[Any]:
        request = build_request("POST", f"{self.base_url}/{path}", operation=path, json=body)

        def find() -> Flow[Any]:
            response = yield build_request(
                "GET", f"{self.base_url}/{path}", operation="find", params={"tag": tag}
            )
            rows = response.json()["results"]
            return parse(Payload(rows[0])) if rows else None

        return (yield from reconciled_write(request, lambda r: parse(Payload(r.json())), find))

    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        return self._list("customers", query, _customer)

    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        return self._list("products", query, _product)

    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        return self._list("orders", query, _order)

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        body = {"email": draft.email, "first_name": draft.first_name,
                "last_name": draft.last_name, "tags": list(draft.tags)}  # fmt: skip
        return self._create("customers", body, draft.tags[-1] if draft.tags else "", _customer)

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        body = {k: v for k, v in attrs.asdict(update).items() if v is not None}
        response = yield build_request(
            "PUT", f"{self.base_url}/customers/{ref}", operation="customers.update", json=body,
            idempotent=True,
        )  # fmt: skip
        return _customer(Payload(response.json()))

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        body = {
            "title": draft.title, "tags": list(draft.tags),
            "variants": [{"sku": v.sku, "price": str(v.price.amount), "stock": v.stock}
                         for v in draft.variants],
        }  # fmt: skip
        return self._create("products", body, draft.tags[-1] if draft.tags else "", _product)

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        body = {
            "number": draft.number, "currency": draft.currency, "email": draft.email,
            "total": str(draft.total.amount), "tags": list(draft.tags),
            "customer_id": draft.customer_ref, "financial_status": draft.financial_status.value,
            "created_at": draft.created_at.isoformat() if draft.created_at else None,
            "lines": [{"sku": ln.sku, "title": ln.title, "quantity": ln.quantity,
                       "price": str(ln.unit_price.amount), "variant_id": ln.variant_ref}
                      for ln in draft.lines],
        }  # fmt: skip
        return self._create("orders", body, draft.tags[-1] if draft.tags else "", _order)

    def store_currencies(self) -> Flow[frozenset[str] | None]:
        response = yield build_request("GET", f"{self.base_url}/shop", operation="shop")
        return frozenset(response.json()["currencies"])


class ToyShopEmulator(Emulator):
    platform = "toyshop"

    def __init__(self, token: str = "shop-token-000111", **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.currencies = ["EUR", "NOK", "USD"]
        self.tables: dict[str, dict[str, dict[str, Any]]] = {
            "customers": {}, "products": {}, "orders": {},
        }  # fmt: skip
        self.tick = 0
        self.route("GET", r"/shop", lambda r: json_response(200, {"currencies": self.currencies}))
        for table in self.tables:
            self.route("GET", f"/{table}", self._lister(table))
            self.route("POST", f"/{table}", self._creator(table))
        self.route("PUT", r"/customers/(?P<id>\d+)", self._update_customer)

    def stamp(self) -> str:
        self.tick += 1
        return (EPOCH + timedelta(minutes=self.tick)).isoformat()

    def seed(self, customers: int = 6, products: int = 4, orders: int = 10) -> None:
        for i in range(1, customers + 1):
            self.add("customers", {"email": f"c{i}@example.com", "first_name": f"F{i}",
                                   "last_name": "Lastname", "tags": []})  # fmt: skip
        for i in range(1, products + 1):
            self.add("products", {"title": f"Product {i}", "tags": [], "variants": [
                {"sku": f"SKU-{i}-A", "price": f"{i}0.00", "stock": 5},
                {"sku": f"SKU-{i}-B", "price": f"{i}5.50", "stock": 0},
            ]})  # fmt: skip
        for i in range(1, orders + 1):
            self.add_order(i, customer=(i % customers) + 1)

    def add_order(self, i: int, customer: int = 1, sku: str | None = None) -> dict[str, Any]:
        cust = self.tables["customers"].get(str(customer))
        lines: list[dict[str, Any]] = [
            {"sku": sku or f"SKU-{(i % 4) + 1}-A", "title": "Item", "quantity": 2,
             "price": f"{(i % 4) + 1}0.00"},
            {"sku": f"SKU-{(i % 4) + 1}-B", "title": "Item B", "quantity": 1, "price": "5.50"},
        ]  # fmt: skip
        total = sum(int(ln["quantity"]) * float(ln["price"]) for ln in lines)
        return self.add("orders", {
            "number": str(1000 + i), "currency": "EUR" if i % 3 else "NOK",
            "email": cust["email"] if cust else None, "customer": cust, "total": f"{total:.2f}",
            "financial_status": "paid", "tags": [], "lines": lines,
            "created_at": (EPOCH + timedelta(days=i)).isoformat(),
        })  # fmt: skip

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            ref = str(len(self.tables[table]) + 1)
            row = {**row, "id": ref, "updated_at": self.stamp()}
            for n, item in enumerate(row.get("variants", []) + row.get("lines", []), 1):
                item.setdefault("id", f"{ref}-{n}")
            self.tables[table][ref] = row
            return row

    def _auth(self, req: EmulatorRequest) -> None:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            raise HTTPProblem(401, {"detail": "Invalid token."})

    def _lister(self, table: str) -> Any:
        def handler(req: EmulatorRequest) -> Response:
            self._auth(req)
            q = req.query
            rows = list(self.tables[table].values())
            if "tag" in q:
                rows = [r for r in rows if q["tag"] in r.get("tags", [])]
            if "updated_since" in q:
                since = datetime.fromisoformat(q["updated_since"])
                rows = [r for r in rows if datetime.fromisoformat(r["updated_at"]) >= since]
            offset = int(q.get("offset", "0"))
            page = rows[offset : offset + 5]
            nxt = None
            if offset + 5 < len(rows):
                extra = f"&updated_since={q['updated_since']}" if "updated_since" in q else ""
                nxt = f"{req.origin}/{table}?offset={offset + 5}{extra}".replace("+", "%2B")
            return json_response(200, {"next": nxt, "results": page})

        return handler

    def _creator(self, table: str) -> Any:
        def handler(req: EmulatorRequest) -> Response:
            self._auth(req)
            body = req.json()
            if table == "orders":
                cust = self.tables["customers"].get(str(body.pop("customer_id", None)))
                body["customer"] = cust
            return json_response(201, self.add(table, body))

        return handler

    def _update_customer(self, req: EmulatorRequest) -> Response:
        self._auth(req)
        row = self.tables["customers"].get(req.params["id"])
        if row is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        with self.lock:
            row.update(req.json())
            row["updated_at"] = self.stamp()
            # Lists come in order of change (as documented below): an edit moves the row last.
            table = self.tables["customers"]
            table[req.params["id"]] = table.pop(req.params["id"])
        return json_response(200, row)


def address() -> Address:
    return Address(city="Oslo")
