"""The SHOPLINE adapter: Admin REST API at ``{handle}.myshopline.com/admin/openapi/{version}``.

Declarations live here; each operation is one line handing over to its resource module
(:mod:`._orders`, :mod:`._customers`, :mod:`._products`, :mod:`._refunds`,
:mod:`._transactions`), which take the adapter as their first argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import cattrs

from storebridge.errors import APIError
from storebridge.http import Auth, Headers, Request, Response
from storebridge.kit import (
    PROCESS_TOKENS,
    Adapter,
    Flow,
    ListFlow,
    ListQuery,
    OrderQuery,
    RateLimit,
    RefreshingTokenAuth,
    Sandbox,
    SandboxSize,
    Token,
    TokenStore,
    build_request,
    platform_operation,
)
from storebridge.model import (
    Address,
    Change,
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
    Transaction,
    WebhookSubscription,
)
from storebridge_shopline import (
    _customers,
    _orders,
    _products,
    _refunds,
    _shop,
    _transactions,
    _webhooks,
)
from storebridge_shopline._auth import make_auth
from storebridge_shopline._converter import converter_for
from storebridge_shopline._errors import shopline_error
from storebridge_shopline._settings import ShoplineSettings

_SUBSCRIPTION_OPERATIONS = frozenset(
    {"webhooks.subscribe", "webhooks.list", "webhooks.unsubscribe"}
)


class ShoplineAdapter(Adapter):
    """SHOPLINE (``{handle}.myshopline.com``; not the older ``open.shopline.io`` product)."""

    name = "shopline"
    display_name = "SHOPLINE"
    Settings = ShoplineSettings
    # SHOPLINE's bucket holds 40 and leaks 4/s. Requests sent evenly can arrive bunched
    # (network jitter, a busy server), so 8 places are left free: pacing at the limit
    # never provokes a 429.
    default_rate_limit = RateLimit(per_second=4, burst=32)
    sensitive_headers = ("appkey", "sign", "x-shopline-hmac-sha256")
    # The list endpoints' filters in the Admin API reference; ``limit``, ``since_id``,
    # ``page_info``, ``fields`` and the sort orders are the walk's own, and the time bounds
    # are the facade's ``updated_*``/``created_*``.
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {
        "orders": frozenset({
            "ids", "name", "email", "buyer_id", "hidden_order", "location", "contract_ids",
            "search_content",
        }),
        "customers": frozenset({"ids"}),
        "products": frozenset({
            "ids", "handle", "title", "vendor", "status", "collection_id", "product_category",
        }),
    }  # fmt: skip
    # Customers and products come by id (``since_id``), orders in merged time windows: an
    # order of update or creation times is only ever a coincidence.
    checkpoint_keys = frozenset[str]()

    def __init__(self, settings: ShoplineSettings) -> None:
        super().__init__(settings)
        self.settings: ShoplineSettings = settings
        # Without a store of its own, the process's: stores on one credential in one
        # process then share a token instead of ending each other's with every refresh.
        self.token_store: TokenStore = settings.token_store or PROCESS_TOKENS
        # One auth object for the adapter's life: it holds the current token and the lock
        # that makes concurrent requests share one refresh.
        self._auth = make_auth(settings, self.token_store)
        self.currency: str | None = None
        """The store's settlement currency, once read (products are priced in it)."""

    # Transport declarations ------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.settings.root_url}/admin/openapi/{self.settings.api_version}"

    @property
    def auth(self) -> Auth:
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

    def parse_error(self, response: Response) -> APIError:
        return shopline_error(self, response, private_app=self.settings.private_app)

    # What the resource modules build on (storebridge_shopline._api.Api) -----------------
    @property
    def clock(self) -> Callable[[], float]:
        return self.settings.clock

    def url(self, path: str) -> str:
        """The endpoint ``path`` (built with :func:`~storebridge.kit.segment` for refs)."""
        return f"{self.base_url}/{path}"

    def get(
        self,
        path: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        check: Callable[[Response], None] | None = None,
    ) -> Request:
        return build_request(
            "GET", self.url(path), operation=operation, params=dict(params or {}), check=check
        )

    def write(self, method: str, path: str, operation: str, body: Any) -> Request:
        """A write: never re-sent blindly (see :func:`~storebridge.kit.reconciled_write`)."""
        return build_request(method, self.url(path), operation=operation, idempotent=False,
                             json=body)  # fmt: skip

    def converter(self, currency: str | None = None) -> cattrs.Converter:
        """The wire converter; ``currency`` prices products (default: the store's, once
        read; before that a product is a PayloadError, never priced in a guessed currency).
        Orders carry their own currency, customers none."""
        return converter_for(currency or self.currency)

    # Orders ----------------------------------------------------------------------------
    def list_orders(self, query: OrderQuery) -> ListFlow[Order]:
        return _orders.list_orders(self, query)

    def get_order(self, ref: str) -> Flow[Order]:
        return _orders.get_order(self, ref)

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        return _orders.create_order(self, draft)

    def cancel_order(
        self,
        ref: str,
        *,
        reason: str | None,
        refund: bool,
        notify: bool,
        restock: bool | None = None,
    ) -> Flow[Order]:
        return _orders.cancel_order(
            self, ref, reason=reason, refund=refund, notify=notify, restock=restock
        )

    def update_shipping_address(self, ref: str, address: Address) -> Flow[Order]:
        return _orders.update_shipping_address(self, ref, address)

    @platform_operation()
    def update_order(self, ref: str, **fields: Any) -> Flow[Order]:
        """``PUT orders/{id}.json`` with ``{"order": fields}``: ``email``, ``phone``,
        ``tags`` (replaces every tag), ``note``, ``note_attributes``, ``shipping_address``
        (an Address)... Checked before sending; a lost answer is read back."""
        return _orders.update_order(self, ref, fields)

    @platform_operation()
    def set_order_tags(self, ref: str, tags: Sequence[str]) -> Flow[Order]:
        """Replace an order's tags (no commas: SHOPLINE keeps them as one string)."""
        return _orders.set_order_tags(self, ref, tags)

    # Customers -------------------------------------------------------------------------
    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        return _customers.list_customers(self, query)

    def get_customer(self, ref: str) -> Flow[Customer]:
        return _customers.get_customer(self, ref)

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        return _customers.create_customer(self, draft)

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        return _customers.update_customer(self, ref, update)

    @platform_operation()
    def find_customer_by_email(self, email: str) -> Flow[Customer | None]:
        """``customers/v2/search.json?query=email:...``: the customer with that e-mail, if any."""
        return _customers.find_customer_by_email(self, email)

    # Products --------------------------------------------------------------------------
    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        return _products.list_products(self, query)

    def get_product(self, ref: str) -> Flow[Product]:
        return _products.get_product(self, ref)

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        return _products.create_product(self, draft)

    # Refunds and transactions ------------------------------------------------------------
    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        return _refunds.calculate_refund(self, order_ref, lines, shipping)

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        return _refunds.create_refund(self, quote, note, notify)

    def find_refund(self, quote: RefundQuote) -> Flow[Refund | None]:
        return _refunds.find_refund(self, quote)

    @platform_operation()
    def list_refunds(self, order_ref: str) -> Flow[list[Refund]]:
        """Every refund of an order (``GET orders/{id}/refunds.json``)."""
        return _refunds.list_refunds(self, order_ref)

    def list_transactions(self, order_ref: str | None) -> ListFlow[Transaction]:
        return _transactions.list_transactions(self, order_ref)

    # The store -------------------------------------------------------------------------
    @platform_operation()
    def shop_currency(self) -> Flow[str]:
        """The store's settlement currency (``merchants/shop.json``), fetched once; read it
        before serving webhooks (products and some refunds are priced in it)."""
        return _shop.shop_currency(self)

    def webhook_setup(self) -> Flow[None]:
        # Products (and refunds that name none) are priced in the store's currency.
        yield from self.shop_currency()

    def store_currencies(self) -> Flow[frozenset[str] | None]:
        return _shop.store_currencies(self)

    # Webhooks --------------------------------------------------------------------------
    @property
    def api_version(self) -> str:
        return self.settings.api_version

    def unsupported_reason(self, operation: str) -> str | None:
        first = _webhooks.FIRST_VERSION
        if operation in _SUBSCRIPTION_OPERATIONS and self.api_version < first:
            return (
                f"the webhook subscription API exists from {first}; connect with "
                f"api_version={first!r} or later (older webhook versions are set up in the "
                "Partner Portal or the store admin)"
            )
        return None

    def subscribe_webhooks(
        self, topics: Sequence[str], url: str, *, secret: str | None
    ) -> Flow[list[WebhookSubscription]]:
        return _webhooks.subscribe(self, topics, url, secret)

    def list_webhooks(self) -> ListFlow[WebhookSubscription]:
        return _webhooks.list_webhooks(self)

    def unsubscribe_webhook(self, ref: str) -> Flow[None]:
        return _webhooks.unsubscribe(self, ref)

    def parse_webhook(self, headers: Headers, body: bytes, secret: str) -> Change:
        return _webhooks.parse_webhook(self, headers, body, secret)

    def webhook_secret(self) -> str | None:
        """SHOPLINE signs deliveries with the app secret."""
        given = self.settings.app_secret
        return None if given is None else given.reveal()

    # Sandbox ---------------------------------------------------------------------------
    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        """A seeded SHOPLINE emulator (see :class:`~storebridge_shopline.ShoplineEmulator`
        for ``options``: ``rate_limit``, ``token_lifetime``, ``private_app``...)."""
        from storebridge_shopline.emulator import sandbox

        return sandbox(size, **options)


__all__ = ["ShoplineAdapter"]
