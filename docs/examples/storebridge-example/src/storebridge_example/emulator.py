"""An emulator of Example Commerce: the same paths, auth, paging, rate limit, error bodies
and refund rules, with seeded data, for tests, ``storebridge sandbox serve`` and demos."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import attrs

from storebridge.http import Response
from storebridge.sandbox import (
    BodyRefusals,
    Emulator,
    EmulatorRequest,
    Endpoint,
    Guard,
    HTTPProblem,
    Listings,
    SandboxSize,
    SortedIndex,
    Span,
    Throttle,
    json_response,
    keyset_page,
    read_member,
    read_object,
)
from storebridge.sandbox.kit import build_options
from storebridge_example.api import API_PATH, MAX_PAGE_SIZE, PLATFORM, RATE_LIMIT

Row = dict[str, Any]
Handler = Callable[[EmulatorRequest], Response]

READ_SCOPES = frozenset({"orders:read", "customers:read"})
ALL_SCOPES = READ_SCOPES | {"orders:write", "customers:write"}


def problem(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTTPProblem:
    """An error answer in Example Commerce's shape, raised from a handler."""
    error: Row = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return HTTPProblem(status, {"error": error}, headers)


REFUSALS = BodyRefusals(
    empty=lambda: problem(400, "invalid_body", "the request body is empty; send JSON"),
    invalid=lambda: problem(400, "invalid_body", "the request body is not valid JSON"),
    not_object=lambda: problem(400, "invalid_body", "the request body must be a JSON object"),
)


