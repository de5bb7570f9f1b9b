"""The 29 Next (Next Commerce) Admin API adapter: declarations, and each operation handed to
the module of its resource (``_orders``, ``_customers``, ``_products``, ``_transactions``,
``_refunds``, ``_fulfillment``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from storebridge.errors import APIError
from storebridge.http import Auth, Headers, Response
from storebridge.kit import (
    Adapter,
    Flow,
    ListFlow,
    ListQuery,
    OrderQuery,
    RateLimit,
    Sandbox,
    SandboxSize,
    just,
    platform_operation,
)
from storebridge.model import (
    Address,
    Change,
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
    Transaction,
    WebhookSubscription,
)
from storebridge_29next import (
    _customers,
    _fulfillment,
    _orders,
    _products,
    _refunds,
    _transactions,
    _webhooks,
)
from storebridge_29next._auth import bearer_auth, credential_key
from storebridge_29next._errors import parse_error
from storebridge_29next._fulfillment import (
    AvailableLocation,
    FulfillmentRequestResult,
    MoveResult,
)
from storebridge_29next._settings import (
    LEGACY_API_VERSION,
    VERSION_HEADER,
    TwentyNineNextSettings,
)
from storebridge_29next._webhooks import SIGNATURE_HEADER

SANDBOX_WEBHOOK_SECRET = "sandbox-29next-webhook-secret"
"""The ``webhook_secret`` a sandbox's settings carry: subscriptions made through them are
signed with it, and receivers verify with it."""


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
    sensitive_headers = (SIGNATURE_HEADER.lower(),)
    not_kept: ClassVar[Mapping[str, str]] = {
        "CustomerDraft.note": "a user's notes are a resource of their own",
        "CustomerUpdate.note": "a user's notes are a resource of their own",
        "OrderDraft.note": "the order create takes no note",
        "Address.company": "its addresses have no company field",
    }
    # The list endpoints' query parameters in the Admin API reference, less the cursor the
    # walk owns; ``slices`` is this adapter's own (how many day windows to read).
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {
        "orders": frozenset({
            "search_text", "address", "order_number", "name", "product", "location_id", "sku",
            "payment_method", "currency", "delivery_status", "payment_status",
            "subscription_lifecycle", "date_placed_from", "date_placed_to", "coupon_code",
            "tags", "offers", "countries", "funnels", "sources", "agents", "utm_source",
            "utm_campaign", "utm_term", "utm_content", "affiliate", "subaffiliate1",
            "subaffiliate2", "subaffiliate3", "subaffiliate4", "subaffiliate5", "is_disputed",
            "has_outstanding_balance", "has_split_fulfillment", "is_test", "slices",
        }),
        "customers": frozenset({
            "email", "name", "phone_number", "language", "user_type", "date_joined_from",
            "date_joined_to", "is_blocked", "accepts_marketing",
        }),
        "products": frozenset({"title", "category", "range", "is_public", "is_gift_card", "sku"}),
    }  # fmt: skip

    settings: TwentyNineNextSettings

    # Declarations ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.api_root

    @property
    def api_version(self) -> str:
        return self.settings.api_version

    @property
    def legacy(self) -> bool:
        """True on API version 2023-02-10 (no refund calculation; amount-only refunds)."""
        return self.api_version == LEGACY_API_VERSION

    @property
    def auth(self) -> Auth:
        return bearer_auth(self.settings.access_token)

    @property
    def credential_key(self) -> str:
        return credential_key(self.settings.access_token)

    @property
    def secrets(self) -> Sequence[str]:
        values = [self.settings.access_token.reveal()]
        if self.settings.webhook_secret is not None:
            values.append(self.settings.webhook_secret.reveal())
        return [*values, *self.given_secrets]

    @property
    def given_secrets(self) -> list[str]:
        """Signing secrets passed to ``webhooks.subscribe(secret=...)``: masked like the
        settings' from then on (a platform may echo a subscription back in an error)."""
        given: list[str] | None = self.__dict__.get("_given_secrets")
        if given is None:
            given = self.__dict__["_given_secrets"] = []
        return given

    @property
    def default_headers(self) -> Mapping[str, str]:
        return {VERSION_HEADER: self.api_version, "Accept": "application/json"}

    def parse_error(self, response: Response) -> APIError:
        return parse_error(self, response)

    def unsupported_reason(self, operation: str) -> str | None:
        if operation == "refunds.calculate" and self.legacy:
            return (
                "refund calculation exists from API version 2024-04-01; connect with "
                "api_version='2024-04-01' (on 2023-02-10, build a RefundQuote with the "
                "amount and call refunds.create)"
            )
        return None

    # Orders --------------------------------------------------------------------------------
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

    # Customers -----------------------------------------------------------------------------
    def list_customers(self, query: ListQuery) -> ListFlow[Customer]:
        return _customers.list_customers(self, query)

    def get_customer(self, ref: str) -> Flow[Customer]:
        return _customers.get_customer(self, ref)

    def create_customer(self, draft: CustomerDraft) -> Flow[Customer]:
        return _customers.create_customer(self, draft)

    def update_customer(self, ref: str, update: CustomerUpdate) -> Flow[Customer]:
        return _customers.update_customer(self, ref, update)

    # Products ------------------------------------------------------------------------------
    def list_products(self, query: ListQuery) -> ListFlow[Product]:
        return _products.list_products(self, query)

    def get_product(self, ref: str) -> Flow[Product]:
        return _products.get_product(self, ref)

    def create_product(self, draft: ProductDraft) -> Flow[Product]:
        return _products.create_product(self, draft)

    # Transactions and refunds --------------------------------------------------------------
    def list_transactions(self, order_ref: str | None) -> ListFlow[Transaction]:
        return _transactions.list_transactions(self, order_ref)

    def calculate_refund(
        self, order_ref: str, *, lines: Sequence[RefundLine], shipping: Money | None
    ) -> Flow[RefundQuote]:
        return _refunds.calculate_refund(self, order_ref, lines=lines, shipping=shipping)

    def create_refund(self, quote: RefundQuote, *, note: str | None, notify: bool) -> Flow[Refund]:
        return _refunds.create_refund(self, quote, note=note, notify=notify)

    def find_refund(self, quote: RefundQuote) -> Flow[Refund | None]:
        return _refunds.find_refund(self, quote)

    # Webhooks ------------------------------------------------------------------------------
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
        given = self.settings.webhook_secret
        return None if given is None else given.reveal()

    # Fulfillment orders (platform operations) ----------------------------------------------
    @platform_operation()
    def fulfillment_orders(self, order_ref: str) -> Flow[list[FulfillmentOrder]]:
        """The fulfillment orders of an order (1 request)."""
        return _fulfillment.fulfillment_orders(self, order_ref)

    @platform_operation()
    def get_fulfillment_order(self, fulfillment_order_ref: str) -> Flow[FulfillmentOrder]:
        """One fulfillment order (1 request)."""
        return _fulfillment.get_fulfillment_order(self, fulfillment_order_ref)

    @platform_operation()
    def request_fulfillment(
        self,
        fulfillment_order_ref: str,
        *,
        lines: Mapping[str, int] | None = None,
        message: str | None = None,
        notify: bool = True,
    ) -> Flow[FulfillmentRequestResult]:
        """Send a fulfillment order to its location now (3 requests: the fulfillment order
        and its order's others, which a lost answer is told apart from, then the request).
        ``lines`` maps fulfillment-order line refs to quantities: only those are requested
        and the rest is split into a new, unrequested fulfillment order.
        """
        return _fulfillment.request_fulfillment(
            self, fulfillment_order_ref, lines=lines, message=message, notify=notify
        )

    @platform_operation()
    def hold_fulfillment_order(
        self, fulfillment_order_ref: str, *, reason: str, message: str | None = None
    ) -> Flow[FulfillmentOrder]:
        """Put a fulfillment order on hold (2 requests: its holds so far, then the hold).
        ``reason`` is one of HOLD_REASONS."""
        return _fulfillment.hold_fulfillment_order(
            self, fulfillment_order_ref, reason=reason, message=message
        )

    @platform_operation()
    def request_fulfillment_cancellation(
        self, fulfillment_order_ref: str, *, message: str | None = None
    ) -> Flow[FulfillmentOrder]:
        """Ask the location to stop fulfilling (2 requests: the requests so far, then this
        one); needed before moving a
        fulfillment order that is ``processing``."""
        return _fulfillment.request_cancellation(self, fulfillment_order_ref, message=message)

    @platform_operation()
    def available_locations(self, fulfillment_order_ref: str) -> Flow[list[AvailableLocation]]:
        """Locations that stock the fulfillment order's lines (1 request)."""
        return _fulfillment.available_locations(self, fulfillment_order_ref)

    @platform_operation()
    def move_fulfillment_order(
        self,
        fulfillment_order_ref: str,
        location_ref: str,
        *,
        line_refs: Sequence[str] | None = None,
    ) -> Flow[MoveResult]:
        """Move a fulfillment order (or some of its lines) to another location (3 requests:
        the fulfillment order, its order's others, the move).

        Only an ``open`` fulfillment order can move: this is checked first, and a
        ``processing`` one needs ``request_fulfillment_cancellation`` before.
        """
        return _fulfillment.move_fulfillment_order(
            self, fulfillment_order_ref, location_ref, line_refs=line_refs
        )

    # Sandbox -------------------------------------------------------------------------------
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
            return {
                "base_url": root,
                "access_token": emulator.token,
                "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            }

        return Sandbox(platform=cls.name, emulator=emulator, settings=settings)

    def store_currencies(self) -> Flow[frozenset[str] | None]:
        # The Admin API has no store-currency listing in the spec we target.
        return just(None)


__all__ = ["TwentyNineNextAdapter"]
