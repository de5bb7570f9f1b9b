"""The 29 Next Admin API emulator: routes, auth, versions, throttling and business rules.

Facts from the notes are followed as documented. What the notes mark as inferred is a
constructor option: ``default_version`` (used when the version header is missing),
``page_size`` (undocumented), ``rate_limit``/``burst`` (4 requests/second per token; bucket
or strict window is unknown), ``scopes`` (per-token scopes; a missing one answers 403),
``auto_accept_cancellation`` (whether the location accepts a cancellation request at once).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storebridge.http import Response
from storebridge.sandbox import (
    Clock,
    Emulator,
    EmulatorRequest,
    HTTPProblem,
    LeakyBucket,
    json_response,
)
from storebridge_29next.emulator import render
from storebridge_29next.emulator.state import (
    FulfillmentOrderRecord,
    Line,
    OrderRecord,
    TransactionRecord,
    add_fulfillment_order,
    iso,
    money,
    seed_store,
)

ROOT = "/api/admin"
VERSIONS = ("2024-04-01", "2023-02-10", "unstable")
VERSION_HEADER = "x-29next-api-version"
DEFAULT_TOKEN = "sandbox-29next-access-token"
ALL_SCOPES = frozenset(
    f"{area}:{mode}"
    for area in ("orders", "users", "catalogue", "transactions", "fulfillment_orders", "locations")
    for mode in ("read", "write")
)
RESTOCK_TYPES = ("cancel", "no_restock", "return")
HOLD_REASONS = ("address_incorrect", "out_of_stock", "high_risk", "awaiting_payment", "other")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NOT_FOUND_HTML = (
    b"<!DOCTYPE html><html><head><title>Page not found</title></head>"
    b"<body><h1>404</h1><p>The page you are looking for does not exist.</p></body></html>"
)

Handler = Callable[[EmulatorRequest, str], Response]


def _required() -> list[str]:
    return ["This field is required."]


def _invalid(field: str, message: str) -> HTTPProblem:
    return HTTPProblem(400, {field: [message]})


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(field, "A valid number is required.")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _invalid(field, "A valid number is required.") from None
    if not result.is_finite():
        raise _invalid(field, "A valid number is required.")
    if result.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _invalid(field, "Ensure that there are no more than 2 decimal places.")
    return result


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid(field, "A valid integer is required.")
    try:
        return int(value)
    except ValueError:
        raise _invalid(field, "A valid integer is required.") from None


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(field, "Enter a valid date.") from None


class TwentyNineNextEmulator(Emulator):
    """A seeded 29 Next store behind the Admin API paths (``/api/admin/...``)."""

    platform = "29next"

    def __init__(
        self,
        *,
        seed: int = 1,
        orders: int = 25,
        customers: int | None = None,
        products: int | None = None,
        latency: float = 0.0,
        clock: Clock | None = None,
        token: str = DEFAULT_TOKEN,
        scopes: Iterable[str] | None = None,
        rate_limit: float | None = 4.0,
        burst: int = 4,
        page_size: int = 20,
        default_version: str = "2024-04-01",
        auto_accept_cancellation: bool = True,
    ) -> None:
        super().__init__(clock=clock, latency=latency)
        if default_version not in VERSIONS:
            raise ValueError(f"default_version must be one of {', '.join(VERSIONS)}")
        self.token = token
        self.tokens: dict[str, frozenset[str]] = {
            token: ALL_SCOPES if scopes is None else frozenset(scopes)
        }
        self.page_size = page_size
        self.default_version = default_version
        self.auto_accept_cancellation = auto_accept_cancellation
        self.bucket = LeakyBucket(rate_limit, burst, self.clock) if rate_limit is not None else None
        self.state = seed_store(seed, orders, customers, products)
        self._routes_table()

    # Plumbing --------------------------------------------------------------------------
    def api(self, method: str, path: str, scope: str, handler: Handler) -> None:
        def guarded(req: EmulatorRequest) -> Response:
            version = self._guard(req, scope)
            return handler(req, version)

        self.route(method, ROOT + path, guarded)

    def _guard(self, req: EmulatorRequest, scope: str) -> str:
        # Same order as Django REST Framework: version, authentication, permission, throttle.
        version = req.headers.get(VERSION_HEADER) or self.default_version
        if version not in VERSIONS:
            raise HTTPProblem(406, {"detail": 'Invalid version in "X-29next-API-Version" header.'})
        header = req.headers.get("authorization")
        if not header:
            raise HTTPProblem(
                401,
                {"detail": "Authentication credentials were not provided."},
                {"WWW-Authenticate": 'Bearer realm="api"'},
            )
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or token.strip() not in self.tokens:
            raise HTTPProblem(
                401, {"detail": "Invalid token."}, {"WWW-Authenticate": 'Bearer realm="api"'}
            )
        token = token.strip()
        if scope not in self.tokens[token]:
            raise HTTPProblem(403, {"detail": "You do not have permission to perform this action."})
        if self.bucket is not None:
            wait = self.bucket.admit(token)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                raise HTTPProblem(
                    429,
                    {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
                    {"Retry-After": str(seconds)},
                )
        return version

    def not_found(self, request: EmulatorRequest) -> Response:
        # Wrong paths fall through to the storefront, which answers an HTML page.
        return Response(404, content=_NOT_FOUND_HTML, headers={"Content-Type": "text/html"})

    def _now(self) -> datetime:
        return self.clock.utcnow()

    def _page(self, req: EmulatorRequest, rows: Sequence[Any]) -> Response:
        cursor = req.query.get("cursor")
        offset = 0
        if cursor:
            try:
                decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
                offset = int(decoded.removeprefix("o="))
            except ValueError:
                raise HTTPProblem(404, {"detail": "Invalid cursor"}) from None
        page = rows[offset : offset + self.page_size]

        def link(position: int) -> str:
            token = base64.urlsafe_b64encode(f"o={position}".encode()).decode()
            params = [(k, v) for k, v in req.url.params.multi_items() if k != "cursor"]
            url = req.url.copy_with(query=None).copy_merge_params([*params, ("cursor", token)])
            return f"{req.origin}{url.raw_path.decode()}"

        nxt = link(offset + self.page_size) if offset + self.page_size < len(rows) else None
        prev = link(max(0, offset - self.page_size)) if offset > 0 else None
        return json_response(200, {"next": nxt, "previous": prev, "results": list(page)})

    def _list_param(self, req: EmulatorRequest, name: str) -> list[str]:
        return [v for v in req.url.params.get_list(name) if v != ""]

    def _order(self, number: str) -> OrderRecord:
        record = self.state.orders.get(number)
        if record is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return record

    def _fo(self, ref: str) -> FulfillmentOrderRecord:
        fo = self.state.fulfillment_orders.get(int(ref)) if ref.isdigit() else None
        if fo is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return fo

    def _body(self, req: EmulatorRequest) -> dict[str, Any]:
        body = req.json()
        if not isinstance(body, dict):
            raise HTTPProblem(
                400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
            )
        return body

    # Routes ----------------------------------------------------------------------------
    def _routes_table(self) -> None:
        n = r"(?P<number>[^/]+)"
        i = r"(?P<id>\d+)"
        self.api("GET", "/orders/", "orders:read", self.list_orders)
        self.api("POST", "/orders/", "orders:write", self.create_order)
        self.api("GET", f"/orders/{n}/", "orders:read", self.get_order)
        self.api("PATCH", f"/orders/{n}/", "orders:write", self.patch_order)
        self.api("POST", f"/orders/{n}/cancel/", "orders:write", self.cancel_order)
        self.api("POST", f"/orders/{n}/refund/calculate/", "orders:write", self.calculate_refund)
        self.api("POST", f"/orders/{n}/refund/", "orders:write", self.refund_order)
        self.api("GET", f"/orders/{n}/fulfillment-orders/", "orders:read", self.order_fos)
        self.api("GET", "/users/", "users:read", self.list_users)
        self.api("POST", "/users/", "users:write", self.create_user)
        self.api("GET", f"/users/{i}/", "users:read", self.get_user)
        self.api("PATCH", f"/users/{i}/", "users:write", self.patch_user)
        self.api("GET", "/products/", "catalogue:read", self.list_products)
        self.api("POST", "/products/", "catalogue:write", self.create_product)
        self.api("GET", f"/products/{i}/", "catalogue:read", self.get_product)
        self.api("GET", "/transactions/", "transactions:read", self.list_transactions)
        self.api("GET", f"/transactions/{i}/", "transactions:read", self.get_transaction)
        self.api("GET", "/locations/", "locations:read", self.list_locations)
        fo = f"/fulfillment-orders/{i}"
        self.api("GET", f"{fo}/", "fulfillment_orders:read", self.get_fo)
        self.api("GET", f"{fo}/available-locations/", "fulfillment_orders:read", self.fo_locations)
        self.api("POST", f"{fo}/move/", "fulfillment_orders:write", self.move_fo)
        self.api("POST", f"{fo}/hold/", "fulfillment_orders:write", self.hold_fo)
        self.api(
            "POST", f"{fo}/cancellation-request/", "fulfillment_orders:write", self.cancel_request
        )
        self.api("POST", f"{fo}/fulfillment-request/", "fulfillment_orders:write", self.request_fo)

    # Orders ----------------------------------------------------------------------------
    def list_orders(self, req: EmulatorRequest, version: str) -> Response:
        rows = list(self.state.orders.values())
        for name, attr in (
            ("status", "status"),
            ("payment_status", "payment_status"),
            ("fulfillment_status", "fulfillment_status"),
        ):
            wanted = self._list_param(req, name)
            if wanted:
                rows = [o for o in rows if getattr(o, attr) in wanted]
        if req.query.get("date_placed_from"):
            low = _date(req.query["date_placed_from"], "date_placed_from")
            rows = [o for o in rows if o.date_placed.date() >= low]
        if req.query.get("date_placed_to"):
            high = _date(req.query["date_placed_to"], "date_placed_to")
            rows = [o for o in rows if o.date_placed.date() <= high]
        tags = self._list_param(req, "tags")
        if tags:
            rows = [o for o in rows if set(tags) & set(o.tags)]
        skus = self._list_param(req, "sku")
        if skus:
            rows = [o for o in rows if {line.sku for line in o.lines} & set(skus)]
        if req.query.get("order_number"):
            rows = [o for o in rows if o.number == req.query["order_number"]]
        rows.sort(key=lambda o: (o.date_placed, o.number), reverse=True)
        origin = req.origin
        return self._page(req, [render.order_row(self.state, o, version, origin) for o in rows])

    def get_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self._order(req.params["number"])
        return json_response(200, render.order(self.state, record, version, req.origin))

    def _address(self, value: Any, field: str, current: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid(field, "Invalid data. Expected a dictionary.")
        merged = {**(current or {}), **value}
        missing = [k for k in ("line1", "line4", "country") if not merged.get(k)]
        if missing:
            raise HTTPProblem(400, {field: {k: _required() for k in missing}})
        if not re.fullmatch(r"[A-Z]{2}", str(merged["country"])):
            raise HTTPProblem(
                400, {field: {"country": [f'"{merged["country"]}" is not a valid choice.']}}
            )
        merged.setdefault("first_name", "")
        merged.setdefault("last_name", "")
        merged["id"] = (current or {}).get("id") or self.state.next_id("order_address", 3000)
        return {k: v for k, v in merged.items() if v is not None}

    def patch_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self._order(req.params["number"])
        body = self._body(req)
        for key in ("shipping_address", "billing_address"):
            if key in body:
                value = body[key]
                current = getattr(record, key)
                setattr(record, key, None if value is None else self._address(value, key, current))
        if "tags" in body:
            if not isinstance(body["tags"], list):
                raise _invalid("tags", 'Expected a list of items but got type "str".')
            record.tags = [str(t) for t in body["tags"] if t]
        if "metadata" in body:
            record.metadata = body["metadata"]
        if "status" in body:
            record.status = str(body["status"])
        record.updated_at = self._now()
        return json_response(200, render.order(self.state, record, version, req.origin))

    def create_order(self, req: EmulatorRequest, version: str) -> Response:
        body = self._body(req)
        lines_in = body.get("lines")
        if not isinstance(lines_in, list) or not lines_in:
            raise HTTPProblem(400, {"lines": _required()})
        currency = str(body.get("currency") or "USD")
        errors: list[dict[str, Any]] = []
        lines: list[Line] = []
        for item in lines_in:
            problems: dict[str, Any] = {}
            found = None
            if not isinstance(item, dict) or "product_id" not in item:
                problems["product_id"] = _required()
            else:
                found = self.state.variant(_integer(item["product_id"], "product_id"))
                if found is None:
                    problems["product_id"] = [
                        f'Invalid pk "{item["product_id"]}" - object does not exist.'
                    ]
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if not isinstance(quantity, int) or quantity < 1:
                problems["quantity"] = ["Ensure this value is greater than or equal to 1."]
            errors.append(problems)
            if problems or found is None or not isinstance(item, dict):
                continue
            product, variant = found
            price = (
                _decimal(item["price"], "price")
                if item.get("price") is not None
                else Decimal(variant["prices"][0]["price"])
            )
            if not isinstance(quantity, int):  # pragma: no cover - rejected above
                continue
            lines.append(
                Line(
                    id=self.state.next_id("line", 1000),
                    product_id=product["id"],
                    variant_id=variant["id"],
                    sku=variant["sku"] or "",
                    product_title=product["title"],
                    variant_title=variant["title"],
                    price=price,
                    quantity=quantity,
                    current_quantity=quantity,
                    fulfillable_quantity=quantity,
                    requires_shipping=bool(variant["requires_shipping"]),
                    stockrecord_id=(variant["stockrecords"] or [{"id": 0}])[0]["id"],
                )
            )
        if any(errors):
            raise HTTPProblem(400, {"lines": errors})
        user_id = self._order_user(body.get("user"))
        now = self._now()
        placed = now
        if body.get("date_placed"):
            try:
                placed = datetime.fromisoformat(str(body["date_placed"]))
            except ValueError:
                raise _invalid("date_placed", "Datetime has wrong format.") from None
            if placed.tzinfo is None:
                raise _invalid("date_placed", "Datetime must include a UTC offset.")
        shipping = _decimal(body.get("shipping_price", "0"), "shipping_price")
        number = str(100001 + len(self.state.orders))
        while number in self.state.orders:
            number = str(int(number) + 1)
        external = body.get("payment_method") == "external"
        record = OrderRecord(
            number=number,
            user_id=user_id,
            currency=currency,
            lines=lines,
            shipping=shipping,
            shipping_address=self._address(body["shipping_address"], "shipping_address", None)
            if body.get("shipping_address")
            else None,
            billing_address=self._address(body["billing_address"], "billing_address", None)
            if body.get("billing_address")
            else None,
            date_placed=placed,
            created_at=now,
            updated_at=now,
            status=str(body.get("status") or "open"),
            payment_status="paid" if external else "pending",
            tags=[str(t) for t in body.get("tags") or () if t],
            metadata=body.get("metadata"),
            source="admin_api",
        )
        self.state.orders[number] = record
        if external:
            txn = TransactionRecord(
                id=self.state.next_id("transaction", 5000),
                order=number,
                user_id=user_id,
                type="debit",
                amount=record.total,
                currency=currency,
                date_created=placed,
                available_for_refund=record.total,
                is_external=True,
                gateway_name="External",
            )
            self.state.transactions[txn.id] = txn
            record.transaction_ids.append(txn.id)
        add_fulfillment_order(self.state, record, fulfilled=False)
        return json_response(201, render.order(self.state, record, version, req.origin))

    def _order_user(self, value: Any) -> int:
        if not isinstance(value, dict):
            raise HTTPProblem(400, {"user": _required()})
        if value.get("id") is not None:
            uid = _integer(value["id"], "user.id")
            if uid not in self.state.users:
                raise HTTPProblem(400, {"user": {"id": [f'Invalid pk "{uid}".']}})
            return uid
        email = value.get("email")
        if not email or not _EMAIL.match(str(email)):
            raise HTTPProblem(400, {"user": {"email": ["Enter a valid email address."]}})
        for uid, existing in self.state.users.items():
            if str(existing["email"]).lower() == str(email).lower():
                return uid
        return int(self._new_user({**value, "email": email})["id"])

    def cancel_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self._order(req.params["number"])
        body = self._body(req)
        reason = body.get("cancel_reason")
        if not isinstance(reason, str) or not reason.strip():
            raise HTTPProblem(400, {"cancel_reason": _required()})
        if record.status == "canceled":
            raise HTTPProblem(400, {"detail": "Order is already canceled."})
        record.status = "canceled"
        record.cancel_reason = reason
        for fo in self.state.fulfillment_orders.values():
            if fo.order_number == record.number and fo.status in ("open", "on_hold"):
                fo.status = "canceled"
                fo.updated_at = self._now()
        if body.get("full_refund"):
            # Cancelling with a full refund returns every remaining payment.
            allocations = []
            for tid in list(record.transaction_ids):
                txn = self.state.transactions[tid]
                left = self._refundable(txn)
                if left > 0:
                    allocations.append((txn, left))
            if allocations:
                self._apply_refund(record, allocations, [], Decimal(0), f"Canceled: {reason}")
        record.updated_at = self._now()
        return json_response(200, render.order(self.state, record, version, req.origin))

    # Refunds ---------------------------------------------------------------------------
    @staticmethod
    def _refundable(txn: TransactionRecord) -> Decimal:
        if txn.status != "succeeded":
            return Decimal(0)
        if txn.type == "debit":
            return txn.available_for_refund
        if txn.type == "authorize":
            return txn.amount  # voidable in full, never in part
        return Decimal(0)

    @staticmethod
    def _allowed_restock(line: Line) -> tuple[str, ...]:
        if line.fulfillable_quantity > 0:
            return ("cancel",)
        return ("return", "no_restock") if line.requires_shipping else ("no_restock",)

    def _refund_lines(
        self, record: OrderRecord, value: Any, restock_required: bool
    ) -> list[tuple[Line, int, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _invalid("refund_lines", 'Expected a list of items but got type "dict".')
        by_id = {line.id: line for line in record.lines}
        errors: list[dict[str, Any]] = []
        out: list[tuple[Line, int, str]] = []
        for item in value:
            problems: dict[str, list[str]] = {}
            if not isinstance(item, dict):
                errors.append({"non_field_errors": ["Invalid data."]})
                continue
            line_id = item.get("line_id")
            line = by_id.get(line_id) if isinstance(line_id, int) else None
            if "line_id" not in item:
                problems["line_id"] = _required()
            elif line is None:
                problems["line_id"] = [f"Line {item['line_id']} is not part of this order."]
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or quantity < 1:
                problems["quantity"] = ["Ensure this value is greater than or equal to 1."]
            restock = item.get("restock_type")
            if restock is None and restock_required:
                problems["restock_type"] = _required()
            elif restock is not None and restock not in RESTOCK_TYPES:
                problems["restock_type"] = [f'"{restock}" is not a valid choice.']
            if line is not None and isinstance(quantity, int) and not problems:
                refundable = line.current_quantity - line.refunded_quantity
                if quantity > refundable:
                    problems["quantity"] = [
                        f"Ensure this value is less than or equal to {refundable}."
                    ]
                allowed = self._allowed_restock(line)
                chosen = restock or allowed[-1]  # inferred: cancel, else no_restock
                if restock is not None and restock not in allowed:
                    state = "unfulfilled" if "cancel" in allowed else "fulfilled"
                    problems["restock_type"] = [
                        f'"{restock}" is not allowed for a {state} line; use '
                        + " or ".join(allowed)
                        + "."
                    ]
                if not problems:
                    out.append((line, quantity, chosen))
            errors.append(problems)
        if any(errors):
            raise HTTPProblem(400, {"refund_lines": errors})
        return out

    def _shipping_refund(self, record: OrderRecord, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        if not isinstance(value, dict):
            raise _invalid("refund_shipping", "Invalid data. Expected a dictionary.")
        left = record.shipping - record.shipping_refunded
        if value.get("full_refund"):
            return left
        amount = _decimal(value.get("amount_excl_tax", "0"), "amount_excl_tax")
        if amount < 0 or amount > left:
            raise HTTPProblem(
                400,
                {
                    "refund_shipping": {
                        "amount_excl_tax": [
                            f"Ensure this value is less than or equal to {money(left)}."
                        ]
                    }
                },
            )
        return amount

    def _check_capture(
        self, record: OrderRecord, lines: list[tuple[Line, int, str]], shipping: Decimal
    ) -> None:
        if record.payment_status not in ("authorized", "expiring"):
            return
        wanted = {line.id: qty for line, qty, _ in lines}
        partial = (
            any(wanted.get(line.id, 0) < line.current_quantity for line in record.lines)
            or shipping < record.shipping - record.shipping_refunded
        )
        if partial:
            raise HTTPProblem(
                400,
                {
                    "detail": "Order payments must be captured to create partial refunds; "
                    "uncaptured payments cannot be partially refunded."
                },
            )

    def _allocate(
        self, record: OrderRecord, total: Decimal
    ) -> list[tuple[TransactionRecord, Decimal]]:
        out = []
        remaining = total
        for tid in record.transaction_ids:
            txn = self.state.transactions[tid]
            left = self._refundable(txn)
            if remaining <= 0 or left <= 0:
                continue
            take = min(left, remaining)
            out.append((txn, take))
            remaining -= take
        if remaining > 0:
            raise HTTPProblem(
                400, {"detail": "Refund amount exceeds the amount available to refund."}
            )
        return out

    def calculate_refund(self, req: EmulatorRequest, version: str) -> Response:
        if version == "2023-02-10":
            raise HTTPProblem(404, {"detail": "Not found."})  # no such route before 2024-04-01
        record = self._order(req.params["number"])
        body = self._body(req)
        lines = self._refund_lines(record, body.get("refund_lines"), restock_required=False)
        shipping = self._shipping_refund(record, body.get("refund_shipping"))
        self._check_capture(record, lines, shipping)
        lines_total = sum((line.price * qty for line, qty, _ in lines), Decimal(0))
        total = lines_total + shipping
        allocations = self._allocate(record, total)
        origin = req.origin
        result = {
            "refund_lines": [
                {
                    "line_id": line.id,
                    "product_id": line.product_id,
                    "variant_id": line.variant_id,
                    "sku": line.sku,
                    "product_title": line.product_title,
                    "variant_title": line.variant_title,
                    "product_image": f"{origin}/media/products/{line.product_id}.png",
                    "product_url": f"{origin}/catalogue/{line.product_id}/",
                    "quantity": qty,
                    "refundable_quantity": line.current_quantity - line.refunded_quantity,
                    "restock_type": restock,
                    "amount_excl_tax": money(line.price * qty),
                    "amount_incl_tax": money(line.price * qty),
                    "total_tax": "0.00",
                }
                for line, qty, restock in lines
            ],
            "refund_shipping": {
                "shipping_code": "standard" if record.shipping else "free",
                "shipping_method": "Standard Shipping" if record.shipping else "Free Shipping",
                "amount_excl_tax": money(shipping),
                "amount_incl_tax": money(shipping),
                "total_tax": "0.00",
                "refundable_amount": money(record.shipping - record.shipping_refunded),
                "currency": record.currency,
            },
            "transactions": [
                {
                    "id": txn.id,
                    "type": txn.type,
                    "gateway_id": txn.gateway_id,
                    "gateway_name": txn.gateway_name,
                    "payment_method": "card_token",
                    "amount": money(amount),
                    "refundable_amount": money(self._refundable(txn)),
                }
                for txn, amount in allocations
            ],
            "amount_excl_tax": money(total),
            "amount_incl_tax": money(total),
            "total_tax": "0.00",
            "currency": record.currency,
        }
        return json_response(200, result)

    def refund_order(self, req: EmulatorRequest, version: str) -> Response:
        record = self._order(req.params["number"])
        body = self._body(req)
        if version == "2023-02-10":
            if "amount" not in body:
                raise HTTPProblem(400, {"amount": _required()})
            amount = _decimal(body["amount"], "amount")
            if amount <= 0:
                raise _invalid("amount", "Ensure this value is greater than 0.")
            available = sum(
                (self._refundable(self.state.transactions[t]) for t in record.transaction_ids),
                Decimal(0),
            )
            if amount > available:
                raise _invalid(
                    "amount", f"Ensure this value is less than or equal to {money(available)}."
                )
            if amount < record.total:
                self._check_capture(record, [], Decimal(0))
            self._apply_refund(record, self._allocate(record, amount), [], Decimal(0), None)
            return json_response(200, render.order(self.state, record, version, req.origin))
        txns_in = body.get("transactions")
        if not isinstance(txns_in, list):
            raise HTTPProblem(400, {"transactions": _required()})
        lines = self._refund_lines(record, body.get("refund_lines"), restock_required=True)
        shipping = self._shipping_refund(record, body.get("refund_shipping"))
        self._check_capture(record, lines, shipping)
        allocations: list[tuple[TransactionRecord, Decimal]] = []
        errors: list[dict[str, Any]] = []
        for item in txns_in:
            problems: dict[str, list[str]] = {}
            txn = None
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                problems["id"] = _required()
            else:
                txn = self.state.transactions.get(item["id"])
                if txn is None or txn.id not in record.transaction_ids:
                    problems["id"] = [f"Transaction {item['id']} is not a payment of this order."]
            requested = (
                _decimal(item.get("amount"), "amount")
                if isinstance(item, dict) and "amount" in item
                else None
            )
            if requested is None:
                problems["amount"] = _required()
            elif txn is not None and not problems:
                left = self._refundable(txn)
                if requested <= 0 or requested > left:
                    problems["amount"] = [
                        f"Ensure this value is less than or equal to {money(left)}."
                    ]
            errors.append(problems)
            if not problems and txn is not None and requested is not None:
                allocations.append((txn, requested))
        if any(errors):
            raise HTTPProblem(400, {"transactions": errors})
        note = body.get("note")
        refund = self._apply_refund(record, allocations, lines, shipping, note)
        return json_response(200, refund)

    def _apply_refund(
        self,
        record: OrderRecord,
        allocations: list[tuple[TransactionRecord, Decimal]],
        lines: list[tuple[Line, int, str]],
        shipping: Decimal,
        note: Any,
    ) -> dict[str, Any]:
        now = self._now()
        refund_txns = []
        for txn, amount in allocations:
            if txn.type == "authorize":
                kind = "void"
                txn.available_for_refund = Decimal(0)
                txn.status = "succeeded"
            else:
                kind = "refund"
                txn.available_for_refund -= amount
            child = TransactionRecord(
                id=self.state.next_id("transaction", 5000),
                order=record.number,
                user_id=record.user_id,
                type=kind,
                amount=amount,
                currency=record.currency,
                date_created=now,
                parent_id=txn.id,
            )
            if kind == "void":
                # Voiding an authorization cancels the whole payment.
                record.payment_status = "voided"
            self.state.transactions[child.id] = child
            record.transaction_ids.append(child.id)
            refund_txns.append(child)
        for line, qty, restock in lines:
            line.refunded_quantity += qty
            if restock == "cancel":
                line.current_quantity -= qty
                line.refunded_quantity -= qty
                line.fulfillable_quantity = max(0, line.fulfillable_quantity - qty)
                self._shrink_fulfillment(record, line, qty)
        record.shipping_refunded += shipping
        if record.payment_status != "voided":
            left = sum(
                (self.state.transactions[t].available_for_refund for t in record.transaction_ids),
                Decimal(0),
            )
            record.payment_status = "refunded" if left <= 0 else "partially_refunded"
        record.updated_at = now
        total = sum((amount for _, amount in allocations), Decimal(0))
        lines_total = sum((line.price * qty for line, qty, _ in lines), Decimal(0))
        refund_id = self.state.next_id("refund", 800)
        adjustments = []
        if shipping:
            adjustments.append(
                {
                    "id": self.state.next_id("refund_adjustment", 850),
                    "type": "refund_shipping",
                    "amount_excl_tax": money(shipping),
                    "amount_incl_tax": money(shipping),
                    "report_values": {
                        "amount_excl_tax": money(shipping),
                        "amount_incl_tax": money(shipping),
                        "currency": record.currency,
                    },
                }
            )
        refund = {
            "id": refund_id,
            "order_number": record.number,
            "user_id": record.user_id,
            "created_at": iso(now),
            "note": note if isinstance(note, str) else None,
            "total_refund_amount": money(total),
            "total_return_excl_tax": money(lines_total),
            "total_return_incl_tax": money(lines_total),
            "refund_line_items": [
                {
                    "id": self.state.next_id("refund_line", 860),
                    "line_item_id": line.id,
                    "location_id": 1,
                    "quantity": qty,
                    "restock_type": restock,
                    "amount_excl_tax": money(line.price * qty),
                    "amount_incl_tax": money(line.price * qty),
                    "report_values": {
                        "amount_excl_tax": money(line.price * qty),
                        "amount_incl_tax": money(line.price * qty),
                        "currency": record.currency,
                    },
                }
                for line, qty, restock in lines
            ],
            "adjustments": adjustments,
            "transactions": [render.transaction(self.state, t, "object") for t in refund_txns],
            "report_values": {
                "currency": record.currency,
                "total_refund_amount": money(total),
                "total_return_excl_tax": money(lines_total),
                "total_return_incl_tax": money(lines_total),
            },
        }
        record.refunds.append(refund)
        return refund

    def _shrink_fulfillment(self, record: OrderRecord, line: Line, qty: int) -> None:
        for fo in self.state.fulfillment_orders.values():
            if fo.order_number != record.number or fo.status in ("closed", "canceled"):
                continue
            for entry in fo.line_items:
                if entry["order_line_id"] == line.id and qty > 0:
                    take = min(qty, entry["quantity"])
                    entry["quantity"] -= take
                    qty -= take
            fo.line_items = [e for e in fo.line_items if e["quantity"] > 0]
            if not fo.line_items:
                fo.status = "closed"

    # Fulfillment orders ----------------------------------------------------------------
    def order_fos(self, req: EmulatorRequest, version: str) -> Response:
        record = self._order(req.params["number"])
        rows = [
            render.fulfillment_order(self.state, fo, req.origin)
            for fo in self.state.fulfillment_orders.values()
            if fo.order_number == record.number
        ]
        # Described as a list by the vendor; answered as a bare array (see the docs page).
        return json_response(200, rows)

    def get_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        return json_response(200, render.fulfillment_order(self.state, fo, req.origin))

    def _line_of(self, fo: FulfillmentOrderRecord, entry: dict[str, Any]) -> Line:
        record = self.state.orders[fo.order_number]
        return next(line for line in record.lines if line.id == entry["order_line_id"])

    def fo_locations(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        result = []
        for loc_id, loc in sorted(self.state.locations.items()):
            if loc_id == fo.location_id:
                continue
            line_ids = []
            for entry in fo.line_items:
                found = self.state.variant(self._line_of(fo, entry).variant_id)
                if found is None:
                    continue
                stock = {s["location_id"]: s for s in found[1]["stockrecords"]}
                held = stock.get(loc_id)
                if held and (held["num_in_stock"] or 0) >= entry["quantity"]:
                    line_ids.append(entry["id"])
            if line_ids:
                result.append(
                    {"id": loc_id, "name": loc["name"], "fulfillment_order_line_ids": line_ids}
                )
        return json_response(200, {"available_locations": result})

    def _split(
        self, fo: FulfillmentOrderRecord, picked: dict[int, int | None]
    ) -> tuple[FulfillmentOrderRecord, FulfillmentOrderRecord | None]:
        """Split ``picked`` (line id -> quantity, None for all) off ``fo`` into a new one."""
        now = self._now()
        moved_items, kept_items = [], []
        for entry in fo.line_items:
            if entry["id"] not in picked:
                kept_items.append(entry)
                continue
            quantity = picked[entry["id"]] or entry["quantity"]
            moved_items.append(
                {
                    "id": self.state.next_id("fulfillment_order_line", 9500),
                    "order_line_id": entry["order_line_id"],
                    "quantity": quantity,
                }
            )
            if quantity < entry["quantity"]:
                kept_items.append({**entry, "quantity": entry["quantity"] - quantity})
        new = FulfillmentOrderRecord(
            id=self.state.next_id("fulfillment_order", 9000),
            order_number=fo.order_number,
            location_id=fo.location_id,
            line_items=moved_items,
            created_at=now,
            updated_at=now,
        )
        self.state.fulfillment_orders[new.id] = new
        fo.updated_at = now
        if kept_items:
            fo.line_items = kept_items
            return new, fo
        fo.status = "closed"
        fo.request_status = "closed"
        return new, None

    def _picked(
        self, fo: FulfillmentOrderRecord, value: Any, with_quantity: bool
    ) -> dict[int, int | None]:
        if value in (None, []):
            return {entry["id"]: None for entry in fo.line_items}
        if not isinstance(value, list):
            raise _invalid("fulfillment_order_line_items", "Expected a list of items.")
        mine = {entry["id"]: entry for entry in fo.line_items}
        picked: dict[int, int | None] = {}
        errors: list[dict[str, Any]] = []
        for item in value:
            problems: dict[str, list[str]] = {}
            ref = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ref, int) or ref not in mine:
                problems["id"] = [f"Line item {ref} is not part of this fulfillment order."]
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if with_quantity and not problems:
                most = mine[ref]["quantity"]
                if not isinstance(quantity, int) or not 1 <= quantity <= most:
                    problems["quantity"] = [f"Ensure this value is between 1 and {most}."]
            errors.append(problems)
            if not problems:
                picked[ref] = quantity if with_quantity else None  # type: ignore[index]
        if any(errors):
            raise HTTPProblem(400, {"fulfillment_order_line_items": errors})
        return picked

    def move_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = self._body(req)
        if "new_location_id" not in body:
            raise HTTPProblem(400, {"new_location_id": _required()})
        target = _integer(body["new_location_id"], "new_location_id")
        if target not in self.state.locations:
            raise _invalid("new_location_id", f'Invalid pk "{target}" - object does not exist.')
        if fo.status != "open":
            raise HTTPProblem(
                400,
                {
                    "detail": f'Fulfillment order status is "{fo.status}"; only open '
                    "fulfillment orders can be moved."
                },
            )
        if target == fo.location_id:
            raise _invalid("new_location_id", "The fulfillment order is already at this location.")
        picked = self._picked(fo, body.get("fulfillment_order_line_items"), with_quantity=False)
        moved, _ = self._split(fo, picked)
        moved.location_id = target
        origin = req.origin
        return json_response(
            200,
            {
                "original_fulfillment_order": render.fulfillment_order(self.state, fo, origin),
                "moved_fulfillment_order": render.fulfillment_order(self.state, moved, origin),
            },
        )

    def hold_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = self._body(req)
        reason = body.get("reason")
        if reason is None:
            raise HTTPProblem(400, {"reason": _required()})
        if reason not in HOLD_REASONS:
            raise _invalid("reason", f'"{reason}" is not a valid choice.')
        if fo.status != "open":
            raise HTTPProblem(
                400, {"detail": f'Fulfillment order status is "{fo.status}"; it cannot be held.'}
            )
        fo.status = "on_hold"
        fo.holds.append(
            {
                "reason": reason,
                "reason_message": body.get("reason_message"),
                "created_at": iso(self._now()),
            }
        )
        fo.updated_at = self._now()
        return json_response(200, render.fulfillment_order(self.state, fo, req.origin))

    def cancel_request(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = self._body(req)
        if fo.status != "processing":
            raise HTTPProblem(
                400,
                {
                    "detail": f'Fulfillment order status is "{fo.status}"; only a processing '
                    "fulfillment order can be asked to cancel."
                },
            )
        fo.merchant_requests.append(
            {"type": "cancel_request", "message": body.get("message"), "notify": False}
        )
        fo.request_status = "cancel_requested"
        if self.auto_accept_cancellation:
            fo.request_status = "cancel_accepted"
            fo.status = "open"
        fo.updated_at = self._now()
        return json_response(200, render.fulfillment_order(self.state, fo, req.origin))

    def request_fo(self, req: EmulatorRequest, version: str) -> Response:
        fo = self._fo(req.params["id"])
        body = self._body(req)
        if fo.status != "open":
            raise HTTPProblem(
                400,
                {"detail": f'Fulfillment order status is "{fo.status}"; it cannot be requested.'},
            )
        picked = self._picked(fo, body.get("fulfillment_order_line_items"), with_quantity=True)
        before = render.fulfillment_order(self.state, fo, req.origin)
        if len(picked) == len(fo.line_items) and all(
            picked[e["id"]] in (None, e["quantity"]) for e in fo.line_items
        ):
            requested, rest = fo, None
        else:
            requested, rest = self._split(fo, picked)
        requested.status = "processing"
        requested.request_status = "requested"
        requested.merchant_requests.append(
            {
                "type": "fulfill_request",
                "message": body.get("message"),
                "notify": bool(body.get("notify", True)),
            }
        )
        origin = req.origin
        return json_response(
            200,
            {
                "original_fulfillment_order": before,
                "requested_fulfillment_order": render.fulfillment_order(
                    self.state, requested, origin
                ),
                "unrequested_fulfillment_order": render.fulfillment_order(self.state, rest, origin)
                if rest is not None
                else None,
            },
        )

    # Users -----------------------------------------------------------------------------
    def list_users(self, req: EmulatorRequest, version: str) -> Response:
        rows = list(self.state.users.values())
        if req.query.get("email"):
            rows = [u for u in rows if str(u["email"]).lower() == req.query["email"].lower()]
        if req.query.get("date_joined_from"):
            low = _date(req.query["date_joined_from"], "date_joined_from").isoformat()
            rows = [u for u in rows if str(u["date_joined"])[:10] >= low]
        if req.query.get("date_joined_to"):
            high = _date(req.query["date_joined_to"], "date_joined_to").isoformat()
            rows = [u for u in rows if str(u["date_joined"])[:10] <= high]
        rows.sort(key=lambda u: u["id"], reverse=True)
        return self._page(req, [render.user(self.state, u) for u in rows])

    def _user(self, ref: str) -> dict[str, Any]:
        found = self.state.users.get(int(ref))
        if found is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return found

    def get_user(self, req: EmulatorRequest, version: str) -> Response:
        return json_response(200, render.user(self.state, self._user(req.params["id"])))

    def _check_user_fields(self, body: dict[str, Any], own_id: int | None) -> None:
        if "email" in body:
            email = body["email"]
            if not isinstance(email, str) or not _EMAIL.match(email):
                raise _invalid("email", "Enter a valid email address.")
            for uid, existing in self.state.users.items():
                if uid != own_id and str(existing["email"]).lower() == email.lower():
                    raise _invalid("email", "user with this email already exists.")
        for key in ("first_name", "last_name"):
            if key in body and (not isinstance(body[key], str) or len(body[key]) > 255):
                raise _invalid(key, "Ensure this field has no more than 255 characters.")
        if "tags" in body and not isinstance(body["tags"], list):
            raise _invalid("tags", 'Expected a list of items but got type "str".')

    def _new_user(self, body: dict[str, Any]) -> dict[str, Any]:
        uid = self.state.next_id("user", 100)
        addresses = []
        for index, item in enumerate(body.get("addresses") or ()):
            if not isinstance(item, dict):
                raise HTTPProblem(400, {"addresses": [{"non_field_errors": ["Invalid data."]}]})
            missing = [k for k in ("line1", "line4", "country") if not item.get(k)]
            if missing:
                errors: list[dict[str, Any]] = [{} for _ in range(index)]
                errors.append({k: _required() for k in missing})
                raise HTTPProblem(400, {"addresses": errors})
            addresses.append(
                {
                    **item,
                    "id": self.state.next_id("address", 500),
                    "is_default_for_billing": index == 0,
                    "is_default_for_shipping": index == 0,
                }
            )
        record = {
            "id": uid,
            "email": body["email"],
            "first_name": body.get("first_name", ""),
            "last_name": body.get("last_name", ""),
            "phone_number": body.get("phone_number"),
            "language": body.get("language", "en"),
            "accepts_marketing": bool(body.get("accepts_marketing", False)),
            "is_blocked": bool(body.get("is_blocked", False)),
            "ip": body.get("ip"),
            "user_agent": body.get("user_agent"),
            "tags": [str(t) for t in body.get("tags") or () if t],
            "metadata": body.get("metadata"),
            "addresses": addresses,
            "date_joined": iso(self._now()),
            "user_type": "customer",
        }
        self.state.users[uid] = record
        return record

    def create_user(self, req: EmulatorRequest, version: str) -> Response:
        body = self._body(req)
        if not body.get("email"):
            raise HTTPProblem(400, {"email": _required()})
        self._check_user_fields(body, None)
        record = self._new_user(body)
        return json_response(201, render.user(self.state, record))

    def patch_user(self, req: EmulatorRequest, version: str) -> Response:
        record = self._user(req.params["id"])
        body = self._body(req)
        self._check_user_fields(body, record["id"])
        writable = (
            "email", "first_name", "last_name", "phone_number", "language",
            "accepts_marketing", "is_blocked", "ip", "user_agent", "tags", "metadata",
        )  # fmt: skip
        for key in writable:
            if key in body:
                record[key] = body[key]
        return json_response(200, render.user(self.state, record))

    # Products --------------------------------------------------------------------------
    def list_products(self, req: EmulatorRequest, version: str) -> Response:
        rows = list(self.state.products.values())
        skus = self._list_param(req, "sku")
        if skus:
            rows = [p for p in rows if {v["sku"] for v in p["variants"]} & set(skus)]
        if req.query.get("title"):
            needle = req.query["title"].lower()
            rows = [p for p in rows if needle in p["title"].lower()]
        rows.sort(key=lambda p: p["id"], reverse=True)
        listed = []
        for p in rows:
            item = render.product(p, req.origin)
            for key in ("description", "meta_title", "meta_description", "template"):
                item.pop(key, None)
            listed.append(item)
        return self._page(req, listed)

    def get_product(self, req: EmulatorRequest, version: str) -> Response:
        found = self.state.products.get(int(req.params["id"]))
        if found is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return json_response(200, render.product(found, req.origin))

    def create_product(self, req: EmulatorRequest, version: str) -> Response:
        body = self._body(req)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise HTTPProblem(400, {"title": _required()})
        known = {v["sku"] for p in self.state.products.values() for v in p["variants"]}
        now = iso(self._now())
        pid = self.state.next_id("product", 10)
        variants = []
        errors: list[dict[str, Any]] = []
        for item in body.get("variants") or [{}]:
            problems: dict[str, list[str]] = {}
            sku = item.get("sku") if isinstance(item, dict) else None
            if sku and sku in known:
                problems["sku"] = ["product variant with this sku already exists."]
            prices = item.get("prices") or [] if isinstance(item, dict) else []
            for price in prices:
                _decimal(price.get("price"), "price")
            stockrecords = []
            for entry in item.get("stockrecords") or () if isinstance(item, dict) else ():
                loc = entry.get("location_id")
                if loc not in self.state.locations:
                    problems["stockrecords"] = [f'Invalid pk "{loc}" - object does not exist.']
                    continue
                stockrecords.append(
                    {
                        "id": self.state.next_id("stockrecord", 700),
                        "location_id": loc,
                        "num_in_stock": entry.get("num_in_stock"),
                        "num_allocated": 0,
                        "low_stock_threshold": entry.get("low_stock_threshold", 0),
                    }
                )
            errors.append(problems)
            if problems or not isinstance(item, dict):
                continue
            known.add(sku)
            variants.append(
                {
                    "id": self.state.next_id("variant", 200),
                    "product_id": pid,
                    "sku": sku,
                    "title": title,
                    "upc": item.get("upc"),
                    "prices": [
                        {
                            "currency": p.get("currency", "USD"),
                            "price": money(Decimal(str(p["price"]))),
                            "retail": None,
                        }
                        for p in prices
                    ],
                    "stockrecords": stockrecords,
                    "track_stock": bool(item.get("track_stock", True)),
                    "allow_backorders": bool(item.get("allow_backorders", False)),
                    "requires_shipping": bool(item.get("requires_shipping", True)),
                    "unit_cost": "0.00",
                    "metadata": item.get("metadata"),
                    "date_created": now,
                    "date_updated": now,
                }
            )
        if any(errors):
            raise HTTPProblem(400, {"variants": errors})
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
        record = {
            "id": pid,
            "title": title,
            "slug": f"{slug}-{pid}",
            "description": body.get("description", ""),
            "structure": "parent" if len(variants) > 1 else "standalone",
            "is_public": bool(body.get("is_public", True)),
            "metadata": body.get("metadata"),
            "variants": variants,
            "date_created": now,
            "date_updated": now,
        }
        self.state.products[pid] = record
        return json_response(201, render.product(record, req.origin))

    # Transactions, locations ---------------------------------------------------------
    def list_transactions(self, req: EmulatorRequest, version: str) -> Response:
        rows = sorted(self.state.transactions.values(), key=lambda t: t.id, reverse=True)
        if req.query.get("type"):
            rows = [t for t in rows if t.type == req.query["type"]]
        return self._page(req, [render.transaction(self.state, t, "list") for t in rows])

    def get_transaction(self, req: EmulatorRequest, version: str) -> Response:
        txn = self.state.transactions.get(int(req.params["id"]))
        if txn is None:
            raise HTTPProblem(404, {"detail": "Not found."})
        return json_response(200, render.transaction(self.state, txn, "detail"))

    def list_locations(self, req: EmulatorRequest, version: str) -> Response:
        return self._page(
            req, [render.location(loc) for _, loc in sorted(self.state.locations.items())]
        )
