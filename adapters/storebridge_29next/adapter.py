"""The 29 Next (Next Commerce) Admin API adapter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import attrs

from storebridge.adapter import Adapter, ListQuery, OrderQuery, RateLimit, platform_operation
from storebridge.auth import BearerAuth
from storebridge.errors import APIError, PayloadError, ValidationError
from storebridge.flow import (
    Batch,
    Emit,
    Flow,
    ListFlow,
    build_request,
    merge_parallel,
    reconciled_write,
    unique_items,
)
from storebridge.http import Auth, Request, Response
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    FulfillmentOrder,
    Money,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
)
from storebridge.pagination import BodyNextUrl, time_windows
from storebridge.payload import Payload
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge_29next import converter as wire
from storebridge_29next.errors import parse_error
from storebridge_29next.fulfillment import (
    HOLD_REASONS,
    AvailableLocation,
    FulfillmentRequestResult,
    MoveResult,
)
from storebridge_29next.refund_rules import check_refund
from storebridge_29next.settings import LEGACY_API_VERSION, TwentyNineNextSettings

T = TypeVar("T")
VERSION_HEADER = "X-29next-API-Version"

_ORDER_STATUS_FILTER = {"closed": "archived", "cancelled": "canceled"}
_CONVERTER = wire.make_converter()


def _day_before(value: datetime) -> str:
    # Date filters are whole days in the store's time zone, which we do not know: widen by
    # a day and filter exactly on our side.
    return (value - timedelta(days=1)).date().isoformat()


def _day_after(value: datetime) -> str:
    return (value + timedelta(days=1)).date().isoformat()


def _within(value: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if since is None and until is None:
        return True
    if value is None:
        return False
    return (since is None or value >= since) and (until is None or value <= until)


def _params(base: Mapping[str, Any], extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters; list values repeat the key (``status=a&status=b``), as the spec says."""
    out: list[tuple[str, str]] = []
    for key, value in {**base, **extra}.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        for item in values:
            text = str(item).lower() if isinstance(item, bool) else str(item)
            out.append((key, text))
    return out