def _currency(_options: object, _attribute: object, value: str) -> None:
    if not (len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        raise ValueError(f"currency must be an ISO 4217 code such as EUR, got {value!r}")


@attrs.frozen(kw_only=True)
class SandboxOptions:
    """What ``ExampleAdapter.sandbox(**options)`` takes besides the size."""

    currency: str = attrs.field(default="EUR", validator=_currency)
    """The store's currency (``storebridge sandbox serve example --currency NOK``)."""
    token: str = "example-sandbox-token"
    """The access token with every scope; ``token + "-read"`` has the read scopes only."""


class ExampleEmulator(Emulator):
    """Example Commerce's API under ``/api/v1``, answering from seeded, in-memory data."""

    platform = PLATFORM

    def __init__(self, size: SandboxSize, **options: Any) -> None:
        super().__init__(clock=size.clock, latency=size.latency)
        self.options = build_options(SandboxOptions, options, PLATFORM)
        self.token, self.read_token = self.options.token, f"{self.options.token}-read"
        self.scopes = {self.token: ALL_SCOPES, self.read_token: READ_SCOPES}
        throttle = Throttle(limit=RATE_LIMIT, refuse=_too_many, clock=self.clock)
        self.guard = Guard(self._authenticate, throttle)
        self.rows: dict[str, dict[str, Row]] = {"orders": {}, "customers": {}}
        self.indexes = {table: SortedIndex(key=_row_id, ident=_row_id) for table in self.rows}
        self.listings = Listings()
        self._refund_ids, self._request_ids = itertools.count(1), itertools.count(1)
        _seed(self, size)
        for endpoint in self.endpoints():
            self.route(endpoint.method, API_PATH + endpoint.path, self._guarded(endpoint))

    def endpoints(self) -> list[Endpoint[Handler]]:
        """Every route, relative to ``/api/v1``, with the scope it needs."""
        order, customer = r"/orders/(?P<id>\d+)", r"/customers/(?P<id>\d+)"
        return [
            Endpoint("GET", r"/orders", self.list_orders, "orders:read"),
            Endpoint("GET", order, lambda req: self.get("orders", req), "orders:read"),
            Endpoint("POST", order + "/refunds/preview", self.preview_refund, "orders:read"),
            Endpoint("GET", order + "/refunds", self.list_refunds, "orders:read"),
            Endpoint("POST", order + "/refunds", self.create_refund, "orders:write"),
            Endpoint("GET", r"/customers", self.list_customers, "customers:read"),
            Endpoint("GET", customer, lambda req: self.get("customers", req), "customers:read"),
            Endpoint("POST", r"/customers", self.create_customer, "customers:write"),
        ]

    def _guarded(self, endpoint: Endpoint[Handler]) -> Handler:
        def handle(req: EmulatorRequest) -> Response:
            self.guard.check(req, endpoint.need)  # 401/403 first, then 429 per token
            return endpoint.handler(req)

        return handle

    def _authenticate(self, req: EmulatorRequest, need: str) -> str:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        scopes = self.scopes.get(token) if scheme.lower() == "bearer" else None
        if scopes is None:
            raise problem(401, "unauthorized", "missing or unknown access token")
        if need not in scopes:
            raise problem(403, "forbidden", f"this token lacks the {need} scope")
        return token

    def not_found(self, request: EmulatorRequest) -> Response:
        return self.error_response(problem(404, "not_found", f"no route {request.path}"))

    def decorate(self, request: EmulatorRequest, response: Response) -> Response:
        response.headers["X-Request-Id"] = f"ex-{next(self._request_ids)}"
        return response

    def now(self) -> str:
        return _iso(self.clock.utcnow())

    def add(self, table: str, row: Row) -> Row:
        self.rows[table][str(row["id"])] = row
        self.indexes[table].add(row)
        return row

    def get(self, table: str, req: EmulatorRequest) -> Response:
        return json_response(200, {table[:-1]: self._find(table, req)})

    def _find(self, table: str, req: EmulatorRequest) -> Row:
        row = self.rows[table].get(req.params["id"])
        if row is None:
            raise problem(404, "not_found", f"no {table[:-1]} {req.params['id']}")
        return row

    def _list(self, req: EmulatorRequest, table: str, keep: Callable[[Row], bool]) -> Response:
        # The filtered span is built once per query and store revision: later pages of the
        # same listing cost a bisect, not a pass over the store.
        query = (table, *sorted((k, v) for k, v in req.query.items() if k != "after"))
        index = self.indexes[table]
        rows = self.listings.get(query, self.revision, lambda: index.span().where(keep))
        return _page(req, table, rows)

    def list_orders(self, req: EmulatorRequest) -> Response:
        since, status = _since(req), req.query.get("status") or None

        def keep(order: Row) -> bool:
            return order["updated_at"] >= since and status in (None, order["status"])

        return self._list(req, "orders", keep)

    def list_customers(self, req: EmulatorRequest) -> Response:
        since, email = _since(req), req.query.get("email", "").lower()

        def keep(customer: Row) -> bool:
            return customer["updated_at"] >= since and email in ("", customer["email"].lower())

        return self._list(req, "customers", keep)

    def create_customer(self, req: EmulatorRequest) -> Response:
        wrapped = problem(400, "invalid_body", 'send {"customer": {...}}')
        data = read_member(req, "customer", lambda: wrapped, REFUSALS)
        email = data.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise problem(422, "invalid", "email is invalid", {"email": ["is not an address"]})
        if any(c["email"].lower() == email.lower() for c in self.rows["customers"].values()):
            raise problem(422, "invalid", "email is taken", {"email": ["is already taken"]})
        names = {k: data.get(k) for k in ("first_name", "last_name", "phone")}
        row = {"id": len(self.rows["customers"]) + 1, "email": email, **names}
        return json_response(201, {"customer": self.add("customers", _stamped(row, self.now()))})

    def preview_refund(self, req: EmulatorRequest) -> Response:
        plan = _refund_plan(self._find("orders", req), read_object(req, REFUSALS))
        return json_response(200, {"refund": plan})

    def create_refund(self, req: EmulatorRequest) -> Response:
        order, body = self._find("orders", req), read_object(req, REFUSALS)
        key = body.get("client_key")
        if key is not None and any(r["client_key"] == key for r in order["refunds"]):
            raise problem(409, "duplicate", "a refund with this client_key exists")
        plan = _refund_plan(order, body)
        refund = _record_refund(order, plan, next(self._refund_ids), body, self.now())
        return json_response(201, {"refund": refund})

    def list_refunds(self, req: EmulatorRequest) -> Response:
        order, key = self._find("orders", req), req.query.get("client_key")
        found = [r for r in order["refunds"] if key in (None, r["client_key"])]
        return json_response(200, {"currency": order["currency"], "refunds": found})


def _too_many(seconds: int) -> HTTPProblem:
    retry_after = {"Retry-After": str(seconds)}
    return problem(429, "rate_limited", f"slow down; retry in {seconds} s", headers=retry_after)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamped(row: Row, stamp: str) -> Row:
    return {**row, "created_at": stamp, "updated_at": stamp}


def _row_id(row: Row) -> int:
    return int(row["id"])


def _since(req: EmulatorRequest) -> str:
    """``updated_since`` as the stored timestamps are written ("" when absent)."""
    text = req.query.get("updated_since")
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        example = {"updated_since": ["e.g. 2025-01-01T00:00:00+00:00"]}
        raise problem(400, "invalid", "updated_since needs a time with an offset", example)
    return _iso(moment)


def _page(req: EmulatorRequest, name: str, rows: Span[Row]) -> Response:
    """The page of ``rows`` (ascending ids) after the ``after`` cursor, and the next link."""
    limit, after = req.query.get("limit", "50"), req.query.get("after", "")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise problem(400, "invalid", "bad limit", {"limit": [f"must be 1 to {MAX_PAGE_SIZE}"]})
    if after and not after.isdigit():
        raise problem(400, "invalid", "bad cursor", {"after": ["must be an id"]})
    page = keyset_page(rows, limit=int(limit), after=int(after) if after else None)
    next_url = None
    if page.items and page.has_next:
        query = urlencode({**req.query, "after": page.items[-1]["id"]})
        # Built from the origin the client called (a loopback port, an in-process address):
        # the link leads back here and passes the client's same-origin check.
        next_url = f"{req.origin}{req.path}?{query}"
    return json_response(200, {name: page.items, "next": next_url})


def _refund_plan(order: Row, body: Row) -> Row:
    """What refunding ``body`` would return, or the platform's refusal."""
    if order["payment_status"] not in ("paid", "partially_refunded"):
        raise problem(422, "not_refundable", f"order {order['id']} is {order['payment_status']}")
    wanted = body.get("lines") or []
    if not isinstance(wanted, list):
        raise problem(422, "invalid", "lines must be a list", {"lines": ["must be a list"]})
    lines = {str(line["id"]): line for line in order["lines"]}
    planned: list[Row] = []
    for index, item in enumerate(wanted):
        where = f"lines[{index}]"
        line = lines.get(str(item.get("line_id"))) if isinstance(item, dict) else None
        if line is None:
            raise problem(422, "invalid", "no such line", {where: ["is not a line of the order"]})
        asked = sum(p["quantity"] for p in planned if p["line_id"] == line["id"])
        left = line["quantity"] - line["refunded_quantity"] - asked
        quantity = item.get("quantity")
        if type(quantity) is not int or not 1 <= quantity <= left:
            raise problem(422, "invalid", "bad quantity", {where: [f"1 to {left} units"]})
        amount = Decimal(line["price"]) * quantity
        planned.append({"line_id": line["id"], "quantity": quantity, "amount": str(amount)})
    shipping = _amount(body.get("shipping"))
    shipping_left = Decimal(order["shipping"]) - sum(
        (Decimal(r["shipping"]) for r in order["refunds"]), Decimal(0)
    )
    if shipping is None or not 0 <= shipping <= shipping_left:
        raise problem(422, "invalid", "bad shipping", {"shipping": [f"0 to {shipping_left}"]})
    if not planned and not shipping:
        raise problem(422, "invalid", "nothing to refund", {"lines": ["refund lines or shipping"]})
    subtotal = sum((Decimal(p["amount"]) for p in planned), Decimal("0.00"))
    return {"currency": order["currency"], "amount": str(subtotal + shipping),
            "subtotal": str(subtotal), "shipping": str(shipping), "lines": planned}  # fmt: skip


def _amount(value: Any) -> Decimal | None:
    """A decimal-string amount (None: not one); an absent amount is zero."""
    if value is None:
        return Decimal("0.00")
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None


def _record_refund(order: Row, plan: Row, ident: int, body: Row, stamp: str) -> Row:
    """Apply ``plan`` to ``order``: the refund, refunded quantities, the payment status."""
    lines = [{"line_id": p["line_id"], "quantity": p["quantity"]} for p in plan["lines"]]
    refund = {"id": ident, "amount": plan["amount"], "shipping": plan["shipping"],
              "lines": lines, "note": body.get("note"), "client_key": body.get("client_key"),
              "created_at": stamp}  # fmt: skip
    for item in lines:
        line = next(x for x in order["lines"] if x["id"] == item["line_id"])
        line["refunded_quantity"] += item["quantity"]
    order["refunds"].append(refund)
    refunded = sum(Decimal(r["amount"]) for r in order["refunds"])
    order["payment_status"] = (
        "refunded" if refunded >= Decimal(order["total"]) else "partially_refunded"
    )
    order["updated_at"] = stamp
    return refund


SEEDED_FROM = datetime(2025, 3, 1, tzinfo=UTC)
_NAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Juno")
_SURNAMES = ("Berg", "Costa", "Dahl", "Ek", "Fischer", "Haugen", "Lund", "Moreau")
_CITIES = ("Oslo", "Bergen", "Lyon", "Porto", "Malmo")
_CATALOGUE = (
    ("TEA-GREEN", "Green tea, 100 g", "8.50"),
    ("TEA-BLACK", "Black tea, 100 g", "7.90"),
    ("MUG-BLUE", "Blue mug", "14.00"),
    ("POT-CAST", "Cast iron teapot", "49.00"),
    ("STRAINER", "Tea strainer", "5.25"),
)


def _seed(emulator: ExampleEmulator, size: SandboxSize) -> None:
    """Customers, then orders among them; the same ``size.seed`` gives the same store."""
    rng = random.Random(size.seed)
    count = size.customers if size.customers is not None else (size.orders + 1) // 2
    for n in range(1, count + 1):
        first, last = rng.choice(_NAMES), rng.choice(_SURNAMES)
        row = {"id": n, "email": f"{first}.{last}.{n}@example.com".lower(),
               "first_name": first, "last_name": last, "phone": None}  # fmt: skip
        emulator.add("customers", _stamped(row, _iso(SEEDED_FROM + timedelta(minutes=17 * n))))
    customers = list(emulator.rows["customers"].values())
    for ident in range(1001, 1001 + size.orders):
        customer = rng.choice(customers) if customers else None
        emulator.add("orders", _seed_order(rng, ident, customer, emulator.options.currency))


def _seed_order(rng: random.Random, ident: int, customer: Row | None, currency: str) -> Row:
    """One to three lines of the catalogue, mostly paid."""
    lines: list[Row] = [
        {"id": ident * 10 + n, "sku": sku, "name": name, "quantity": rng.randint(1, 3),
         "price": price, "refunded_quantity": 0}
        for n, (sku, name, price) in enumerate(rng.sample(_CATALOGUE, rng.randint(1, 3)), 1)
    ]  # fmt: skip
    subtotal = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
    shipping = Decimal("4.90")
    status, paid = rng.choices(
        [("open", "paid"), ("closed", "paid"), ("open", "pending"), ("cancelled", "voided")],
        weights=[6, 2, 1, 1],
    )[0]
    person = customer or {"first_name": "Guest", "last_name": None, "email": None}
    address = {"first_name": person["first_name"], "last_name": person["last_name"],
               "street": f"{rng.randint(1, 99)} Harbour Street", "city": rng.choice(_CITIES),
               "zip": str(rng.randint(1000, 9999)), "country_code": "NO"}  # fmt: skip
    row = {
        "id": ident, "number": f"EX-{ident}", "status": status, "payment_status": paid,
        "currency": currency, "email": person["email"], "customer": customer and dict(customer),
        "shipping_address": address, "lines": lines, "subtotal": str(subtotal),
        "shipping": str(shipping), "total": str(subtotal + shipping), "refunds": [],
    }  # fmt: skip
    return _stamped(row, _iso(SEEDED_FROM + timedelta(minutes=37 * (ident - 1000))))
