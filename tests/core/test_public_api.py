"""Pins the public names: removing or renaming one is a breaking change."""

from __future__ import annotations

import storebridge
from storebridge import errors, model

EXPECTED = {
    "APIError", "Adapter", "Address", "AsyncStore", "AuthenticationError", "ConfigurationError",
    "Conflict", "Customer", "CustomerDraft", "CustomerUpdate", "FileTokenStore",
    "FinancialStatus", "Fulfillment", "FulfillmentOrder", "FulfillmentOrderLine",
    "FulfillmentOrderStatus", "FulfillmentStatus", "ListQuery", "MemoryTokenStore", "Money",
    "NotFound", "Order", "OrderDraft", "OrderLine", "OrderLineDraft", "OrderQuery",
    "OrderStatus", "OutcomeUnknown", "PayloadError", "PermissionDenied", "Product",
    "ProductDraft", "RateLimit", "RateLimited", "Refund", "RefundLine", "RefundQuote",
    "RestockType", "RetryPolicy", "ServerError", "Store", "StoreOptions", "StorebridgeError",
    "Token", "TokenRefreshError", "TokenStore", "Transaction", "TransactionAllocation",
    "TransactionKind", "TransactionStatus", "TransportError", "UnsupportedOperation",
    "ValidationError", "Variant", "VariantDraft", "__version__", "connect", "connect_async",
    "platform_operation", "platforms", "register_adapter", "unregister_adapter",
    "migrate", "MigrationReport",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    assert set(storebridge.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(storebridge, name), name


def test_contract_field_names_exist() -> None:
    fields = {
        model.Order: "ref number status financial_status fulfillment_status email currency total "
        "subtotal lines customer shipping_address billing_address refunds transactions "
        "created_at updated_at platform raw",
        model.OrderLine: "ref sku title quantity unit_price",
        model.Customer: "ref email first_name last_name phone addresses platform raw",
        model.Product: "ref title variants platform raw",
        model.Variant: "ref sku price stock",
        model.Money: "amount currency",
    }
    for cls, names in fields.items():
        present = {a.name for a in cls.__attrs_attrs__}  # type: ignore[attr-defined]
        missing = set(names.split()) - present
        assert not missing, (cls.__name__, missing)


def test_error_tree() -> None:
    assert issubclass(errors.TokenRefreshError, errors.AuthenticationError)
    for cls in (
        errors.AuthenticationError, errors.PermissionDenied, errors.NotFound,
        errors.Conflict, errors.RateLimited, errors.ServerError,
    ):  # fmt: skip
        assert issubclass(cls, errors.APIError)
    for cls in (
        errors.ConfigurationError, errors.ValidationError, errors.UnsupportedOperation,
        errors.TransportError, errors.PayloadError, errors.APIError,
    ):  # fmt: skip
        assert issubclass(cls, errors.StorebridgeError)
    assert issubclass(errors.OutcomeUnknown, errors.TransportError)
    # The docstring draws the tree: every class is in it.
    for name in errors.__all__:
        if name[0].isupper():
            assert name in (errors.__doc__ or ""), name


def test_builtin_platforms_are_entry_points() -> None:
    assert {"29next", "shopline", "24nettbutikk"} <= set(storebridge.platforms())
