"""The Example Commerce adapter: each operation is a sans-I/O flow over its REST API."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from storebridge.errors import APIError, PayloadError, ValidationError
from storebridge.http import Auth, Response
from storebridge.kit import (
    Adapter,
    BearerAuth,
    BodyNextUrl,
    Emit,
    Flow,
    ListFlow,
    ListQuery,
    OrderQuery,
    Payload,
    Sandbox,
    SandboxSize,
    Secret,
    SettingError,
    build_request,
    check_base_url,
    check_query_value,
    error_from_response,
    expand_pages,
    just,
    platform_operation,
    read_json,
    read_payload,
    reconciled_write,
    secret_field,
    segment,
    walk,
)
from storebridge.model import (
    Customer,
    CustomerDraft,
    Money,
    Order,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
)
from storebridge_example.api import API_PATH, MAX_PAGE_SIZE, PLATFORM, RATE_LIMIT
from storebridge_example.converters import to_customer, to_order, to_quote, to_refund
from storebridge_example.emulator import ExampleEmulator

T = TypeVar("T")


def _page_size(_settings: object, _attribute: object, value: int) -> None:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise SettingError("page_size", f"page_size must be 1 to {MAX_PAGE_SIZE}, got {value}")


@attrs.frozen(kw_only=True)
class ExampleSettings:
    """What ``storebridge.connect("example", ...)`` takes."""

    base_url: str = attrs.field(converter=check_base_url)
    """The store's address, e.g. ``https://acme.example-commerce.test``."""
    token: Secret = secret_field(header_safe=True)
    """An access token from the store's admin (Settings > API access)."""
    page_size: int = attrs.field(default=50, validator=_page_size)
    """Records per page of a listing."""
    read_only: bool = False
    """The token has read scopes only: writes are refused before any request is sent."""


class ExampleAdapter(Adapter):
    """Example Commerce: orders, customers and refunds through its REST API (v1)."""

    name = PLATFORM
    display_name = "Example Commerce"
    Settings = ExampleSettings
    default_rate_limit = RATE_LIMIT
    settings: ExampleSettings

    @property
    def base_url(self) -> str:
        return f"{self.settings.base_url}{API_PATH}"

    @property
    def auth(self) -> Auth:
        return BearerAuth(self.settings.token)

    @property
    def secrets(self) -> Sequence[str]:
        return (self.settings.token.reveal(),)

    @property
    def credential_key(self) -> str:
        # The platform counts requests per token; a digest keeps the token out of the key.
        digest = hashlib.sha256(self.settings.token.reveal().encode()).hexdigest()[:16]
        return f"{self.name}:{digest}"

    def parse_error(self, response: Response) -> APIError:
        message, fields = _error_details(response)
        return error_from_response(self, response, message=message, field_errors=fields)

    def unsupported_reason(self, operation: str) -> str | None:
        if operation in ("customers.create", "refunds.create") and self.settings.read_only:
            return "the store was connected with read_only=True"
        if operation.startswith("products."):
            return "Example Commerce serves its catalogue from another API, not covered here"
        return None

    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        params = _listing_params(self, query)
        if query.status is not None:
            params["status"] = check_query_value(query.status, "status")
        return _listing(self, "orders", params, to_order)

    def get_order(self, ref: str) -> Flow[Order]:
        url = f"{self.base_url}/orders/{segment(ref)}"
        response = yield build_request("GET", url, operation="orders.get")
        return _read_member(response, "order", to_order)

    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        return _listing(self, "customers", _listing_params(self, query, "email"), to_customer)

    def get_customer(self, ref: str) -> Flow[Customer]:
        url = f"{self.base_url}/customers/{segment(ref)}"
        response = yield build_request("GET", url, operation="customers.get")
        return _read_member(response, "customer", to_customer)

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        body = {"customer": _customer_body(draft)}
        url = f"{self.base_url}/customers"
        request = build_request("POST", url, operation="customers.create", json=body)
        return (
            yield from reconciled_write(
                request,
                lambda response: _read_member(response, "customer", to_customer),
                lambda: self._customer_by_email(draft.email),
            )
        )

    def _customer_by_email(self, email: str) -> Flow[Customer | None]:
        url = f"{self.base_url}/customers"
        params = {"email": email, "limit": 1}
        response = yield build_request("GET", url, operation="customers.find", params=params)
        found = Payload(read_json(response), platform=self.name).objects("customers")
        return read_payload(found[0], to_customer) if found else None

    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        body = _refund_body(lines, shipping)
        url = f"{self.base_url}/orders/{segment(order_ref, 'order_ref')}/refunds/preview"
        # A preview changes nothing, so it may be asked again like a GET.
        response = yield build_request(
            "POST", url, operation="refunds.calculate", json=body, idempotent=True
        )
        return _read_member(response, "refund", to_quote, order_ref)

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        body = _refund_body(quote.lines, quote.shipping)
        body.update(note=note, notify=notify, client_key=quote.idempotency_key)
        url = f"{self.base_url}/orders/{segment(quote.order_ref, 'order_ref')}/refunds"
        request = build_request("POST", url, operation="refunds.create", json=body)
        currency = quote.total.currency
        return (
            yield from reconciled_write(
                request,
                lambda r: _read_member(r, "refund", to_refund, quote.order_ref, currency),
                lambda: self.find_refund(quote),
            )
        )

    def find_refund(self, quote: RefundQuote) -> Flow[Refund | None]:
        found = yield from self._refunds(quote.order_ref, client_key=quote.idempotency_key)
        return found[0] if found else None

    @platform_operation("list")
    def list_refunds(self, order_ref: str) -> ListFlow[Refund]:
        """Every refund of one order: ``store.extra.list_refunds("1001")``."""
        refunds = yield from self._refunds(order_ref)
        yield Emit(refunds)

    def _refunds(self, order_ref: str, client_key: str | None = None) -> Flow[list[Refund]]:
        url = f"{self.base_url}/orders/{segment(order_ref, 'order_ref')}/refunds"
        params = {"client_key": client_key} if client_key else None
        response = yield build_request("GET", url, operation="refunds.list", params=params)
        body = Payload(read_json(response), platform=self.name)
        currency = body.currency("currency")
        refunds = body.objects("refunds")
        return [read_payload(r, to_refund, order_ref, currency, what="refund") for r in refunds]

    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        emulator = ExampleEmulator(size, **options)
        return Sandbox(cls.name, emulator, lambda url: {"base_url": url, "token": emulator.token})