class TwentyNineNextAdapter(Adapter):
    """29 Next Admin API: ``https://{store}.29next.store/api/admin/``.

    Orders are keyed by ``number``; customers are ``/users/``; refunds use the 3-step flow
    (retrieve, calculate, create). Fulfillment orders are platform operations:
    ``store.extra.fulfillment_orders(order_ref)``, ``request_fulfillment``,
    ``hold_fulfillment_order``, ``request_fulfillment_cancellation``,
    ``available_locations``, ``move_fulfillment_order``.
    """

    name = "29next"
    display_name = "29 Next"
    Settings = TwentyNineNextSettings
    default_rate_limit = RateLimit(per_second=4, burst=1)
    sensitive_headers = ("x-29next-signature",)

    settings: TwentyNineNextSettings

    # Transport-level declarations --------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.api_root

    @property
    def api_version(self) -> str:
        return self.settings.api_version

    @property
    def auth(self) -> Auth:
        return BearerAuth(self.settings.access_token)

    @property
    def credential_key(self) -> str:
        # The platform limits per access token, so stores sharing a token share a budget.
        digest = hashlib.sha256(self.settings.access_token.reveal().encode()).hexdigest()[:16]
        return f"29next:{digest}"

    @property
    def secrets(self) -> Sequence[str]:
        return [self.settings.access_token.reveal()]

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {VERSION_HEADER: self.api_version, "Accept": "application/json"}

    def parse_error(self, response: Response) -> APIError:
        return parse_error(self, response)

    def unsupported_reason(self, operation: str) -> str | None:
        if operation == "refunds.calculate" and self.api_version == LEGACY_API_VERSION:
            return (
                "refund calculation exists from API version 2024-04-01; connect with "
                "api_version='2024-04-01' (on 2023-02-10, build a RefundQuote with the "
                "amount and call refunds.create)"
            )
        return None

    # Helpers -----------------------------------------------------------------------------
    def url(self, *parts: str | int) -> str:
        path = "/".join(quote(str(p), safe="") for p in parts)
        return f"{self.base_url}/{path}/"

    def _get(self, operation: str, *parts: str | int, params: Any = None) -> Request:
        return build_request("GET", self.url(*parts), operation=operation, params=params)

    def _structure(self, body: Any, cls: type[T]) -> T:
        return _CONVERTER.structure(body, cls)

    def _json(self, response: Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise PayloadError(f"response is not JSON ({exc})", platform=self.name) from None

    def _next_page(self, request: Request, response: Response) -> Request | None:
        follow = BodyNextUrl().next_request(request, response)
        if follow is None:
            return None
        # Never hand the token to another host: the next link must stay under our API root.
        root = urlsplit(self.base_url)
        target = urlsplit(str(follow.url))
        if (target.scheme, target.netloc) != (
            root.scheme,
            root.netloc,
        ) or not target.path.startswith(root.path):
            raise PayloadError(
                f"next-page link {follow.url} leaves the API root {self.base_url}; refusing "
                "to send the token there",
                path="$.next",
                platform=self.name,
            )
        return follow

    def _walk(
        self,
        first: Request,
        rows_to_items: Any,
    ) -> ListFlow[Any]:
        """Follow ``next`` until null; ``rows_to_items(rows)`` is a flow giving the items."""
        request: Request | None = first
        seen: set[str] = set()
        while request is not None:
            seen.add(str(request.url))
            response: Response = yield request
            body = self._json(response)
            rows = Payload(body, platform=self.name).raw("results")
            if not isinstance(rows, list):
                raise PayloadError("expected a list", path="$.results", platform=self.name)
            items = yield from rows_to_items(rows)
            if items:
                yield Emit(items)
            request = self._next_page(request, response)
            if request is not None and str(request.url) in seen:
                return

    # Orders --------------------------------------------------------------------------
    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        since = query.created_since
        until = query.created_until
        slices = query.extra.get("slices")
        if slices is not None:
            return self._sliced_orders(query, slices)
        base: dict[str, Any] = {}
        if since is not None:
            base["date_placed_from"] = _day_before(since)
        placed_until = min((d for d in (until, query.updated_until) if d is not None), default=None)
        if placed_until is not None:
            # An order cannot be updated before it is placed, so this bound is safe for
            # updated_until as well.
            base["date_placed_to"] = _day_after(placed_until)
        if query.status:
            base["status"] = _ORDER_STATUS_FILTER.get(query.status, query.status)
        if query.financial_status:
            base["payment_status"] = query.financial_status
        if query.fulfillment_status:
            base["fulfillment_status"] = query.fulfillment_status
        first = self._get("orders.list", "orders", params=_params(base, query.extra))

        def keep(order: Order) -> bool:
            return _within(order.created_at, since, until) and _within(
                order.updated_at, query.updated_since, query.updated_until
            )

        def to_items(rows: list[Any]) -> Flow[list[Order]]:
            slim = [o for o in (self._structure(r, Order) for r in rows) if keep(o)]
            if not query.detail or not slim:
                return slim
            responses = yield Batch(tuple(self._get("orders.get", "orders", o.ref) for o in slim))
            return [self._structure(self._json(r), Order) for r in responses]

        return self._walk(first, to_items)

    def _sliced_orders(self, query: OrderQuery, slices: Any) -> ListFlow[Order]:
        """The cursor walked in ``slices`` placed-date windows side by side.

        One cursor is a strictly sequential walk; windows of ``created_since`` ..
        ``created_until`` are independent cursors, read concurrently within the rate limit.
        The day-granular filters make neighbouring windows overlap, so repeats are dropped.
        """
        if isinstance(slices, bool) or not isinstance(slices, int) or slices < 1:
            raise ValidationError("slices must be a whole number >= 1", field="slices")
        if query.created_since is None or query.created_until is None:
            raise ValidationError(
                "slices needs created_since and created_until: the windows split that range",
                field="slices",
            )
        extra = {k: v for k, v in query.extra.items() if k != "slices"}
        flows = [
            self.list_orders(attrs.evolve(query, created_since=a, created_until=b, extra=extra))
            for a, b in time_windows(query.created_since, query.created_until, slices)
        ]
        return unique_items(merge_parallel(flows), lambda order: order.ref)

    def get_order(self, ref: str) -> Flow[Order]:
        response = yield self._get("orders.get", "orders", ref)
        return self._structure(self._json(response), Order)

    def _order_body(self, ref: str) -> Flow[dict[str, Any]]:
        response = yield self._get("orders.get", "orders", ref)
        body = self._json(response)
        if not isinstance(body, dict):
            raise PayloadError("expected an object", platform=self.name)
        return body

    def cancel_order(
        self, ref: str, *, reason: str | None, refund: bool, notify: bool
    ) -> Flow[Order]:
        if not reason or not reason.strip():
            raise ValidationError(
                "29 Next requires a cancel reason: pass reason='...' (it is kept on the order)",
                field="reason",
            )
        request = build_request(
            "POST",
            self.url("orders", ref, "cancel"),
            operation="orders.cancel",
            json={
                "cancel_reason": reason,
                "full_refund": refund,
                "send_cancel_notification": notify,
            },
        )

        def find() -> Flow[Order | None]:
            current = yield from self.get_order(ref)
            return current if current.status_raw == "canceled" else None

        return (
            yield from reconciled_write(
                request, lambda r: self._structure(self._json(r), Order), find
            )
        )

    def update_shipping_address(self, ref: str, address: Address) -> Flow[Order]:
        body = wire.address_to_wire(address)
        missing = [
            name
            for name, key in (("line1", "line1"), ("city", "line4"), ("country", "country"))
            if not body.get(key)
        ]
        if missing:
            raise ValidationError(
                f"address.{missing[0]} is required by 29 Next for a shipping address",
                field=f"address.{missing[0]}",
            )
        # The same PATCH sent twice leaves the same address: safe to retry.
        response = yield build_request(
            "PATCH",
            self.url("orders", ref),
            operation="orders.update_shipping_address",
            idempotent=True,
            json={"shipping_address": body},
        )
        return self._structure(self._json(response), Order)

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        lines: list[dict[str, Any]] = []
        for index, line in enumerate(draft.lines):
            if line.unit_price.currency != draft.currency:
                raise ValidationError(
                    f"lines[{index}].unit_price is in {line.unit_price.currency}, the order in "
                    f"{draft.currency}",
                    field=f"lines[{index}].unit_price",
                )
            variant_id = line.variant_ref
            if variant_id is None:
                if not line.sku:
                    raise ValidationError(
                        f"lines[{index}] needs a variant_ref or a sku to find the product",
                        field=f"lines[{index}].sku",
                    )
                variant_id = yield from self._variant_for_sku(line.sku, f"lines[{index}].sku")
            lines.append(
                {
                    "product_id": int(variant_id),
                    "quantity": line.quantity,
                    "price": str(line.unit_price.quantize().amount),
                }
            )
        user: dict[str, Any] = {}
        if draft.customer_ref is not None:
            user["id"] = int(draft.customer_ref)
        if draft.email:
            user["email"] = draft.email
        if draft.shipping_address is not None:
            user.setdefault("first_name", draft.shipping_address.first_name or "")
            user.setdefault("last_name", draft.shipping_address.last_name or "")
        body: dict[str, Any] = {
            "lines": lines,
            "currency": draft.currency,
            "tags": list(draft.tags),
            # Historical orders: the payment already happened elsewhere.
            "payment_method": "external",
            "payment_details": {"external_payment_method": "storebridge"},
            "send_receipt": False,
        }
        if user:
            body["user"] = user
        if draft.created_at is not None:
            body["date_placed"] = draft.created_at.isoformat()
        if draft.shipping_total is not None:
            body["shipping_price"] = str(draft.shipping_total.quantize().amount)
        if draft.shipping_address is not None:
            body["shipping_address"] = wire.address_to_wire(draft.shipping_address)
        if draft.billing_address is not None:
            body["billing_address"] = wire.address_to_wire(draft.billing_address)
        request = build_request("POST", self.url("orders"), operation="orders.create", json=body)
        tags = [t for t in draft.tags if t]

        def find() -> Flow[Order | None]:
            if not tags:
                return None
            response = yield self._get("orders.find", "orders", params=[("tags", tags[0])])
            rows = Payload(self._json(response), platform=self.name).raw("results") or []
            if not rows:
                return None
            return (yield from self.get_order(str(rows[0]["number"])))

        return (
            yield from reconciled_write(
                request, lambda r: self._structure(self._json(r), Order), find
            )
        )

    def _variant_for_sku(self, sku: str, field: str) -> Flow[str]:
        response = yield self._get("products.find", "products", params=[("sku", sku)])
        for row in Payload(self._json(response), platform=self.name).iter("results"):
            for item in row.iter("variants"):
                if item.opt_string("sku") == sku:
                    return str(item.integer("id"))
        raise ValidationError(
            f"{field}: no product variant on 29 Next has SKU {sku!r}", field=field
        )

    # Customers -----------------------------------------------------------------------
    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        base: dict[str, Any] = {}
        if query.created_since is not None:
            base["date_joined_from"] = _day_before(query.created_since)
        if query.created_until is not None:
            base["date_joined_to"] = _day_after(query.created_until)
        first = self._get("customers.list", "users", params=_params(base, query.extra))

        def to_items(rows: list[Any]) -> Flow[list[Customer]]:
            # Users carry no updated timestamp, so updated_since cannot narrow the listing:
            # every customer is returned (a superset, never a miss).
            return [
                c
                for c in (self._structure(r, Customer) for r in rows)
                if _within(c.created_at, query.created_since, query.created_until)
            ]
            yield  # pragma: no cover - makes this a generator

        return self._walk(first, to_items)

    def get_customer(self, ref: str) -> Flow[Customer]:
        response = yield self._get("customers.get", "users", ref)
        return self._structure(self._json(response), Customer)

    def _find_customer(self, email: str) -> Flow[Customer | None]:
        response = yield self._get("customers.find", "users", params=[("email", email)])
        for row in Payload(self._json(response), platform=self.name).iter("results"):
            if (row.opt_string("email") or "").lower() == email.lower():
                return self._structure(row.data, Customer)
        return None

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        body: dict[str, Any] = {"email": draft.email, "tags": list(draft.tags)}
        for key, value in (
            ("first_name", draft.first_name),
            ("last_name", draft.last_name),
            ("phone_number", draft.phone),
            ("accepts_marketing", draft.accepts_marketing),
        ):
            if value is not None:
                body[key] = value
        addresses = []
        for index, item in enumerate(draft.addresses):
            wire_address = wire.address_to_wire(item)
            for name, key in (("line1", "line1"), ("city", "line4"), ("country", "country")):
                if not wire_address.get(key):
                    raise ValidationError(
                        f"addresses[{index}].{name} is required by 29 Next",
                        field=f"addresses[{index}].{name}",
                    )
            addresses.append(wire_address)
        if addresses:
            body["addresses"] = addresses
        request = build_request("POST", self.url("users"), operation="customers.create", json=body)
        return (
            yield from reconciled_write(
                request,
                lambda r: self._structure(self._json(r), Customer),
                lambda: self._find_customer(draft.email),
            )
        )

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        body: dict[str, Any] = {}
        for key, value in (
            ("email", update.email),
            ("first_name", update.first_name),
            ("last_name", update.last_name),
            ("phone_number", update.phone),
            ("accepts_marketing", update.accepts_marketing),
        ):
            if value is not None:
                body[key] = value
        if update.tags is not None:
            body["tags"] = list(update.tags)
        if not body:
            raise ValidationError("the update changes nothing", field="update")
        response = yield build_request(
            "PATCH",
            self.url("users", ref),
            operation="customers.update",
            idempotent=True,
            json=body,
        )
        return self._structure(self._json(response), Customer)

    # Products --------------------------------------------------------------------------
    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        first = self._get("products.list", "products", params=_params({}, query.extra))

        def to_items(rows: list[Any]) -> Flow[list[Product]]:
            return [
                p
                for p in (self._structure(r, Product) for r in rows)
                if _within(p.updated_at, query.updated_since, query.updated_until)
                and _within(p.created_at, query.created_since, query.created_until)
            ]
            yield  # pragma: no cover - makes this a generator

        return self._walk(first, to_items)

    def get_product(self, ref: str) -> Flow[Product]:
        response = yield self._get("products.get", "products", ref)
        return self._structure(self._json(response), Product)

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        location_id: int | None = None
        if any(v.stock is not None for v in draft.variants):
            response = yield self._get("locations.list", "locations")
            first = next(
                iter(Payload(self._json(response), platform=self.name).iter("results")), None
            )
            if first is None:
                raise ValidationError(
                    "variants have stock but the store has no location to hold it",
                    field="variants",
                )
            location_id = first.integer("id")
        variants = []
        for item in draft.variants:
            entry: dict[str, Any] = {
                "sku": item.sku,
                "prices": [
                    {"currency": item.price.currency, "price": str(item.price.quantize().amount)}
                ],
                "track_stock": item.stock is not None,
            }
            if item.stock is not None and location_id is not None:
                entry["stockrecords"] = [{"location_id": location_id, "num_in_stock": item.stock}]
            variants.append(entry)
        body: dict[str, Any] = {"title": draft.title, "variants": variants}
        if draft.description is not None:
            body["description"] = draft.description
        if draft.tags:
            body["metadata"] = {wire.TAGS_METADATA_KEY: json.dumps(list(draft.tags))}
        request = build_request(
            "POST", self.url("products"), operation="products.create", json=body
        )
        sku = draft.variants[0].sku

        def find() -> Flow[Product | None]:
            response = yield self._get("products.find", "products", params=[("sku", sku)])
            for row in Payload(self._json(response), platform=self.name).iter("results"):
                found = self._structure(row.data, Product)
                if set(draft.tags) <= set(found.tags):
                    return found
            return None

        return (
            yield from reconciled_write(
                request, lambda r: self._structure(self._json(r), Product), find
            )
        )

    # Transactions ------------------------------------------------------------------------
    def list_transactions(self, order_ref: str | None) -> ListFlow[Transaction]:
        if order_ref is not None:
            # The transactions listing has no order filter; the order embeds its own.
            found = yield from self.get_order(order_ref)
            if found.transactions:
                yield Emit(found.transactions)
            return
        first = self._get("transactions.list", "transactions")

        def to_items(rows: list[Any]) -> Flow[list[Transaction]]:
            return [self._structure(r, Transaction) for r in rows]
            yield  # pragma: no cover - makes this a generator

        yield from self._walk(first, to_items)

    # Refunds ---------------------------------------------------------------------------
    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        order = yield from self._order_body(order_ref)
        self._check_currency(order, shipping, "shipping")
        check_refund(order, lines, shipping, require_restock=False)
        body: dict[str, Any] = {"refund_lines": [self._refund_line(line, False) for line in lines]}
        if shipping is not None:
            body["refund_shipping"] = {
                "full_refund": False,
                "amount_excl_tax": str(shipping.quantize().amount),
            }
        response = yield build_request(
            "POST",
            self.url("orders", order_ref, "refund", "calculate"),
            operation="refunds.calculate",
            idempotent=True,  # a calculation changes nothing
            json=body,
        )
        data = self._json(response)
        if not isinstance(data, dict):
            raise PayloadError("expected an object", platform=self.name)
        return self._structure({**data, "order_number": order_ref}, RefundQuote)

    def _check_currency(self, order: Mapping[str, Any], money: Money | None, field: str) -> None:
        if money is not None and money.currency != order.get("currency"):
            raise ValidationError(
                f"{field} is in {money.currency} but order {order.get('number')} is in "
                f"{order.get('currency')}",
                field=field,
            )

    @staticmethod
    def _refund_line(line: RefundLine, with_restock: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"line_id": int(line.line_ref), "quantity": line.quantity}
        if with_restock or line.restock is not RestockType.UNKNOWN:
            entry["restock_type"] = line.restock.value
        return entry

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        order = yield from self._order_body(quote.order_ref)
        self._check_currency(order, quote.total, "quote.total")
        known = {str(r.get("id")) for r in order.get("refunds") or ()}
        if self.api_version == LEGACY_API_VERSION:
            body: dict[str, Any] = {
                "amount": str(quote.total.quantize().amount),
                "send_refund_notification": notify,
            }
        else:
            check_refund(order, quote.lines, quote.shipping, require_restock=True)
            body = self._refund_body(quote, note, notify)
        request = build_request(
            "POST",
            self.url("orders", quote.order_ref, "refund"),
            operation="refunds.create",
            json=body,
        )

        def new_refund(order_body: Any) -> Refund | None:
            found = self._structure(order_body, Order)
            for item in found.refunds:
                if item.ref not in known and item.amount == quote.total:
                    return item
            return None

        def parse(response: Response) -> Refund:
            data = self._json(response)
            if self.api_version != LEGACY_API_VERSION:
                return self._structure(data, Refund)
            # 2023-02-10 answers with the whole order; the refund is the one that is new.
            made = new_refund(data)
            if made is None:
                raise PayloadError(
                    f"the order returned by the refund has no new refund of {quote.total}",
                    path="$.refunds",
                    platform=self.name,
                )
            return made

        def find() -> Flow[Refund | None]:
            # Read the order back: a refund we did not know before, of this amount, is ours.
            return new_refund((yield from self._order_body(quote.order_ref)))

        return (yield from reconciled_write(request, parse, find))

    def _refund_body(self, quote: RefundQuote, note: str | None, notify: bool) -> dict[str, Any]:
        if not quote.allocations:
            raise ValidationError(
                "quote.allocations is empty: 29 Next needs the transactions to refund; use the "
                "quote from refunds.calculate()",
                field="quote.allocations",
            )
        allocated = Money.sum((a.amount for a in quote.allocations), quote.total.currency)
        if allocated != quote.total:
            raise ValidationError(
                f"quote.allocations add up to {allocated}, not the quote total {quote.total}",
                field="quote.allocations",
            )
        for index, allocation in enumerate(quote.allocations):
            if allocation.maximum is not None and allocation.amount > allocation.maximum:
                raise ValidationError(
                    f"quote.allocations[{index}] refunds {allocation.amount}, more than the "
                    f"{allocation.maximum} transaction {allocation.transaction_ref} can return",
                    field=f"quote.allocations[{index}].amount",
                )
        body: dict[str, Any] = {
            "transactions": [
                {"id": int(a.transaction_ref), "amount": str(a.amount.quantize().amount)}
                for a in quote.allocations
            ],
            "refund_lines": [self._refund_line(line, True) for line in quote.lines],
            "send_refund_notification": notify,
        }
        if quote.shipping is not None:
            shipping_raw = quote.raw.get("refund_shipping") if quote.raw else None
            excl = (
                shipping_raw.get("amount_excl_tax") if isinstance(shipping_raw, Mapping) else None
            )
            body["refund_shipping"] = {
                "full_refund": False,
                "amount_excl_tax": str(excl or quote.shipping.quantize().amount),
            }
        if note:
            body["note"] = note
        return body

    # Fulfillment orders (platform operations) ----------------------------------------
    def _fulfillment_order(self, body: Any) -> FulfillmentOrder:
        return self._structure(body, FulfillmentOrder)

    @platform_operation()
    def fulfillment_orders(self, order_ref: str) -> Flow[list[FulfillmentOrder]]:
        """The fulfillment orders of an order (1 request)."""
        response = yield self._get(
            "fulfillment_orders.list", "orders", order_ref, "fulfillment-orders"
        )
        body = self._json(response)
        # The spec types this as one object while describing a list; accept every shape.
        if isinstance(body, dict) and "results" in body:
            rows = body["results"]
        elif isinstance(body, dict):
            rows = [body]
        else:
            rows = body
        if not isinstance(rows, list):
            raise PayloadError("expected a list of fulfillment orders", platform=self.name)
        return [self._fulfillment_order(row) for row in rows]

    @platform_operation()
    def get_fulfillment_order(self, fulfillment_order_ref: str) -> Flow[FulfillmentOrder]:
        """One fulfillment order (1 request)."""
        response = yield self._get(
            "fulfillment_orders.get", "fulfillment-orders", fulfillment_order_ref
        )
        return self._fulfillment_order(self._json(response))

    def _post(self, operation: str, path: Iterable[str | int], body: Any) -> Request:
        return build_request("POST", self.url(*path), operation=operation, json=body)

    @platform_operation()
    def request_fulfillment(
        self,
        fulfillment_order_ref: str,
        *,
        lines: Mapping[str, int] | None = None,
        message: str | None = None,
        notify: bool = True,
    ) -> Flow[FulfillmentRequestResult]:
        """Send a fulfillment order to its location now (1 request).

        ``lines`` maps fulfillment-order line refs to quantities: only those are requested
        and the rest is split into a new, unrequested fulfillment order.
        """
        body: dict[str, Any] = {"notify": notify}
        if message is not None:
            body["message"] = message
        if lines:
            for ref, quantity in lines.items():
                if quantity < 1:
                    raise ValidationError(
                        f"lines[{ref!r}] quantity must be at least 1", field=f"lines[{ref}]"
                    )
            body["fulfillment_order_line_items"] = [
                {"id": int(ref), "quantity": quantity} for ref, quantity in lines.items()
            ]
        response = yield self._post(
            "fulfillment_orders.request",
            ("fulfillment-orders", fulfillment_order_ref, "fulfillment-request"),
            body,
        )
        data = Payload(self._json(response), platform=self.name)
        unrequested = data.opt_obj("unrequested_fulfillment_order")
        return FulfillmentRequestResult(
            original=self._fulfillment_order(data.obj("original_fulfillment_order").data),
            requested=self._fulfillment_order(data.obj("requested_fulfillment_order").data),
            unrequested=self._fulfillment_order(unrequested.data) if unrequested else None,
        )

    @platform_operation()
    def hold_fulfillment_order(
        self, fulfillment_order_ref: str, *, reason: str, message: str | None = None
    ) -> Flow[FulfillmentOrder]:
        """Put a fulfillment order on hold (1 request). ``reason`` is one of HOLD_REASONS."""
        if reason not in HOLD_REASONS:
            raise ValidationError(
                f"reason {reason!r} is not one of {', '.join(HOLD_REASONS)}", field="reason"
            )
        response = yield self._post(
            "fulfillment_orders.hold",
            ("fulfillment-orders", fulfillment_order_ref, "hold"),
            {"reason": reason, "reason_message": message},
        )
        return self._fulfillment_order(self._json(response))

    @platform_operation()
    def request_fulfillment_cancellation(
        self, fulfillment_order_ref: str, *, message: str | None = None
    ) -> Flow[FulfillmentOrder]:
        """Ask the location to stop fulfilling (1 request); needed before moving a
        fulfillment order that is ``processing``."""
        response = yield self._post(
            "fulfillment_orders.cancellation_request",
            ("fulfillment-orders", fulfillment_order_ref, "cancellation-request"),
            {"message": message},
        )
        return self._fulfillment_order(self._json(response))

    @platform_operation()
    def available_locations(self, fulfillment_order_ref: str) -> Flow[list[AvailableLocation]]:
        """Locations that stock the fulfillment order's lines (1 request)."""
        response = yield self._get(
            "fulfillment_orders.available_locations",
            "fulfillment-orders",
            fulfillment_order_ref,
            "available-locations",
        )
        data = Payload(self._json(response), platform=self.name)
        return [
            AvailableLocation(
                ref=str(item.integer("id")),
                name=item.opt_string("name") or "",
                line_refs=tuple(str(i) for i in item.raw("fulfillment_order_line_ids") or ()),
            )
            for item in data.iter("available_locations", required=True)
        ]

    @platform_operation()
    def move_fulfillment_order(
        self,
        fulfillment_order_ref: str,
        location_ref: str,
        *,
        line_refs: Sequence[str] | None = None,
    ) -> Flow[MoveResult]:
        """Move a fulfillment order (or some of its lines) to another location (2 requests).

        Only an ``open`` fulfillment order can move: this is checked first, and a
        ``processing`` one needs ``request_fulfillment_cancellation`` before.
        """
        current = yield from self.get_fulfillment_order(fulfillment_order_ref)
        if current.status_raw != "open":
            hint = (
                "; call request_fulfillment_cancellation() first and wait for the location to "
                "accept"
                if current.status_raw == "processing"
                else ""
            )
            raise ValidationError(
                f"fulfillment order {fulfillment_order_ref} is {current.status_raw!r}; only an "
                f"'open' one can be moved{hint}",
                field="fulfillment_order_ref",
            )
        body: dict[str, Any] = {"new_location_id": int(location_ref)}
        if line_refs:
            body["fulfillment_order_line_items"] = [{"id": int(ref)} for ref in line_refs]
        response = yield self._post(
            "fulfillment_orders.move",
            ("fulfillment-orders", fulfillment_order_ref, "move"),
            body,
        )
        data = Payload(self._json(response), platform=self.name)
        return MoveResult(
            original=self._fulfillment_order(data.obj("original_fulfillment_order").data),
            moved=self._fulfillment_order(data.obj("moved_fulfillment_order").data),
        )

    # Sandbox -----------------------------------------------------------------------------
    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """A seeded 29 Next emulator; ``options`` go to :class:`TwentyNineNextEmulator`
        (``rate_limit``, ``page_size``, ``default_version``...)."""
        from storebridge_29next.emulator import TwentyNineNextEmulator

        emulator = TwentyNineNextEmulator(size, **options)

        def settings(base_url: str) -> dict[str, Any]:
            root = base_url.rstrip("/")
            if not root.endswith("/api/admin"):
                root += "/api/admin"
            return {"base_url": root, "access_token": emulator.token}

        return Sandbox(platform=cls.name, emulator=emulator, settings=settings)

    def store_currencies(self) -> Flow[frozenset[str] | None]:
        # The Admin API has no store-currency listing in the spec we target.
        return None
        yield  # pragma: no cover - makes this a generator
