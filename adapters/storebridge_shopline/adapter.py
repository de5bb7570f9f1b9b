"""The SHOPLINE adapter: Admin REST API at ``{handle}.myshopline.com/admin/openapi/{version}``."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from storebridge import _http
from storebridge.adapter import Adapter, ListQuery, OrderQuery, RateLimit, platform_operation
from storebridge.auth import MemoryTokenStore, RefreshingTokenAuth, Token, TokenStore
from storebridge.errors import APIError, NotFound, PayloadError, ValidationError
from storebridge.flow import Emit, Flow, ListFlow, build_request, reconciled_write
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
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
from storebridge.pagination import LinkHeader, paginate
from storebridge.payload import Payload
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge_shopline import converter as conv
from storebridge_shopline.auth import make_auth
from storebridge_shopline.errors import shopline_error
from storebridge_shopline.settings import ShoplineSettings

T = TypeVar("T")

PAGE_CAPS: Mapping[str, int] = {"orders": 100, "customers": 250, "products": 250}
"""Largest ``limit`` each list endpoint takes; lists default to it to save requests."""

ORDER_STATUSES = ("open", "cancelled", "any")
FINANCIAL_STATUSES = (
    "unpaid",
    "authorized",
    "pending",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
)
FULFILLMENT_QUERY = {
    "unshipped": "unshipped",
    "unfulfilled": "unshipped",
    "partial": "partial",
    "partially_fulfilled": "partial",
    "shipped": "shipped",
    "fulfilled": "shipped",
}
FOLLOW_UP_PARAMS = ("page_info", "limit", "fields")
"""With ``page_info`` SHOPLINE ignores every other filter, so follow-ups send only these."""


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _date_params(query: ListQuery) -> dict[str, str]:
    params: dict[str, str] = {}
    for attr, key in (
        ("updated_since", "updated_at_min"),
        ("updated_until", "updated_at_max"),
        ("created_since", "created_at_min"),
        ("created_until", "created_at_max"),
    ):
        value = getattr(query, attr)
        if value is not None:
            params[key] = _iso(value)
    return params


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValidationError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}", field=name
        )
    return value


def _address_body(address: Address) -> dict[str, Any]:
    body = {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "address1": address.line1,
        "address2": address.line2,
        "city": address.city,
        "province": address.region,
        "zip": address.postal_code,
        "country_code": address.country,
        "phone": address.phone,
    }
    return {k: v for k, v in body.items() if v is not None}


def _money_str(value: Money) -> str:
    return str(value.quantize().amount)


class ShoplineAdapter(Adapter):
    """SHOPLINE (``{handle}.myshopline.com``; not the older ``open.shopline.io`` product)."""

    name = "shopline"
    display_name = "SHOPLINE"
    Settings = ShoplineSettings
    default_rate_limit = RateLimit(per_second=4, burst=40)
    sensitive_headers = ("appkey", "sign", "x-shopline-hmac-sha256")

    def __init__(self, settings: ShoplineSettings) -> None:
        super().__init__(settings)
        self.settings: ShoplineSettings = settings
        self.token_store: TokenStore = settings.token_store or MemoryTokenStore()
        # One auth object for the adapter's life: it holds the current token and the lock
        # that makes concurrent requests share one refresh.
        self._auth = make_auth(settings, self.token_store)
        self._currency: str | None = None
        self._converters: dict[str, cattrs.Converter] = {}
        self._lock = threading.Lock()

    # Transport declarations ------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.settings.root_url}/admin/openapi/{self.settings.api_version}"

    @property
    def auth(self) -> _http.Auth:
        return self._auth

    @property
    def credential_key(self) -> str:
        # SHOPLINE meters requests per (app, store).
        return f"shopline:{self.settings.app_key or 'private'}:{self.settings.root_url}"

    @property
    def secrets(self) -> Sequence[str]:
        values = [self.settings.access_token.reveal()]
        current = self.token
        if current is not None:
            # The live token changes at every refresh; it must be masked as well.
            values.append(current.access_token.reveal())
        if self.settings.app_secret is not None:
            values.append(self.settings.app_secret.reveal())
        return values

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {"Accept": "application/json"}

    @property
    def token(self) -> Token | None:
        """The access token in use now (after any refresh); None for private apps."""
        return self._auth.token if isinstance(self._auth, RefreshingTokenAuth) else None

    @property
    def refresh_count(self) -> int:
        """Token refreshes this adapter has made."""
        return self._auth.refresh_count if isinstance(self._auth, RefreshingTokenAuth) else 0

    def parse_error(self, response: _http.Response) -> APIError:
        return shopline_error(self, response, private_app=self.settings.private_app)

    # Plumbing ------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _get(
        self, path: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> _http.Request:
        return build_request("GET", self.url(path), operation=operation, params=dict(params or {}))

    def _body(self, response: _http.Response) -> Payload:
        try:
            data = response.json()
        except ValueError as exc:
            raise PayloadError(f"response is not JSON ({exc})", platform=self.name) from exc
        return Payload(data, "$", self.name)

    def converter(self, currency: str) -> cattrs.Converter:
        with self._lock:
            found = self._converters.get(currency)
            if found is None:
                found = self._converters[currency] = conv.make_converter(currency)
            return found

    def _structure(self, payload: Payload, cls: type[T], currency: str | None = None) -> T:
        converter = self.converter(currency or self._currency or "USD")
        return converter.structure(payload, cls)

    def _rows(
        self, response: _http.Response, key: str, cls: type[T], currency: str | None = None
    ) -> list[T]:
        body = self._body(response)
        return [self._structure(row, cls, currency) for row in body.iter(key, required=True)]

    def _one(
        self, response: _http.Response, key: str, cls: type[T], currency: str | None = None
    ) -> T:
        return self._structure(self._body(response).obj(key), cls, currency)

    def _list(
        self,
        path: str,
        key: str,
        cls: type[Any],
        params: dict[str, Any],
        operation: str,
        currency: str | None = None,
    ) -> ListFlow[Any]:
        first = self._get(path, operation, params)
        return paginate(
            first,
            LinkHeader(keep_params=FOLLOW_UP_PARAMS),
            lambda response: self._rows(response, key, cls, currency),
        )

    def _limit(self, resource: str, page_size: int | None) -> int:
        cap = PAGE_CAPS[resource]
        return min(page_size or cap, cap)

    def shop_currency(self) -> Flow[str]:
        """The store's settlement currency (``merchants/shop.json``), fetched once."""
        if self._currency is None:
            response = yield self._get("merchants/shop.json", "shop.get")
            currency = self._body(response).obj("data").string("currency").upper()
            self._currency = currency
        return self._currency

    def store_currencies(self) -> Flow[frozenset[str] | None]:
        """The settlement currency plus every enabled one (``currency/currencies.json``).

        Orders may be placed in any of them; products are priced in the settlement currency.
        """
        settlement = yield from self.shop_currency()
        response = yield self._get("currency/currencies.json", "shop.currencies")
        enabled = {
            row.string("currency").upper()
            for row in self._body(response).iter("currencies")
            if row.opt_bool("enabled") is not False
        }
        return frozenset({settlement, *enabled})

    # Orders ----------------------------------------------------------------------------
    def order_params(self, query: OrderQuery) -> dict[str, Any]:
        params: dict[str, Any] = {
            "limit": self._limit("orders", query.page_size),
            "status": _choice(query.status or "any", ORDER_STATUSES, "status"),
        }
        if query.financial_status:
            params["financial_status"] = _choice(
                query.financial_status, FINANCIAL_STATUSES, "financial_status"
            )
        if query.fulfillment_status:
            params["fulfillment_status"] = FULFILLMENT_QUERY.get(query.fulfillment_status) or (
                _choice(query.fulfillment_status, sorted(FULFILLMENT_QUERY), "fulfillment_status")
            )
        params.update(_date_params(query))
        params.update({k: str(v) for k, v in query.extra.items()})
        return params

    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        return self._list("orders.json", "orders", Order, self.order_params(query), "orders.list")

    def _find_order(self, ref: str) -> Flow[Order | None]:
        # There is no single-order GET; the list endpoint filtered by id is the way.
        response = yield self._get("orders.json", "orders.get", {"ids": ref, "status": "any"})
        rows = self._rows(response, "orders", Order)
        return next((row for row in rows if row.ref == ref), None)

    def get_order(self, ref: str) -> Flow[Order]:
        found = yield from self._find_order(ref)
        if found is None:
            raise NotFound(f"order {ref} does not exist", status=404, platform=self.display_name)
        return found

    @platform_operation()
    def update_order(self, ref: str, **fields: Any) -> Flow[Order]:
        """``PUT orders/{id}.json`` with ``{"order": fields}`` (email, phone, tags,
        note_attributes, shipping_address...). ``tags`` replaces every tag."""
        body = {"order": {"id": ref, **fields}}
        request = build_request(
            "PUT",
            self.url(f"orders/{ref}.json"),
            operation="orders.update",
            idempotent=True,
            json=body,
        )
        response = yield request
        return self._one(response, "order", Order)

    @platform_operation()
    def set_order_tags(self, ref: str, tags: Sequence[str]) -> Flow[Order]:
        """Replace an order's tags."""
        return (yield from self.update_order(ref, tags=conv.join_tags(list(tags))))

    def update_shipping_address(self, ref: str, address: Address) -> Flow[Order]:
        return (yield from self.update_order(ref, shipping_address=_address_body(address)))

    def cancel_order(
        self, ref: str, *, reason: str | None, refund: bool, notify: bool
    ) -> Flow[Order]:
        body: dict[str, Any] = {"email": notify, "restock": True}
        if reason:
            body["cancel_reason"] = reason
        if refund:
            current = yield from self.get_order(ref)
            body.update(
                amount=_money_str(current.total),
                currency=current.currency,
                refund_type="OriginalPayment Refund",
            )
        request = build_request(
            "POST", self.url(f"orders/{ref}/cancel.json"), operation="orders.cancel", json=body
        )

        def cancelled() -> Flow[Order | None]:
            found = yield from self._find_order(ref)
            return found if found is not None and found.raw.get("cancelled_at") else None

        return (
            yield from reconciled_write(request, lambda r: self._one(r, "order", Order), cancelled)
        )

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        """``POST orders.json`` for a historical order, recorded as paid outside SHOPLINE."""
        lines = []
        for index, line in enumerate(draft.lines):
            if line.unit_price.currency != draft.currency:
                raise ValidationError(
                    f"lines[{index}].unit_price is in {line.unit_price.currency}, the order "
                    f"in {draft.currency}",
                    field=f"lines[{index}].unit_price",
                )
            item: dict[str, Any] = {
                "title": line.title,
                "quantity": line.quantity,
                "price": _money_str(line.unit_price),
            }
            if line.sku:
                item["sku"] = line.sku
            if line.variant_ref:
                item["variant_id"] = line.variant_ref
            if line.product_ref:
                item["product_id"] = line.product_ref
            lines.append(item)
        order: dict[str, Any] = {
            "currency": draft.currency,
            "line_items": lines,
            "financial_status": draft.financial_status.value,
            "tags": conv.join_tags(list(draft.tags)),
            "send_receipt": False,
            "inventory_behaviour": "bypass",
        }
        attributes = []
        if draft.number:
            order["name"] = draft.number
            attributes.append({"name": "original_number", "value": draft.number})
        if draft.created_at is not None:
            order["processed_at"] = _iso(draft.created_at)
            attributes.append({"name": "original_created_at", "value": _iso(draft.created_at)})
        if attributes:
            order["note_attributes"] = attributes
        if draft.email:
            order["email"] = draft.email
        if draft.customer_ref:
            order["customer"] = {"id": draft.customer_ref}
        if draft.note:
            order["note"] = draft.note
        if draft.subtotal is not None:
            order["subtotal_price"] = _money_str(draft.subtotal)
        if draft.tax_total is not None:
            order["total_tax"] = _money_str(draft.tax_total)
        if draft.taxes_included is not None:
            order["taxes_included"] = draft.taxes_included
        if draft.shipping_total is not None:
            order["shipping_lines"] = [
                {"title": "Shipping", "price": _money_str(draft.shipping_total)}
            ]
        # Orders have no total_price field: the total follows from lines, shipping, tax and
        # discounts, so a source total below that sum is kept as a discount.
        lines_total = sum(
            (line.unit_price.amount * line.quantity for line in draft.lines), Decimal(0)
        )
        # Gross prices (taxes_included) already contain the tax, so it is not added on top.
        added_tax = None if draft.taxes_included else draft.tax_total
        extras = sum(
            (m.amount for m in (draft.shipping_total, added_tax) if m is not None), Decimal(0)
        )
        discount = lines_total + extras - draft.total.amount
        if discount > 0:
            order["total_discounts"] = str(discount.quantize(Decimal("0.01")))
        if draft.shipping_address is not None:
            order["shipping_address"] = _address_body(draft.shipping_address)
        if draft.billing_address is not None:
            order["billing_address"] = _address_body(draft.billing_address)
        if draft.financial_status.value == "paid":
            order["transactions"] = [
                {
                    "kind": "sale",
                    "status": "success",
                    "gateway": "manual",
                    "amount": _money_str(draft.total),
                }
            ]
        request = build_request(
            "POST", self.url("orders.json"), operation="orders.create", json={"order": order}
        )

        def existing() -> Flow[Order | None]:
            if not draft.number and not draft.tags:
                return None
            params: dict[str, Any] = {"status": "any", "limit": 100}
            if draft.number:
                params["name"] = draft.number
            if draft.email:
                params["email"] = draft.email
            response = yield self._get("orders.json", "orders.find", params)
            for row in self._rows(response, "orders", Order):
                if draft.number and row.number != draft.number:
                    continue
                if set(draft.tags) <= set(row.tags):
                    return row
            return None

        return (
            yield from reconciled_write(request, lambda r: self._one(r, "order", Order), existing)
        )

    # Customers -------------------------------------------------------------------------
    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        params: dict[str, Any] = {"limit": self._limit("customers", query.page_size)}
        params.update(_date_params(query))
        params.update({k: str(v) for k, v in query.extra.items()})
        return self._list("v2/customers.json", "customers", Customer, params, "customers.list")

    def get_customer(self, ref: str) -> Flow[Customer]:
        response = yield self._get(f"customers/v2/{ref}.json", "customers.get")
        return self._one(response, "customer", Customer)

    @platform_operation()
    def find_customer_by_email(self, email: str) -> Flow[Customer | None]:
        """``customers/v2/search.json?query=email:...``: the customer with that e-mail, if any."""
        response = yield self._get(
            "customers/v2/search.json", "customers.search", {"query": f"email:{email}"}
        )
        rows: list[Customer] = self._rows(response, "customers", Customer)
        wanted = email.strip().lower()
        return next((c for c in rows if (c.email or "").lower() == wanted), None)

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        body: dict[str, Any] = {"email": draft.email, "tags": conv.join_tags(list(draft.tags))}
        for key in ("first_name", "last_name", "phone", "note"):
            if getattr(draft, key) is not None:
                body[key] = getattr(draft, key)
        if draft.addresses:
            body["addresses"] = [_address_body(a) for a in draft.addresses]
        if draft.accepts_marketing is not None:
            body["email_marketing_consent"] = {"state": 1 if draft.accepts_marketing else 2}
        request = build_request(
            "POST",
            self.url("customers.json"),
            operation="customers.create",
            json={"customer": body},
        )
        return (
            yield from reconciled_write(
                request,
                lambda r: self._one(r, "customer", Customer),
                lambda: self.find_customer_by_email(draft.email),
            )
        )

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        body: dict[str, Any] = {"id": ref}
        for key in ("email", "first_name", "last_name", "phone", "note"):
            if getattr(update, key) is not None:
                body[key] = getattr(update, key)
        if update.tags is not None:
            body["tags"] = conv.join_tags(list(update.tags))
        if update.accepts_marketing is not None:
            body["email_marketing_consent"] = {"state": 1 if update.accepts_marketing else 2}
        request = build_request(
            "PUT",
            self.url(f"customers/{ref}.json"),
            operation="customers.update",
            idempotent=True,
            json={"customer": body},
        )
        response = yield request
        return self._one(response, "customer", Customer)

    # Products --------------------------------------------------------------------------
    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        currency = yield from self.shop_currency()
        params: dict[str, Any] = {"limit": self._limit("products", query.page_size)}
        params.update(_date_params(query))
        params.update({k: str(v) for k, v in query.extra.items()})
        yield from self._list(
            "products/products.json", "products", Product, params, "products.list", currency
        )

    def get_product(self, ref: str) -> Flow[Product]:
        currency = yield from self.shop_currency()
        response = yield self._get(f"products/{ref}.json", "products.get")
        return self._one(response, "product", Product, currency)

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        currency = yield from self.shop_currency()
        variants = []
        for index, item in enumerate(draft.variants):
            if item.price.currency != currency:
                raise ValidationError(
                    f"variants[{index}].price is in {item.price.currency}; this store sells "
                    f"in {currency}",
                    field=f"variants[{index}].price",
                )
            variant: dict[str, Any] = {
                "sku": item.sku,
                "price": _money_str(item.price),
                "title": item.title or item.sku,
                "option1": item.title or item.sku,
            }
            if item.stock is not None:
                variant.update(inventory_quantity=item.stock, inventory_tracker=True)
            variants.append(variant)
        body: dict[str, Any] = {
            "title": draft.title,
            "tags": conv.join_tags(list(draft.tags)),
            "status": "active",
            "variants": variants,
            "options": [{"name": "Title", "values": [v["option1"] for v in variants]}],
        }
        if draft.description is not None:
            body["body_html"] = draft.description
        request = build_request(
            "POST",
            self.url("products/products.json"),
            operation="products.create",
            json={"product": body},
        )
        skus = {v.sku for v in draft.variants}

        def existing() -> Flow[Product | None]:
            response = yield self._get(
                "products/products.json", "products.find", {"title": draft.title, "limit": 250}
            )
            for row in self._rows(response, "products", Product, currency):
                if skus <= {v.sku for v in row.variants}:
                    return row
            return None

        return (
            yield from reconciled_write(
                request, lambda r: self._one(r, "product", Product, currency), existing
            )
        )

    # Refunds ---------------------------------------------------------------------------
    @staticmethod
    def _refund_type(line: RefundLine) -> str:
        return "Returned" if line.restock is RestockType.RETURN else "Unshipped"

    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        order = yield from self.get_order(order_ref)
        body: dict[str, Any] = {
            "currency": order.currency,
            "refund_line_items": [
                {
                    "line_item_id": line.line_ref,
                    "quantity": line.quantity,
                    "type": self._refund_type(line),
                }
                for line in lines
            ],
        }
        if shipping is not None:
            body["shipping"] = {"amount": _money_str(shipping)}
        response = yield build_request(
            "POST",
            self.url(f"orders/{order_ref}/refunds/calculate.json"),
            operation="refunds.calculate",
            idempotent=True,
            json=body,
        )
        payload = self._body(response).obj("refund")
        quote = conv.refund_quote(payload, order_ref, order.currency)
        # Keep what the request asked for (restock intent) next to SHOPLINE's answer.
        asked = {line.line_ref: line for line in lines}
        return RefundQuote(
            platform=quote.platform,
            order_ref=quote.order_ref,
            lines=tuple(
                RefundLine(
                    line_ref=q.line_ref,
                    quantity=q.quantity,
                    restock=asked[q.line_ref].restock if q.line_ref in asked else q.restock,
                    amount=q.amount,
                )
                for q in quote.lines
            ),
            total=quote.total,
            shipping=quote.shipping,
            subtotal=quote.subtotal,
            tax=quote.tax,
            allocations=quote.allocations,
            raw=quote.raw,
        )

    @platform_operation()
    def list_refunds(self, order_ref: str) -> Flow[list[Refund]]:
        """Every refund of an order (``GET orders/{id}/refunds.json``)."""
        response = yield self._get(f"orders/{order_ref}/refunds.json", "refunds.list")
        body = self._body(response)
        currency = self._currency or "USD"
        return [conv.refund(row, currency) for row in body.iter("refunds", required=True)]

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        if not quote.allocations:
            raise ValidationError(
                "the quote has no transaction to refund to; calculate it again", field="quote"
            )
        currency = quote.total.currency
        body: dict[str, Any] = {
            "order_id": quote.order_ref,
            "notify": notify,
            "currency": currency,
            "refund_line_items": [
                {
                    "line_item_id": line.line_ref,
                    "quantity": line.quantity,
                    "restock_type": "return"
                    if line.restock is RestockType.RETURN
                    else "no_restock",
                    "type": self._refund_type(line),
                }
                for line in quote.lines
            ],
            "transactions": [
                {
                    "id": a.transaction_ref,
                    "gateway": a.gateway,
                    "kind": "refund",
                    "amount": _money_str(a.amount),
                    "currency": a.amount.currency,
                    "type": True,
                }
                for a in quote.allocations
                if a.amount.amount > 0
            ],
        }
        if note:
            body["note"] = note
        if quote.shipping is not None:
            body["shipping"] = {"amount": _money_str(quote.shipping)}
        # Refunds move money: note which refunds exist before sending, so an answer lost in
        # transit is resolved by reading back instead of refunding twice.
        before = {r.ref for r in (yield from self.list_refunds(quote.order_ref))}
        request = build_request(
            "POST", self.url("order/refund.json"), operation="refunds.create", json=body
        )

        def existing() -> Flow[Refund | None]:
            for found in (yield from self.list_refunds(quote.order_ref)):
                if found.ref not in before and found.amount == quote.total:
                    return found
            return None

        def parse(response: _http.Response) -> Refund:
            data = self._body(response).obj("data")
            return conv.refund(data, currency)

        return (yield from reconciled_write(request, parse, existing))

    def list_transactions(self, order_ref: str | None) -> ListFlow[Transaction]:
        if order_ref is None:
            raise ValidationError(
                "SHOPLINE lists transactions per order: pass order_ref", field="order_ref"
            )
        order = yield from self.get_order(order_ref)
        response = yield self._get(f"orders/{order_ref}/transactions.json", "transactions.list")
        body = self._body(response)
        rows = tuple(
            conv.transaction(row, order.currency, order_ref)
            for row in body.iter("transactions", required=True)
        )
        if rows:
            yield Emit(rows)

    # Sandbox -------------------------------------------------------------------------
    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """A seeded SHOPLINE emulator (see :class:`~storebridge_shopline.emulator.ShoplineEmulator`
        for ``options``: ``rate_limit``, ``token_lifetime``, ``private_app``...)."""
        from storebridge_shopline.emulator import sandbox

        return sandbox(size, **options)


__all__ = ["FOLLOW_UP_PARAMS", "PAGE_CAPS", "ShoplineAdapter"]