def _error_details(response: Response) -> tuple[str, dict[str, list[str]]]:
    """The message and field errors of ``{"error": {"code", "message", "fields"}}``.

    Any other body -- a proxy's HTML page, an empty or cut-off answer, JSON of another
    shape -- gives the status's reason phrase: the error class still follows the status.
    """
    try:
        error = Payload(read_json(response), platform=PLATFORM).obj("error")
        message = f"{error.string('message')} ({error.string('code')})"
        fields = error.opt_obj("fields")
    except PayloadError:
        return response.reason_phrase or f"HTTP {response.status_code}", {}
    details: dict[str, list[str]] = {}
    for name, value in (fields.data if fields is not None else {}).items():
        details[str(name)] = [str(m) for m in value] if isinstance(value, list) else [str(value)]
    return message, details


NO_FILTER = (
    "updated_until",
    "created_since",
    "created_until",
    "financial_status",
    "fulfillment_status",
)
"""Query fields Example Commerce cannot filter by."""


def _listing_params(adapter: ExampleAdapter, query: ListQuery, *filters: str) -> dict[str, Any]:
    """The query as Example Commerce parameters; ``filters`` are the platform filters the
    listing takes (``store.customers.list(email=...)``)."""
    for name in NO_FILTER:
        if getattr(query, name, None) is not None:
            raise ValidationError(f"{adapter.display_name} cannot filter by {name}", field=name)
    size = query.page_size or adapter.settings.page_size
    if size > MAX_PAGE_SIZE:
        raise ValidationError(f"page_size is at most {MAX_PAGE_SIZE}", field="page_size")
    params: dict[str, Any] = {"limit": size}
    if query.updated_since is not None:
        params["updated_since"] = query.updated_since.isoformat()
    for name, value in query.extra.items():
        if name not in filters:
            raise ValidationError(f"{adapter.display_name} has no filter {name!r}", field=name)
        params[name] = check_query_value(value, name)
    return params


def _listing(
    adapter: ExampleAdapter, resource: str, params: dict[str, Any], convert: Callable[[Payload], T]
) -> ListFlow[T]:
    """Every record of ``GET /{resource}``: rows at ``$.{resource}``, the next page's URL at
    ``$.next``, each page converted as it arrives."""
    url = f"{adapter.base_url}/{resource}"
    first = build_request("GET", url, operation=f"{resource}.list", params=params)
    pages = BodyNextUrl(rows=(resource,), next=("next",))
    rows: ListFlow[dict[str, Any]] = walk(
        first, pages, resource=resource, platform=PLATFORM, key=lambda row: row["id"]
    )

    def convert_page(page: Sequence[Any]) -> Flow[list[T]]:
        payloads = [Payload(row, f"$.{resource}[{i}]", PLATFORM) for i, row in enumerate(page)]
        return just([read_payload(payload, convert) for payload in payloads])

    return expand_pages(rows, convert_page)


def _read_member(response: Response, name: str, convert: Callable[..., T], *args: Any) -> T:
    """``convert(payload, *args)`` of the object under ``name`` (``{"order": {...}}``)."""
    body = Payload(read_json(response), platform=PLATFORM)
    return read_payload(body.obj(name), convert, *args, what=name)


def _customer_body(draft: CustomerDraft) -> dict[str, Any]:
    for name in ("addresses", "tags", "note", "accepts_marketing"):
        if getattr(draft, name):
            raise ValidationError(f"Example Commerce customers have no {name}", field=name)
    return {
        "email": draft.email,
        "first_name": draft.first_name,
        "last_name": draft.last_name,
        "phone": draft.phone,
    }


def _refund_body(lines: Sequence[RefundLine], shipping: Money | None) -> dict[str, Any]:
    for index, line in enumerate(lines):
        if line.restock not in (RestockType.NO_RESTOCK, RestockType.UNKNOWN):
            raise ValidationError(
                "Example Commerce refunds do not restock; use RestockType.NO_RESTOCK",
                field=f"lines[{index}].restock",
            )
    return {
        "lines": [{"line_id": line.line_ref, "quantity": line.quantity} for line in lines],
        "shipping": None if shipping is None else str(shipping.amount),
    }
