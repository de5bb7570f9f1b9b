"""storebridge: one facade over many commerce platforms.

import storebridge

with storebridge.connect("29next", store="acme", access_token=TOKEN) as store:
    for order in store.orders.list(updated_since=since):
        print(order.number, order.total)

# or a [stores.acme] profile from storebridge.toml, secrets read from the environment:
with storebridge.connect(profile="acme") as store:
    ...
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

# The errors load at once: they are small, import nothing else of storebridge, and are what
# every caller catches. Everything else loads on first use (see _load below).
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
    StoreClosed,
    TokenRefreshError,
    TransportError,
    UnsupportedOperation,
    ValidationError,
)

if TYPE_CHECKING:
    from storebridge._policy import StoreOptions
    from storebridge._retry import RetryPolicy
    from storebridge._token_store import FileTokenStore, MemoryTokenStore, Token, TokenStore
    from storebridge.adapter import (
        Adapter,
        ListQuery,
        OrderQuery,
        RateLimit,
        platform_operation,
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
    "StoreClosed",
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

# Where each lazily loaded public name is defined: `import storebridge` (and every
# `storebridge ...` command, which imports it first) then costs only what is used; the
# HTTP client, asyncio, the model, fleets and migrations load when first asked for.
_DEFINED_IN: dict[str, tuple[str, ...]] = {
    "storebridge._policy": ("StoreOptions",),
    "storebridge._retry": ("RetryPolicy",),
    "storebridge._token_store": ("FileTokenStore", "MemoryTokenStore", "Token", "TokenStore"),
    "storebridge.adapter": (
        "Adapter", "ListQuery", "OrderQuery", "RateLimit", "platform_operation",
    ),
    "storebridge.fleet": ("fleet",),
    "storebridge.migrate": ("MigrationReport", "migrate"),
    "storebridge.model": (
        "Address", "Customer", "CustomerDraft", "CustomerUpdate", "FinancialStatus",
        "Fulfillment", "FulfillmentOrder", "FulfillmentOrderLine", "FulfillmentOrderStatus",
        "FulfillmentStatus", "Money", "Order", "OrderDraft", "OrderLine", "OrderLineDraft",
        "OrderStatus", "Product", "ProductDraft", "Refund", "RefundLine", "RefundQuote",
        "RestockType", "Transaction", "TransactionAllocation", "TransactionKind",
        "TransactionStatus", "Variant", "VariantDraft",
    ),
    "storebridge.registry": (
        "connect", "connect_async", "platforms", "register_adapter", "unregister_adapter",
    ),
    "storebridge.store": ("AsyncStore", "Store"),
}  # fmt: skip
_LAZY_NAMES = {name: module for module, names in _DEFINED_IN.items() for name in names}

# Submodules that loading every name at once used to leave bound on the package, so code
# that reached them as attributes after a bare `import storebridge` keeps working.
_SUBMODULES = frozenset(
    {
        "_concurrency", "_engine", "_http", "_inflight", "_json", "_operations", "_policy",
        "_ratelimit", "_redact", "_refresh_lock", "_resources", "_retry", "_token_store",
        "adapter", "auth", "changes", "errors", "flow", "idempotency", "model", "payload",
        "profiles", "refs", "registry", "sandbox", "serialization", "settings", "store",
        "validation",
    }
)  # fmt: skip

# Functions named like the subpackage that defines them: `storebridge.fleet(...)`.
_FUNCTION_OVER_PACKAGE = frozenset({"fleet", "migrate"})


def _load(name: str) -> object:
    """The public name or submodule ``name``, imported on first use and kept."""
    module = _LAZY_NAMES.get(name)
    if module is not None:
        value: object = getattr(importlib.import_module(module), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})


if not TYPE_CHECKING:
    # Hidden from type checkers, which see the real names above and should keep flagging
    # a misspelt attribute instead of typing it Any.
    __getattr__ = _load


class _Package(types.ModuleType):
    """This package's module type: keeps ``storebridge.fleet`` and ``storebridge.migrate``
    the functions users call."""

    def __setattr__(self, name: str, value: object) -> None:
        # Importing the subpackage storebridge.fleet (say, `from storebridge.fleet import
        # Fleet`) binds the subpackage here under the function's name; bind the function.
        if name in _FUNCTION_OVER_PACKAGE and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
