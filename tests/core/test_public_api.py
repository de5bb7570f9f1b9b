"""Pins the public names: removing or renaming one is a breaking change."""

from __future__ import annotations

from typing import Any

import pytest

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
    "RestockType", "RetryPolicy", "ServerError", "Store", "StoreClosed", "StoreOptions",
    "StorebridgeError", "Token", "TokenRefreshError", "TokenStore", "Transaction",
    "TransactionAllocation", "TransactionKind", "TransactionStatus", "TransportError",
    "UnsupportedOperation", "ValidationError", "Variant", "VariantDraft", "__version__",
    "connect", "connect_async", "platform_operation", "platforms", "register_adapter",
    "unregister_adapter", "migrate", "MigrationReport", "fleet",
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
    for base in (
        errors.ConfigurationError, errors.ValidationError, errors.UnsupportedOperation,
        errors.TransportError, errors.PayloadError, errors.APIError,
    ):  # fmt: skip
        assert issubclass(base, errors.StorebridgeError)
    assert issubclass(errors.OutcomeUnknown, errors.TransportError)
    # The docstring draws the tree: every class is in it.
    for name in errors.__all__:
        if name[0].isupper():
            assert name in (errors.__doc__ or ""), name


def test_builtin_platforms_are_entry_points() -> None:
    assert {"29next", "shopline", "24nettbutikk"} <= set(storebridge.platforms())


def test_an_adapter_is_looked_up_among_the_entry_points_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storebridge import registry

    scans: list[int] = []
    scan = registry._entry_points

    def counted() -> dict[str, Any]:
        scans.append(1)
        return scan()

    monkeypatch.setattr(registry, "_installed", {}, raising=False)
    monkeypatch.setattr(registry, "_entry_points", counted)
    first = registry.adapter_class("shopline")
    for _ in range(5):
        assert registry.adapter_class("shopline") is first
    assert len(scans) == 1
    with pytest.raises(storebridge.ConfigurationError, match="no adapter named"):
        registry.adapter_class("not-installed")
    assert len(scans) >= 2  # a name not yet known is always looked up afresh


KIT = {
    "CONCURRENCY", "OPERATIONS", "Adapter", "AddressFields", "Batch", "BearerAuth",
    "BodyNextUrl", "Emit", "FileTokenStore", "First", "Flow", "LinkHeader", "ListFlow", "ListQuery",
    "MemoryTokenStore", "OrderQuery", "PROCESS_TOKENS", "Page", "PageReader", "Parallel",
    "Payload", "exact_sum",
    "QueryTokenAuth", "RateLimit", "RefreshingTokenAuth", "Sandbox", "SandboxSize", "Secret",
    "SeenKeys",
    "SettingError", "Token", "TokenAsBasicAuth", "TokenRefresher", "TokenStore",
    "WebhookRejected",
    "build_request", "canonical_host", "check_base_url", "check_query_value", "check_ref",
    "customer_matches",
    "day_windows",
    "derive_request", "drive", "error_from_response", "expand_pages", "expiry_in",
    "is_loopback_host", "just", "make_wire_converter", "map_flow", "merge_parallel",
    "order_matches", "past_caches",
    "parse_iso_datetime", "parse_json", "parse_retry_after", "parse_settings", "platform_data",
    "platform_operation", "product_matches",
    "read_back_rows", "read_delivery", "delivered_change", "reconciled_update",
    "reconciled_write", "read_json",
    "read_payload", "relay", "repeated_rows", "request_meta", "rows_at",
    "same_origin", "secret_field", "segment", "split_name", "stored_form", "the_new_refund",
    "time_windows",
    "token_problem",
    "unique_items",
    "walk",
    "with_check",
    # fast paths for well-formed rows
    "NotPlain", "PlainStatus", "plain_amount", "plain_flag", "plain_model", "plain_money",
    "plain_ref",
    "plain_text", "plain_time", "read_plain",
    # steps of a flow that keeps requests in flight while it reads on
    "Start", "Collect", "Ticket",
    # wrapping a flow: advancing it and passing its steps on
    "FlowStepper", "Done", "ask",
    # webhook signature headers
    "signature_digest",
    # time windows filtered client-side
    "within",
}  # fmt: skip


def test_adapter_author_names_are_pinned() -> None:
    from storebridge import kit

    assert set(kit.__all__) == KIT
    for name in KIT:
        assert hasattr(kit, name), name


def test_address_fields_read_and_write_both_ways() -> None:
    from storebridge.kit import AddressFields, Payload

    spelled = AddressFields(line1="address1", postal_code="zip", region=("province", "state"),
                            company=None)  # fmt: skip
    wire = {"address1": "Storgata 1", "zip": "0155", "state": "Oslo", "company": "ignored"}
    address = spelled.read(Payload(wire))
    assert address == model.Address(line1="Storgata 1", postal_code="0155", region="Oslo")
    assert spelled.write(address) == {"address1": "Storgata 1", "zip": "0155", "province": "Oslo"}
    assert spelled.read_optional(Payload({"a": {}}), "a") is None
