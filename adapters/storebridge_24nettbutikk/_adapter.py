"""The 24Nettbutikk adapter: a read-mostly migration source with three PATCH writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any, ClassVar

import attrs
import cattrs

from storebridge.adapter import (
    Adapter,
    ListQuery,
    OrderQuery,
    RateLimit,
    error_from_response,
    platform_operation,
)
from storebridge.errors import (
    APIError,
    AuthenticationError,
    NotFound,
    ValidationError,
)
from storebridge.flow import Batch, Emit, Flow, ListFlow, build_request, derive_request
from storebridge.http import Auth, Request, Response
from storebridge.model import Customer, Order, OrderLine, Product, Variant
from storebridge.payload import Payload
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge_24nettbutikk._auth import token_auth
from storebridge_24nettbutikk._converter import make_converter, with_customer
from storebridge_24nettbutikk._local_time import unix_ceil, unix_floor
from storebridge_24nettbutikk._paging import (
    API_PATH,
    Window,
    expand_pages,
    link_segments,
    page_url,
)
from storebridge_24nettbutikk._settings import NettbutikkSettings
from storebridge_24nettbutikk._wire import PLATFORM, body_json, decode_text, next_link, rows

RESOURCES = ("orders", "products", "customers")
_KEYS = {"orders": "order_no", "products": "id", "customers": "id"}
_NO_HEAD = frozenset({400, 404, 405, 501})


class NettbutikkAdapter(Adapter):
    """24Nettbutikk (Sincos Software) webshop API v1.

    Reads orders, customers and products; writes order status, order-line shipping fields
    and product stock. The API has no create endpoints, so the platform is a migration
    source: ``create`` operations raise UnsupportedOperation before any request.
    """

    name = PLATFORM
    display_name = "24Nettbutikk"
    Settings: ClassVar[type[Any]] = NettbutikkSettings
    default_rate_limit = RateLimit(per_second=2.0, burst=2)
    settings: NettbutikkSettings

    # Transport -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def api_root(self) -> str:
        return self.base_url + API_PATH

    @cached_property
    def auth(self) -> Auth:
        return token_auth(self.settings.token, self.settings.auth_style)

    @property
    def rate_limit(self) -> RateLimit:
        # Undocumented upstream: a conservative default the user can raise per shop.
        return RateLimit(self.settings.requests_per_second, self.settings.burst)

    @property
    def secrets(self) -> Sequence[str]:
        return [self.settings.token.reveal()]

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {"Accept": "application/json"}

    @cached_property
    def converter(self) -> cattrs.Converter:
        return make_converter(self.settings.zone, self.settings.currency)

    def parse_error(self, response: Response) -> APIError:
        status = response.status_code
        text = decode_text(response.content).strip()
        if status == 401:
            # Worded so no credential-looking "token <word>" pair appears for redaction to mask.
            message = (
                "the shop rejected the API token. Check the setting token= (the shop's key "
                "from the admin panel, /admin/index.php?nr=103) and auth_style="
            )
        elif status == 400 and not text:
            message = "the shop rejected the request's path arguments (400, empty body)"
        elif status == 404:
            message = "no such record (or an empty list)"
        else:
            message = text[:200] or response.reason_phrase or "error"
        kind = AuthenticationError if status == 401 else None
        return error_from_response(self, response, message=message, cls=kind)

    def unsupported_reason(self, operation: str) -> str | None:
        if operation.endswith(".create"):
            return "its API has no create endpoints; use it as a migration source"
        return None

    # Requests --------------------------------------------------------------------------
    def _get(self, path: str, operation: str, params: Mapping[str, str] | None = None) -> Request:
        return build_request(
            "GET", f"{self.api_root}/{path}", operation=operation, params=dict(params or {})
        )

    def _structure(self, row: Any, cls: type[Any], path: str) -> Any:
        return self.converter.structure(Payload(row, path, PLATFORM), cls)

    # Cheap change detection --------------------------------------------------------------
    @platform_operation()
    def last_modified(self, resource: str) -> Flow[datetime | None]:
        """When the shop last changed ``resource`` (``HEAD`` on its root), or None if unknown."""
        _check_resource(resource)
        request = build_request("HEAD", f"{self.api_root}/{resource}", operation=f"{resource}.head")
        try:
            response = yield request
        except APIError as exc:
            if exc.status in _NO_HEAD:
                return None
            raise
        return _http_date(response.headers.get("last-modified"))

    @platform_operation()
    def changed_since(self, resource: str, since: datetime) -> Flow[bool]:
        """False only when ``HEAD`` proves nothing in ``resource`` changed after ``since``.

        One request. True when the shop gives no usable ``Last-Modified``.
        """
        _check_aware(since, "since")
        modified = yield from self.last_modified(resource)
        return modified is None or modified >= since.replace(microsecond=0)

    # Listing ---------------------------------------------------------------------------
    def _rows(
        self,
        resource: str,
        query: ListQuery,
        params: Mapping[str, str] | None = None,
    ) -> ListFlow[dict[str, Any]]:
        """Every row of ``resource`` once, within the query's modified window.

        The server-side window is widened by ``sync_overlap`` on both ends (bounds may be
        exclusive, DST repeats an hour, some servers mix up zones) and then checked exactly
        here; rows repeated across pages (a row modified mid-walk moves) are dropped by key.
        """
        window = Window(query.updated_since, query.updated_until)
        if query.updated_since is not None and self.settings.head_check:
            changed = yield from self.changed_since(resource, query.updated_since)
            if not changed:
                return
        overlap = self.settings.sync_overlap
        since = None if window.since is None else unix_floor(window.since) - int(overlap)
        until = None if window.until is None else unix_ceil(window.until) + int(overlap)
        limit = query.page_size or self.settings.page_size
        url = page_url(self.api_root, resource, limit, 0, since, until, params)
        request = build_request("GET", url, operation=f"{resource}.list")
        key = _KEYS[resource]
        seen: set[str] = set()
        zone = self.settings.zone
        offset = 0
        plain_list_tried = False
        while True:
            try:
                response = yield request
            except NotFound:
                return  # some shops answer an empty list (or a page past the end) with 404
            except APIError as exc:
                # No client was ever seen paging customers; the one documented customer
                # list is the bare GET /customers. Fall back to it if paging is refused.
                if exc.status != 400 or resource != "customers" or offset or plain_list_tried:
                    raise
                plain_list_tried = True
                request = self._get("customers", "customers.list", params)
                continue
            body = body_json(response)
            fresh: list[dict[str, Any]] = []
            for index, row in enumerate(rows(body)):
                payload = Payload(row, f"$.data[{index}]", PLATFORM)
                ref = payload.string(key)
                if ref in seen or not window.contains(payload.opt_string("modified_on"), zone):
                    continue
                seen.add(ref)
                fresh.append(row)
            if fresh:
                yield Emit(fresh)
            link = next_link(body)
            if link is None:
                return
            segments = link_segments(link, resource)
            if segments[1] <= offset:
                return  # a link that does not move forward would loop for ever
            offset = segments[1]
            since_at = segments[2] if len(segments) > 2 else None
            until_at = segments[3] if len(segments) > 3 else None
            nxt = page_url(self.api_root, resource, segments[0], offset, since_at, until_at, params)
            request = derive_request(request, nxt)

    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        customers: dict[str, Customer | None] = {}
        skus: dict[str, dict[str, str] | None] = {}

        def finish(page: Sequence[dict[str, Any]]) -> Flow[Sequence[Order]]:
            orders = [self._structure(row, Order, f"$.data[{i}]") for i, row in enumerate(page)]
            orders = [o for o in orders if _matches(o, query)]
            return (yield from self._complete_orders(orders, customers, skus))

        return expand_pages(self._rows("orders", query), finish)

    def get_order(self, ref: str) -> Flow[Order]:
        response = yield self._get(f"orders/{ref}", "orders.get")
        found = rows(body_json(response))
        if not found:
            raise _not_found(self, response, f"order {ref}")
        order = self._structure(found[0], Order, "$.data[0]")
        completed = yield from self._complete_orders([order], {}, {})
        return completed[0]

    def _complete_orders(
        self,
        orders: list[Order],
        customers: dict[str, Customer | None],
        skus: dict[str, dict[str, str] | None],
    ) -> Flow[list[Order]]:
        """Join customers (email, addresses) and product SKUs; each key fetched once per run."""
        if self.settings.join_customers:
            wanted = {c for o in orders if (c := _customer_id(o))} - set(customers)
            found = yield from self._fetch_each(sorted(wanted), "customers", "customers.get")
            for ref, rows_ in found.items():
                customers[ref] = self._structure(rows_[0], Customer, "$.data[0]") if rows_ else None
        if self.settings.resolve_skus:
            products = {
                line.product_ref
                for order in orders
                for line in order.lines
                if line.sku is None and line.product_ref
            } - set(skus)
            found = yield from self._fetch_each(
                sorted(products), "products", "products.get", {"flat": "1"}
            )
            for ref, rows_ in found.items():
                skus[ref] = _sku_map(rows_) if rows_ else None
        done = []
        for order in orders:
            cid = _customer_id(order)
            order = with_customer(order, customers.get(cid) if cid else None)
            if self.settings.resolve_skus:
                order = attrs.evolve(order, lines=tuple(_with_sku(ln, skus) for ln in order.lines))
            done.append(order)
        return done

    def _fetch_each(
        self,
        refs: Sequence[str],
        resource: str,
        operation: str,
        params: Mapping[str, str] | None = None,
    ) -> Flow[dict[str, list[Any]]]:
        """GET ``resource/{ref}`` for each ref, concurrently; a 404 gives an empty list."""
        if not refs:
            return {}
        requests = [self._get(f"{resource}/{ref}", operation, params) for ref in refs]
        try:
            responses: list[Response] = yield Batch(tuple(requests))
            return {ref: rows(body_json(r)) for ref, r in zip(refs, responses, strict=True)}
        except NotFound:
            pass
        # One of them is gone: ask again one by one so the others still count.
        result: dict[str, list[Any]] = {}
        for ref, request in zip(refs, requests, strict=True):
            try:
                response = yield request
            except NotFound:
                result[ref] = []
                continue
            result[ref] = rows(body_json(response))
        return result

    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        def finish(page: Sequence[dict[str, Any]]) -> Flow[Sequence[Customer]]:
            return [self._structure(r, Customer, f"$.data[{i}]") for i, r in enumerate(page)]
            yield  # pragma: no cover - a flow that needs no requests

        return expand_pages(self._rows("customers", query), finish)

    def get_customer(self, ref: str) -> Flow[Customer]:
        response = yield self._get(f"customers/{ref}", "customers.get")
        found = rows(body_json(response))
        if not found:
            raise _not_found(self, response, f"customer {ref}")
        return self._structure(found[0], Customer, "$.data[0]")  # type: ignore[no-any-return]

    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        def finish(page: Sequence[dict[str, Any]]) -> Flow[Sequence[Product]]:
            products = [self._structure(r, Product, f"$.data[{i}]") for i, r in enumerate(page)]
            # Grouped rows say which products have variants; their rows come from flat=1.
            with_variants = [p.ref for p in products if _has_variants(p.raw)]
            found = yield from self._fetch_each(
                with_variants, "products", "products.get", {"flat": "1"}
            )
            return [
                self._with_variants(p, found[p.ref]) if found.get(p.ref) else p for p in products
            ]

        return expand_pages(self._rows("products", query, {"flat": "0"}), finish)

    def get_product(self, ref: str) -> Flow[Product]:
        response = yield self._get(f"products/{ref}", "products.get", {"flat": "1"})
        found = rows(body_json(response))
        if not found:
            raise _not_found(self, response, f"product {ref}")
        product = self._structure(found[0], Product, "$.data[0]")
        return self._with_variants(product, found)

    def _with_variants(self, product: Product, variant_rows: list[Any]) -> Product:
        variants = tuple(
            self._structure(row, Variant, f"$.data[{i}]") for i, row in enumerate(variant_rows)
        )
        return attrs.evolve(product, variants=variants)

    # Writes the API has (PATCH) ------------------------------------------------------
    @platform_operation()
    def update_order_status(self, order_ref: str, status: str) -> Flow[Order]:
        """Set an order's status code (``PATCH /orders/{no}``); returns the order as re-read."""
        _check_text(order_ref, "order_ref")
        _check_text(status, "status")
        yield self._patch(f"orders/{order_ref}", {"status": status}, "orders.update_status")
        return (yield from self.get_order(order_ref))

    @platform_operation()
    def update_order_line(
        self,
        order_ref: str,
        line_ref: str,
        *,
        sent: bool | None = None,
        sent_date: date | None = None,
        extra_field: str | None = None,
    ) -> Flow[OrderLine]:
        """Set a line's ``sent``, ``sent_date`` and/or ``extra_field``; returns the re-read line."""
        _check_text(order_ref, "order_ref")
        _check_text(line_ref, "line_ref")
        body: dict[str, Any] = {}
        if sent is not None:
            if not isinstance(sent, bool):
                raise ValidationError("sent must be True or False", field="sent")
            body["sent"] = int(sent)
        if sent_date is not None:
            if not isinstance(sent_date, date) or isinstance(sent_date, datetime):
                raise ValidationError("sent_date must be a datetime.date", field="sent_date")
            body["sent_date"] = sent_date.isoformat()
        if extra_field is not None:
            body["extra_field"] = extra_field
        if not body:
            raise ValidationError("give at least one of sent, sent_date, extra_field", field="sent")
        yield self._patch(f"orders/{order_ref}/lines/{line_ref}", body, "orders.update_line")
        order = yield from self.get_order(order_ref)
        for line in order.lines:
            if line.ref == line_ref:
                return line
        raise ValidationError(f"order {order_ref} has no line {line_ref}", field="line_ref")

    @platform_operation()
    def update_stock(
        self, product_ref: str, stock: int, *, variant_ref: str | None = None
    ) -> Flow[Product]:
        """Set the stock of a product, or of one variant (``PATCH /products/{id}``)."""
        _check_text(product_ref, "product_ref")
        if isinstance(stock, bool) or not isinstance(stock, int):
            raise ValidationError("stock must be an integer", field="stock")
        target = variant_ref if variant_ref is not None else product_ref
        flat = "1" if variant_ref is not None else "0"
        yield self._patch(f"products/{target}", {"stock": stock}, "products.update_stock", flat)
        return (yield from self.get_product(product_ref))

    def _patch(
        self, path: str, body: Mapping[str, Any], operation: str, flat: str | None = None
    ) -> Request:
        # Each PATCH sets absolute values, so sending it twice has the effect of once:
        # safe to retry after a lost answer, unlike a create.
        return build_request(
            "PATCH",
            f"{self.api_root}/{path}",
            operation=operation,
            idempotent=True,
            params={"flat": flat} if flat is not None else None,
            json=dict(body),
        )

    # Sandbox ---------------------------------------------------------------------------
    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """A seeded emulator; ``options`` are :class:`EmulatorOptions` fields.

        The server-side rate limit is on by default (``rate_limit=20.0`` requests per
        second); the returned settings make the adapter stay below it.
        """
        from storebridge_24nettbutikk.emulator import NettbutikkEmulator

        options.setdefault("rate_limit", 20.0)
        emulator = NettbutikkEmulator(size, **options)
        limit = emulator.options.rate_limit

        def settings(base_url: str) -> dict[str, Any]:
            given: dict[str, Any] = {"base_url": base_url, "token": emulator.token}
            if limit is not None:
                given["requests_per_second"] = limit * 0.8
                given["burst"] = max(1, int(emulator.options.rate_burst * 0.8))
            if emulator.options.time_zone != "Europe/Oslo":
                given["time_zone"] = emulator.options.time_zone
            if emulator.options.currency != "NOK":
                given["currency"] = emulator.options.currency
            return given

        return Sandbox(platform=PLATFORM, emulator=emulator, settings=settings)


