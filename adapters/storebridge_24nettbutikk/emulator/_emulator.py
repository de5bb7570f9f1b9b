"""An emulated 24Nettbutikk shop: ``/api/v1`` routes, auth, path paging, HEAD, PATCH."""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from storebridge import _http
from storebridge.sandbox import Emulator, EmulatorRequest, HTTPProblem, LeakyBucket
from storebridge.sandbox.clock import Clock
from storebridge_24nettbutikk.emulator._options import EmulatorOptions
from storebridge_24nettbutikk.emulator._seed import make_customers, make_orders, make_products

API = "/api/v1"
RESOURCES = ("orders", "products", "customers")
_KEY = {"orders": "order_no", "products": "id", "customers": "id"}
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]*$")
_TRUTHY = {"1", "true", "yes", "on"}
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"

Response = _http.Response


class NettbutikkEmulator(Emulator):
    """A 24Nettbutikk shop in memory, seeded deterministically.

    ``options`` switches the behaviours the research notes mark as inferred; see
    :class:`EmulatorOptions`. ``touch(resource, key, **fields)`` changes a record the way the
    shop admin would (bumping ``modified_on`` to the emulator clock's now).
    """

    platform = "24nettbutikk"

    def __init__(
        self,
        *,
        seed: int = 1,
        orders: int = 25,
        customers: int | None = None,
        products: int | None = None,
        options: EmulatorOptions | None = None,
        clock: Clock | None = None,
        latency: float = 0.0,
        limit_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock, latency=latency)
        self.options = options or EmulatorOptions()
        self.token = self.options.token
        self.zone = ZoneInfo(self.options.time_zone)
        rng = random.Random(seed)
        n_products = products if products is not None else max(3, orders // 3)
        n_customers = customers if customers is not None else max(1, (orders + 1) // 2)
        self.products = make_products(rng, n_products)
        self.customers = make_customers(rng, n_customers)
        self.orders = (
            make_orders(rng, orders, self.customers, self.products, self.options.currency)
            if self.products
            else []
        )
        self.bucket = (
            LeakyBucket(self.options.rate_limit, self.options.rate_burst, limit_clock)
            if self.options.rate_limit
            else None
        )
        for resource in RESOURCES:
            self.route("HEAD", rf"{API}/{resource}/?", self._guard(self.head))
        self.route("GET", rf"{API}/?", self._guard(self.root))
        self.route("GET", rf"{API}/orders/(?P<no>[^/]+)/lines/?", self._guard(self.get_lines))
        self.route(
            "GET",
            rf"{API}/orders/(?P<no>[^/]+)/lines/(?P<line>[^/]+)/?",
            self._guard(self.get_line),
        )
        self.route(
            "PATCH",
            rf"{API}/orders/(?P<no>[^/]+)/lines/(?P<line>[^/]+)/?",
            self._guard(self.patch_line),
        )
        self.route("PATCH", rf"{API}/orders/(?P<no>[^/]+)/?", self._guard(self.patch_order))
        self.route("PATCH", rf"{API}/products/(?P<id>[^/]+)/?", self._guard(self.patch_product))
        self.route(
            "GET",
            rf"{API}/(?P<resource>orders|products|customers)(?P<segments>(?:/[^/]*)*)",
            self._guard(self.get),
        )

    # Framework hooks -------------------------------------------------------------------
    def not_found(self, request: EmulatorRequest) -> Response:
        return Response(404, content=b"")

    def _guard(self, handler: Callable[[EmulatorRequest], Response]) -> Any:
        def guarded(req: EmulatorRequest) -> Response:
            if self.bucket is not None:
                wait = self.bucket.admit(self.token)
                if wait is not None:
                    raise HTTPProblem(429, None, {"Retry-After": str(math.ceil(wait))})
            self._authenticate(req)
            return handler(req)

        return guarded

    def _authenticate(self, req: EmulatorRequest) -> None:
        if req.query.get("access_token") == self.token:
            return
        header = req.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", "?"
            if user == self.token and password in ("", "x-oauth-basic"):
                return
        raise HTTPProblem(401, None, {"WWW-Authenticate": 'Basic realm="24Nettbutikk API"'})

    # Time ------------------------------------------------------------------------------
    def local(self, instant: float) -> str:
        return datetime.fromtimestamp(instant, self.zone).strftime(LOCAL_FORMAT)

    def server_unix(self, instant: float) -> int:
        """What the server compares with since/until: its local wall time read back (the
        first reading in a repeated DST hour), as a database would."""
        naive = datetime.strptime(self.local(instant), LOCAL_FORMAT)
        return int(naive.replace(tzinfo=self.zone, fold=0).timestamp())

    def now(self) -> float:
        return float(self.clock.now())

    # Rendering -------------------------------------------------------------------------
    def _scalar(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return ("1" if value else "0") if self.options.string_scalars else int(value)
        if isinstance(value, Decimal):
            return f"{value:.2f}" if self.options.string_scalars else float(value)
        if isinstance(value, int):
            return str(value) if self.options.string_scalars else value
        return value

    def _row(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (v if isinstance(v, dict | list) else self._scalar(v)) for k, v in fields.items()
        }

    def order_row(self, order: dict[str, Any]) -> dict[str, Any]:
        placed = datetime.fromtimestamp(order["placed"], self.zone)
        skip = {"placed", "lines", "modified"}
        row = self._row({k: v for k, v in order.items() if k not in skip})
        row.update(
            order_date=placed.strftime("%Y-%m-%d"),
            order_time=placed.strftime("%H:%M:%S"),
            sent_date=_sent_date(order),
            deletion_date=None,
            deleted_by=None,
            effecting_date=placed.strftime("%Y-%m-%d") if order["effected"] else None,
            tracking_number=None,
            modified_on=self.local(order["modified"]),
            order_lines=[self.line_row(order, line) for line in order["lines"]],
        )
        return row

    def line_row(self, order: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        row = self._row({k: v for k, v in line.items() if k != "attributes"})
        row["order_no"] = self._scalar(order["order_no"])
        if line.get("attributes"):
            row["attributes"] = dict(line["attributes"])
        return row

    def product_rows(self, product: dict[str, Any], flat: bool) -> list[dict[str, Any]]:
        skip = {"variants", "attributes", "modified"}
        base = self._row({k: v for k, v in product.items() if k not in skip})
        base.update(
            image=f"https://cdn.example/produkt/{product['id']}.jpg",
            link=f"/produkt/{product['id']}",
            additional_text=None,
            length=None,
            height=None,
            width=None,
            volume=None,
            modified_on=self.local(product["modified"]),
        )
        variants = product["variants"]
        if not flat:
            base.update(
                unique_product_id=None,
                variant=None,
                # PHP's json_encode turns an empty map into [].
                attributes=dict(product["attributes"]) if product["attributes"] else [],
            )
            if variants:
                base["stock"] = self._scalar(sum(v["stock"] for v in variants))
            return [base]
        if not variants:
            return [{**base, "unique_product_id": str(product["id"]), "variant": None}]
        return [
            {
                **base,
                "unique_product_id": v["uid"],
                "variant": v["label"],
                "article_no": v["article_no"],
                "price": self._scalar(v["price"]),
                "stock": self._scalar(v["stock"]),
            }
            for v in variants
        ]

    def customer_row(self, customer: dict[str, Any]) -> dict[str, Any]:
        row = self._row(
            {k: v for k, v in customer.items() if k not in ("registration", "modified")}
        )
        row["registration_date"] = self.local(customer["registration"])
        row["modified_on"] = self.local(customer["modified"])
        return row

    def _encode(
        self, req: EmulatorRequest, body: Any, headers: dict[str, str] | None = None
    ) -> Response:
        text = json.dumps(body, ensure_ascii=False)
        charset = "ISO-8859-1" if self.options.encoding == "latin-1" else "UTF-8"
        content_type = f"application/json; charset={charset}"
        callback = req.query.get("callback")
        if callback:
            if not _CALLBACK.match(callback):
                raise HTTPProblem(400, None)
            text = f"{callback}({text});"
            content_type = f"application/javascript; charset={charset}"
        content = text.encode(self.options.encoding, errors="replace")
        return Response(
            200, content=content, headers={"Content-Type": content_type, **(headers or {})}
        )

    # Reading ---------------------------------------------------------------------------
    def table(self, resource: str) -> list[dict[str, Any]]:
        tables: dict[str, list[dict[str, Any]]] = {
            "orders": self.orders,
            "products": self.products,
            "customers": self.customers,
        }
        return tables[resource]

    def last_modified(self, resource: str) -> str | None:
        rows = self.table(resource)
        if not rows:
            return None
        newest = max(r["modified"] for r in rows)
        return format_datetime(datetime.fromtimestamp(math.floor(newest), UTC), usegmt=True)

    def head(self, req: EmulatorRequest) -> Response:
        resource = req.path[len(API) :].strip("/")
        if resource != "orders" and not self.options.head_on_all:
            raise HTTPProblem(405, None)
        stamp = self.last_modified(resource)
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        if stamp is not None:
            headers["Last-Modified"] = stamp
        return Response(200, content=b"", headers=headers)

    def root(self, req: EmulatorRequest) -> Response:
        return self._encode(
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
        resource = req.params["resource"]
        segments = [s for s in req.params.get("segments", "").split("/") if s]
        flat = req.query.get("flat", "0").strip().lower() in _TRUTHY
        if len(segments) == 1:
            return self._encode(req, {"data": self._one(resource, segments[0], flat)})
        if len(segments) > 4 or not all(s.isdigit() for s in segments):
            raise HTTPProblem(400, None)
        if resource == "customers" and segments and not self.options.customer_paging:
            raise HTTPProblem(400, None)
        numbers = [int(s) for s in segments]
        limit, offset = (numbers[0], numbers[1]) if numbers else (100, 0)
        if resource == "customers" and not self.options.customer_paging:
            limit = max(1, len(self.customers))
        since = numbers[2] if len(numbers) > 2 else None
        until = numbers[3] if len(numbers) > 3 else None
        if limit < 1:
            raise HTTPProblem(400, None)
        rows = self._listing(resource, since, until, flat)
        page = rows[offset : offset + limit]
        if not page and self.options.empty_list == "404":
            raise HTTPProblem(404, None)
        paging: dict[str, str] = {}
        if offset > 0 and rows:
            paging["prev"] = self._link(
                req, resource, limit, max(0, min(offset, len(rows)) - limit), since, until
            )
        if offset + limit < len(rows):
            paging["next"] = self._link(req, resource, limit, offset + limit, since, until)
        headers = {}
        stamp = self.last_modified(resource)
        if stamp:
            headers["Last-Modified"] = stamp
        return self._encode(req, {"data": page, "paging": paging or []}, headers)

    def _one(self, resource: str, key: str, flat: bool) -> list[dict[str, Any]]:
        record = self.find(resource, key)
        if record is None:
            raise HTTPProblem(404, None)
        if resource == "orders":
            return [self.order_row(record)]
        if resource == "customers":
            return [self.customer_row(record)]
        return self.product_rows(record, flat)

    def find(self, resource: str, key: str) -> dict[str, Any] | None:
        if not key.isdigit():
            return None
        for record in self.table(resource):
            if str(record[_KEY[resource]]) == key:
                return record
        return None

    def _listing(
        self, resource: str, since: int | None, until: int | None, flat: bool
    ) -> list[dict[str, Any]]:
        inclusive = self.options.bounds == "inclusive"

        def inside(record: dict[str, Any]) -> bool:
            moment = self.server_unix(record["modified"])
            if since is not None and (moment < since if inclusive else moment <= since):
                return False
            return not (until is not None and (moment > until if inclusive else moment >= until))

        key = _KEY[resource]
        records = [r for r in self.table(resource) if inside(r)]
        if self.options.sort == "key":
            records.sort(key=lambda r: int(r[key]))
        else:
            records.sort(
                key=lambda r: (self.local(r["modified"]), int(r[key])),
                reverse=self.options.sort == "newest",
            )
        if resource == "orders":
            return [self.order_row(r) for r in records]
        if resource == "customers":
            return [self.customer_row(r) for r in records]
        return [row for r in records for row in self.product_rows(r, flat)]

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
        url = _http.URL("/".join(parts))
        return str(url.copy_merge_params(kept) if kept else url)

    def get_lines(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        return self._encode(req, {"data": [self.line_row(order, ln) for ln in order["lines"]]})

    def get_line(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        line = self._line(order, req.params["line"])
        return self._encode(req, {"data": [self.line_row(order, line)]})

    def _order(self, req: EmulatorRequest) -> dict[str, Any]:
        order = self.find("orders", req.params["no"])
        if order is None:
            raise HTTPProblem(404, None)
        return order

    @staticmethod
    def _line(order: dict[str, Any], line_id: str) -> dict[str, Any]:
        lines: list[dict[str, Any]] = order["lines"]
        for line in lines:
            if str(line["id"]) == line_id:
                return line
        raise HTTPProblem(404, None)

    # Writes ------------------------------------------------------------------------------
    def _patch_body(self, req: EmulatorRequest, allowed: set[str]) -> dict[str, Any]:
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body else None
        except ValueError:
            raise HTTPProblem(400, None) from None
        if not isinstance(body, dict) or not body or set(body) - allowed:
            raise HTTPProblem(400, None)
        return body

    def patch_order(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        body = self._patch_body(req, {"status"})
        if not isinstance(body["status"], str | int) or isinstance(body["status"], bool):
            raise HTTPProblem(400, None)
        order["status"] = str(body["status"])
        order["modified"] = self.now()
        return self._encode(req, {"data": [self.order_row(order)]})

    def patch_line(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        line = self._line(order, req.params["line"])
        body = self._patch_body(req, {"sent", "sent_date", "extra_field"})
        if "sent" in body:
            flag = str(body["sent"]).strip().lower()
            if flag not in ("0", "1", "true", "false"):
                raise HTTPProblem(400, None)
            line["sent"] = flag in ("1", "true")
            line["quantity_sent"] = line["quantity"] if line["sent"] else 0
        if "sent_date" in body:
            value = body["sent_date"]
            if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise HTTPProblem(400, None)
            line["sent_date"] = value
        if "extra_field" in body:
            line["extra_field"] = None if body["extra_field"] is None else str(body["extra_field"])
        order["modified"] = self.now()
        return self._encode(req, {"data": [self.line_row(order, line)]})

    def patch_product(self, req: EmulatorRequest) -> Response:
        key = req.params["id"]
        flat = req.query.get("flat", "0").strip().lower() in _TRUTHY
        body = self._patch_body(req, {"stock"})
        stock = body["stock"]
        if (
            isinstance(stock, bool)
            or not isinstance(stock, int | str)
            or not str(stock).lstrip("-").isdigit()
        ):
            raise HTTPProblem(400, None)
        product, variant = self._stock_target(key, flat)
        (variant or product)["stock"] = int(stock)
        product["modified"] = self.now()
        return self._encode(req, {"data": self.product_rows(product, flat)})

    def _stock_target(self, key: str, flat: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
        product = self.find("products", key)
        if product is not None:
            if product["variants"]:
                raise HTTPProblem(400, None)  # which variant? (inferred: ask for flat=1 ids)
            return product, None
        if flat:
            for candidate in self.products:
                for variant in candidate["variants"]:
                    if variant["uid"] == key:
                        return candidate, variant
        raise HTTPProblem(404, None)

    # Test helpers -------------------------------------------------------------------------
    def touch(self, resource: str, key: int | str, **fields: Any) -> dict[str, Any]:
        """Change a record as the shop would (``modified_on`` becomes the clock's now)."""
        with self.lock:
            record = self.find(resource, str(key))
            if record is None:
                raise KeyError(f"no {resource} record {key}")
            record.update(fields)
            record["modified"] = self.now()
            return dict(record)


def _sent_date(order: dict[str, Any]) -> str | None:
    dates = [line["sent_date"] for line in order["lines"] if line["sent_date"]]
    return max(dates) if dates and all(line["sent"] for line in order["lines"]) else None
