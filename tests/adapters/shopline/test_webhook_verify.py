"""SHOPLINE webhook and callback verification: a malformed signature is False, never an
exception."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from storebridge_shopline import sign_query, sign_webhook, verify_callback, verify_webhook
from storebridge_shopline import verify_webhook_request as verify_request

SECRET = "app-secret-0123456789"
BODY = b'{"id":"32398389389389","topic":"orders/create"}'
HEX = sign_webhook(SECRET, BODY)
B64 = base64.b64encode(bytes.fromhex(HEX)).decode()

MALFORMED: dict[str, Any] = {
    "None": None,
    "empty": "",
    "blank": " \t ",
    "non-ASCII": "é" * 64,
    "non-ASCII at the end": HEX[:-1] + "é",
    "full-width digits": "\uff10" * 64,
    "NUL inside": HEX[:30] + "\x00" + HEX[31:],
    "hex one digit short": HEX[:-1],
    "hex one digit long": HEX + "0",
    "hex doubled": HEX * 2,
    "not hex": "g" * 64,
    "base64 without padding": B64.rstrip("="),
    "base64 url-safe alphabet": base64.urlsafe_b64encode(b"\xfb" * 32).decode(),
    "base64 of 31 bytes": base64.b64encode(bytes.fromhex(HEX)[:31]).decode(),
    "base64 of 33 bytes": base64.b64encode(bytes.fromhex(HEX) + b"\x00").decode(),
    "base64 with a bad character": "*" + B64[1:],
    "bytes, not ASCII": b"\xff" * 64,
    "a number": 12345,
    "a list": [HEX],
    "surrogate": "\udcff" * 64,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_webhook_signature_is_false(case: str) -> None:
    assert verify_webhook(SECRET, BODY, MALFORMED[case]) is False
    assert verify_request(SECRET, BODY, {"X-Shopline-Hmac-Sha256": MALFORMED[case]}) is False


def test_valid_signature_hex_or_base64_is_true() -> None:
    for signature in (HEX, HEX.upper(), f" {HEX} ", B64, HEX.encode("ascii")):
        assert verify_webhook(SECRET, BODY, signature) is True
    assert verify_request(SECRET, BODY, {"x-shopline-hmac-sha256": HEX}) is True


def test_wrong_secret_body_or_missing_header_is_false() -> None:
    assert verify_webhook("another-secret", BODY, HEX) is False
    assert verify_webhook(SECRET, BODY + b" ", HEX) is False
    assert verify_request(SECRET, BODY, {}) is False


@pytest.mark.parametrize("secret", ["", None, "\udcff"])
def test_odd_secrets_are_false_without_raising(secret: Any) -> None:
    assert verify_webhook(secret, BODY, HEX) is False


@pytest.mark.parametrize("body", ["text, not bytes", None, 5])
def test_body_that_is_not_bytes_is_false(body: Any) -> None:
    assert verify_webhook(SECRET, body, HEX) is False


def callback(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "appkey": "key",
        "code": "code000001",
        "handle": "acme",
        "timestamp": str(int(time.time() * 1000)),
    }
    params.update({k: v for k, v in changes.items() if k != "sign"})
    # Signed after the changes, so an odd value is judged by itself, not by a bad signature.
    params["sign"] = changes["sign"] if "sign" in changes else sign_query(SECRET, params)
    return params


@pytest.mark.parametrize("sign", sorted(MALFORMED))
def test_callback_with_malformed_sign_is_false(sign: str) -> None:
    assert verify_callback(callback(sign=MALFORMED[sign]), SECRET) is False


def test_callback_with_odd_values_is_false_without_raising() -> None:
    assert verify_callback(callback(), SECRET) is True
    assert verify_callback(callback(timestamp=["1"]), SECRET) is False
    assert verify_callback(callback(timestamp="\uff11\uff12\uff13"), SECRET) is False
    assert verify_callback(callback(handle="\udcff", sign="0" * 64), SECRET) is False
    assert verify_callback(callback(), None) is False  # type: ignore[arg-type]
