"""SHOPLINE payloads and error answers -> model and exceptions.

The vendor-document tests read SHOPLINE's own overview from ``../shared/seeds`` (or the
directory in ``STOREBRIDGE_SHARED_DIR``) and skip, saying where they looked, when it is absent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from storebridge import (
    AuthenticationError,
    Conflict,
    FulfillmentStatus,
    Money,
    NotFound,
    OrderStatus,
    PayloadError,
    PermissionDenied,
    RateLimited,
)
from storebridge.http import Request, Response
from storebridge.model import Order, Product
from storebridge.payload import Payload
from storebridge_shopline import (
    RequestBlocked,
    RiskyContent,
    ShoplineAdapter,
    StoreFrozen,
    StoreLocked,
)
from storebridge_shopline._converter import make_converter
from tests.support.paths import SHARED

SEED = SHARED / "seeds" / "002_96c4f7b3cb9ada21.txt"


def vendor_seed() -> str:
    if not SEED.is_file():
        pytest.skip(f"SHOPLINE vendor overview not found at {SEED} (set STOREBRIDGE_SHARED_DIR)")
    return SEED.read_text(encoding="utf-8")


def _json_after(text: str, marker: str) -> Any:
    start = text.index("{", text.index(marker))
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    return value


def adapter(private_app: bool = False) -> ShoplineAdapter:
    extra: dict[str, Any] = (
        {"private_app": True} if private_app else {"app_key": "k", "app_secret": "secret-1"}
    )
    return ShoplineAdapter.from_settings(handle="acme", access_token="tok-1234", **extra)


def test_vendor_product_example_parses() -> None:
    body = _json_after(vendor_seed(), "Response(Request succeeded)")
    payload = Payload(body["products"][0], "$.products[0]", "shopline")
    product = make_converter("USD").structure(payload, Product)
    assert product.ref == "16057850264845250791280282"
    assert product.title == "product title"
    assert product.tags == ("IPHONE", "APPLE")
    assert product.created_at is None  # "" in the example
    (variant,) = product.variants
    assert variant.sku == "S000000001"
    assert variant.price == Money("90", "USD")
    assert variant.stock == 99  # "99", a string, in the example
    assert variant.product_ref == product.ref


def test_vendor_401_example_becomes_authentication_error() -> None:
    text = vendor_seed()
    body = _json_after(text, "HTTP/1.1 401 Unauthorized")
    error = adapter(private_app=True).parse_error(
        Response(401, json=body, headers={"traceId": "t-1"})
    )
    assert isinstance(error, AuthenticationError)
    assert "ACCESS_TOKEN is expired!" in str(error)
    assert "store admin" in str(error)  # how to renew a private app's token
    assert error.request_id == "t-1"


def _order(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "21050224312121887324667162",
        "name": "#1001",
        "currency": "EUR",
        "status": "open",
        "financial_status": "paid",
        "fulfillment_status": None,
        "current_total_price": "59.90",
        "subtotal_price": 50,
        "total_tax_set": {"shop_money": {"amount": 4.9, "currency_code": "EUR"}},
        "total_shipping_price_set": {"shop_money": {"amount": "5.00", "currency_code": "EUR"}},
        "tags": "a, b ,",
        "created_at": "2024-08-31T02:20:26+08:00",
        "line_items": [
            {"id": "1", "sku": "S-1", "title": "Mug", "quantity": "2", "price": "25.00"}
        ],
        "customer": {"id": "4201057495", "email": "a@example.com"},
    }
    base.update(changes)
    return base


def test_order_money_from_strings_numbers_and_sets() -> None:
    order = make_converter("USD").structure(Payload(_order(), "$", "shopline"), Order)
    assert order.total == Money("59.90", "EUR")
    assert order.subtotal == Money("50", "EUR")
    assert order.tax_total == Money(Decimal("4.9"), "EUR")
    assert isinstance(order.tax_total.amount, Decimal)
    assert order.shipping_total == Money("5.00", "EUR")
    assert order.tags == ("a", "b")
    assert order.number == "#1001"
    assert order.fulfillment_status is FulfillmentStatus.UNFULFILLED
    assert order.lines[0].unit_price == Money("25.00", "EUR")
    assert order.lines[0].quantity == 2
    assert order.email == order.customer.email == "a@example.com"  # type: ignore[union-attr]
    assert order.created_at is not None and order.created_at.utcoffset() is not None


def test_order_statuses_keep_raw_values() -> None:
    conv = make_converter("USD")
    partial = conv.structure(Payload(_order(fulfillment_status="partial"), "$", "x"), Order)
    assert partial.fulfillment_status is FulfillmentStatus.PARTIALLY_FULFILLED
    odd = conv.structure(Payload(_order(financial_status="voided_by_bank"), "$", "x"), Order)
    assert odd.financial_status.value == "unknown"
    assert odd.financial_status_raw == "voided_by_bank"
    cancelled = conv.structure(
        Payload(_order(cancelled_at="2024-09-01T00:00:00+08:00"), "$", "x"), Order
    )
    assert cancelled.status is OrderStatus.CANCELLED


def test_bad_payload_error_has_json_path() -> None:
    bad = _order(line_items=[{"id": "1", "title": "x", "quantity": 1, "price": "abc"}])
    with pytest.raises(PayloadError) as err:
        make_converter("USD").structure(Payload(bad, "$.orders[4]", "shopline"), Order)
    assert err.value.path == "$.orders[4].line_items[0].price"
    with pytest.raises(PayloadError) as err:
        make_converter("USD").structure(Payload(_order(current_total_price=None), "$", "s"), Order)
    assert "current_total_price" in err.value.path


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> Exception:
    request = Request("GET", "https://acme.myshopline.com/admin/openapi/v20260301/orders.json")
    response = Response(status, json=body, headers=headers or {}, request=request)
    return adapter().parse_error(response)


@pytest.mark.parametrize(
    ("status", "cls", "words"),
    [
        (402, StoreFrozen, "frozen"),
        (412, RiskyContent, "high-risk"),
        (423, StoreLocked, "locked"),
        (433, RequestBlocked, "blacklisted"),
        (434, RequestBlocked, "security rate limit"),
        (435, RequestBlocked, "CC protection"),
        (436, RequestBlocked, "security policy"),
    ],
)
def test_special_statuses_are_clear_and_not_retryable(
    status: int, cls: type[Exception], words: str
) -> None:
    from storebridge._retry import RETRYABLE_STATUSES

    error = _error(status, {"errors": "blocked"}, {"traceId": "abc"})
    assert isinstance(error, cls)
    assert words in str(error)
    assert error.request_id == "abc"  # type: ignore[attr-defined]
    assert status not in RETRYABLE_STATUSES


def test_error_body_shapes() -> None:
    as_string = _error(404, {"errors": "The product does not exist."})
    assert isinstance(as_string, NotFound)
    assert "The product does not exist." in str(as_string)
    as_list = _error(422, {"errors": ["one", "two"]})
    assert isinstance(as_list, Conflict) and "one; two" in str(as_list)
    as_object = _error(422, {"errors": {"email": "is invalid", "tags": ["too", "many"]}})
    assert as_object.field_errors == {"email": ["is invalid"], "tags": ["too", "many"]}  # type: ignore[attr-defined]
    fallback = _error(500, {"code": 500, "message": "system error"})
    assert "system error" in str(fallback)
    throttled = _error(429, {"errors": "Too many request"}, {"Retry-After": "3"})
    assert isinstance(throttled, RateLimited) and throttled.retry_after == 3
    scope = _error(403, {"errors": "forbidden"})
    assert isinstance(scope, PermissionDenied) and "scope" in str(scope)


def test_duplicated_trace_id_keeps_first() -> None:
    error = _error(404, {"errors": "x"}, {"traceid": "first-id, second-id"})
    assert error.request_id == "first-id"  # type: ignore[attr-defined]


def test_emulator_expired_token_body_matches_vendor_example() -> None:
    from tests.adapters.shopline.support import world

    body = _json_after(vendor_seed(), "HTTP/1.1 401 Unauthorized")
    w = world(orders=1, rate_limit=False, token_lifetime=10.0)
    w.clock.advance(11)
    token = w.settings["access_token"]
    request = Request(
        "GET",
        "https://acme.myshopline.com/admin/openapi/v20230901/products/products.json",
        headers={"Authorization": f"Bearer {token}"},
    )
    response = w.emulator.handle(request)
    assert response.status_code == 401
    assert response.json() == body
    assert response.headers["traceId"]


def test_public_names_are_pinned() -> None:
    import storebridge_shopline

    assert set(storebridge_shopline.__all__) == {
        "DEFAULT_VERSION", "KNOWN_VERSIONS", "PAGE_CAPS", "PrivateAppAuth", "RequestBlocked",
        "RiskyContent", "ShoplineAdapter", "ShoplineEmulator", "ShoplineRefresher",
        "ShoplineSettings", "StoreFrozen", "StoreLocked", "authorize_url", "exchange_code",
        "parse_token_response", "sandbox", "sign_body", "sign_query", "sign_webhook",
        "verify_callback", "verify_webhook", "verify_webhook_request",
    }  # fmt: skip
    for name in storebridge_shopline.__all__:
        assert getattr(storebridge_shopline, name) is not None