def _check_resource(resource: str) -> None:
    if resource not in RESOURCES:
        raise ValidationError(
            f"resource must be one of {', '.join(RESOURCES)}, got {resource!r}", field="resource"
        )


def _check_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{what} must be a timezone-aware datetime", field=what)


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ValidationError(f"{what} must be a non-empty key without '/'", field=what)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _not_found(adapter: Adapter, response: Response, what: str) -> APIError:
    return error_from_response(adapter, response, message=f"{what} not found", cls=NotFound)


def _customer_id(order: Order) -> str | None:
    value = order.raw.get("customer_id")
    if value is None or str(value).strip() in ("", "0"):
        return None
    return str(value).strip()


def _has_variants(row: Mapping[str, Any]) -> bool:
    # Rows that do not say (no "attributes" key at all) are asked about, to be sure.
    return "attributes" not in row or bool(row.get("attributes"))


def _sku_map(product_rows: list[Any]) -> dict[str, str]:
    """``unique_product_id`` -> article number; ``""`` -> the number of a one-row product."""
    found: dict[str, str] = {}
    for row in product_rows:
        if not isinstance(row, Mapping) or not row.get("article_no"):
            continue
        sku = str(row["article_no"])
        if row.get("unique_product_id") not in (None, ""):
            found[str(row["unique_product_id"])] = sku
        if len(product_rows) == 1:
            found[""] = sku
    return found


def _with_sku(line: OrderLine, skus: Mapping[str, dict[str, str] | None]) -> OrderLine:
    if line.sku is not None or not line.product_ref:
        return line
    known = skus.get(line.product_ref) or {}
    sku = known.get(line.variant_ref or "") or known.get("")
    return attrs.evolve(line, sku=sku) if sku else line


def _matches(order: Order, query: OrderQuery) -> bool:
    """Filters the API cannot apply server-side, checked on each order."""
    created = order.created_at
    if query.created_since is not None and (created is None or created < query.created_since):
        return False
    if query.created_until is not None and (created is None or created > query.created_until):
        return False
    for wanted, value, raw in (
        (query.status, order.status, order.status_raw),
        (query.financial_status, order.financial_status, order.financial_status_raw),
        (query.fulfillment_status, order.fulfillment_status, order.fulfillment_status_raw),
    ):
        if wanted is not None and wanted not in (str(value), raw):
            return False
    return True
