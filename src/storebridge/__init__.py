"""storebridge: one facade over many commerce platforms.

import storebridge

with storebridge.connect("29next", store="acme", access_token=TOKEN) as store:
    for order in store.orders.list(updated_since=since):
        print(order.number, order.total)

# or a [stores.acme] profile from storebridge.toml, secrets read from the environment:
with storebridge.connect(profile="acme") as store:
    ...
"""

from storebridge._engine import StoreOptions
from storebridge._retry import RetryPolicy
from storebridge.adapter import Adapter, ListQuery, OrderQuery, RateLimit, platform_operation
from storebridge.auth import FileTokenStore, MemoryTokenStore, Token, TokenStore
from storebridge.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    PayloadError,
    PermissionDenied,
    RateLimited,
    ServerError,
    StorebridgeError,
    TokenRefreshError,
    TransportError,
    UnsupportedOperation,
    ValidationError,
)
from storebridge.fleet import fleet
from storebridge.migrate import MigrationReport, migrate
from storebridge.model import (
    Address,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    FinancialStatus,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    FulfillmentOrderStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderDraft,
    OrderLine,
    OrderLineDraft,
    OrderStatus,
    Product,
    ProductDraft,
    Refund,
    RefundLine,
    RefundQuote,
    RestockType,
    Transaction,
    TransactionAllocation,
    TransactionKind,
    TransactionStatus,
    Variant,
    VariantDraft,
)
from storebridge.registry import (
    connect,
    connect_async,
    platforms,
    register_adapter,
    unregister_adapter,
)
from storebridge.store import AsyncStore, Store

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Adapter",
    "Address",
    "AsyncStore",
    "AuthenticationError",
    "ConfigurationError",
    "Conflict",
    "Customer",
    "CustomerDraft",
    "CustomerUpdate",
    "FileTokenStore",
    "FinancialStatus",
    "Fulfillment",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "FulfillmentOrderStatus",
    "FulfillmentStatus",
    "ListQuery",
    "MemoryTokenStore",
    "MigrationReport",
    "Money",
    "NotFound",
    "Order",
    "OrderDraft",
    "OrderLine",
    "OrderLineDraft",
    "OrderQuery",
    "OrderStatus",
    "OutcomeUnknown",
    "PayloadError",
    "PermissionDenied",
    "Product",
    "ProductDraft",
    "RateLimit",
    "RateLimited",
    "Refund",
    "RefundLine",
    "RefundQuote",
    "RestockType",
    "RetryPolicy",
    "ServerError",
    "Store",
    "StoreOptions",
    "StorebridgeError",
    "Token",
    "TokenRefreshError",
    "TokenStore",
    "Transaction",
    "TransactionAllocation",
    "TransactionKind",
    "TransactionStatus",
    "TransportError",
    "UnsupportedOperation",
    "ValidationError",
    "Variant",
    "VariantDraft",
    "__version__",
    "connect",
    "connect_async",
    "fleet",
    "migrate",
    "platform_operation",
    "platforms",
    "register_adapter",
    "unregister_adapter",
]
