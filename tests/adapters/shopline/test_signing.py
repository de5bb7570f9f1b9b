"""SHOPLINE's official SDK signing test vectors, callback checks and webhook verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from storebridge_shopline import (
    authorize_url,
    sign_body,
    sign_query,
    sign_webhook,
    verify_callback,
    verify_webhook,
    verify_webhook_request,
)

# The official Go SDK's test vectors (client/sign_test.go, webhook_client_test.go).
SECRET = "LDLLJJLflja2039203flaflaLLFLE"
SDK_TIMESTAMP = "21c335b3a"


def test_get_signature_vector() -> None:
    params = {"appkey": SECRET, "handle": "zwapptest", "lang": "zh", "timestamp": SDK_TIMESTAMP}
    assert sign_query(SECRET, params) == (
        "654a42549daaad959b6488500f499fc0381c6cf24d8afceeb566729fc82fee6a"
    )


def test_get_signature_ignores_sign_and_key_order() -> None:
    params = {"timestamp": SDK_TIMESTAMP, "lang": "zh", "handle": "zwapptest", "appkey": SECRET}
    signed = sign_query(SECRET, params)
    assert sign_query(SECRET, {**params, "sign": "anything"}) == signed


def test_token_create_signature_vector() -> None:
    assert sign_body(SECRET, b'{"code":"code"}', SDK_TIMESTAMP) == (
        "4c4cf0ac52439d1308b58897f857dcba8545efb6c0e8091fba64b148218d2074"
    )


def test_token_refresh_signature_vector() -> None:
    assert sign_body(SECRET, b"", SDK_TIMESTAMP) == (
        "cf5edab6b92d740fe54b3ce9e2723788128384a1eb5c2a5d64c9210a31185b86"
    )


WEBHOOK_BODY = b'{"body_html":"BodyHtml","id":"32398389389389"}'
WEBHOOK_HEX = "edf64f4c46a9cb2c8aaa6c7034b77899aca1b63ad0c461901417a42b1cf139b0"


def test_webhook_signature_vector() -> None:
    assert sign_webhook(SECRET, WEBHOOK_BODY) == WEBHOOK_HEX
    assert verify_webhook(SECRET, WEBHOOK_BODY, WEBHOOK_HEX)
    assert verify_webhook(SECRET, WEBHOOK_BODY, WEBHOOK_HEX.upper())


def test_webhook_accepts_base64_and_rejects_tampering() -> None:
    as_base64 = base64.b64encode(bytes.fromhex(WEBHOOK_HEX)).decode()
    assert verify_webhook(SECRET, WEBHOOK_BODY, as_base64)
    assert not verify_webhook(SECRET, WEBHOOK_BODY + b" ", WEBHOOK_HEX)
    assert not verify_webhook("other-secret", WEBHOOK_BODY, WEBHOOK_HEX)
    assert not verify_webhook(SECRET, WEBHOOK_BODY, None)
    assert not verify_webhook(SECRET, WEBHOOK_BODY, "not-a-signature")


def test_webhook_header_any_case() -> None:
    assert verify_webhook_request(SECRET, WEBHOOK_BODY, {"x-shopline-hmac-sha256": WEBHOOK_HEX})
    assert not verify_webhook_request(SECRET, WEBHOOK_BODY, {"X-Other": WEBHOOK_HEX})


def _callback(now_ms: int, **extra: str) -> dict[str, str]:
    params = {"appkey": "key", "code": "abc", "handle": "acme", "timestamp": str(now_ms), **extra}
    message = "&".join(f"{k}={params[k]}" for k in sorted(params))
    params["sign"] = hmac.new(b"secret", message.encode(), hashlib.sha256).hexdigest()
    return params


def test_callback_verification_window_and_tampering() -> None:
    now = 1_800_000_000.0
    fresh = _callback(int(now * 1000) - 60_000, customField="state-1")
    assert verify_callback(fresh, "secret", now=now, expected_state="state-1")
    assert not verify_callback(fresh, "secret", now=now, expected_state="other")
    assert not verify_callback({**fresh, "code": "forged"}, "secret", now=now)
    stale = _callback(int(now * 1000) - 11 * 60_000)
    assert not verify_callback(stale, "secret", now=now)
    assert not verify_callback({k: v for k, v in fresh.items() if k != "sign"}, "secret", now=now)


def test_authorize_url_puts_query_after_fragment() -> None:
    url, state = authorize_url(
        "https://acme.myshopline.com",
        app_key="key",
        scopes=("read_orders", "write_orders"),
        redirect_uri="https://app.example/callback?x=1",
    )
    parts = urlsplit(url)
    assert parts.netloc == "acme.myshopline.com"
    assert parts.path == "/admin/oauth-web/"
    route, _, query = parts.fragment.partition("?")
    assert route == "/oauth/authorize"
    params = {k: v[0] for k, v in parse_qs(query).items()}
    assert params == {
        "appKey": "key",
        "responseType": "code",
        "scope": "read_orders,write_orders",
        "redirectUri": "https://app.example/callback?x=1",
        "customField": state,
    }
    assert len(state) >= 20


def test_authorize_url_needs_a_scope() -> None:
    from storebridge import ValidationError

    with pytest.raises(ValidationError):
        authorize_url("https://acme.myshopline.com", app_key="k", scopes=(), redirect_uri="x")
