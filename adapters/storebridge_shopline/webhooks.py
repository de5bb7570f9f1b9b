"""Verifying SHOPLINE webhook deliveries.

SHOPLINE signs the raw request body with the app secret (HMAC-SHA256) and sends it in
``X-Shopline-Hmac-Sha256``. Both official SDKs and real deliveries use lowercase hex; the
docs' examples show base64, so base64 is accepted as well. Verify the *raw* bytes you
received, before parsing: re-serialised JSON will not match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Shopline-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopline-Webhook-Id"
"""Unique per message and unchanged on re-delivery: use it as an idempotency key."""


def webhook_digest(app_secret: str, body: bytes) -> bytes:
    return hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign_webhook(app_secret: str, body: bytes) -> str:
    """The header value SHOPLINE sends for ``body`` (lowercase hex)."""
    return webhook_digest(app_secret, body).hex()


def _decode(signature: str) -> bytes | None:
    text = signature.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def verify_webhook(app_secret: str, body: bytes, signature: str | None) -> bool:
    """True when ``signature`` (hex, or base64) is the body's HMAC; constant-time compare."""
    if not signature or not app_secret:
        return False
    given = _decode(signature)
    if given is None:
        return False
    return hmac.compare_digest(webhook_digest(app_secret, body), given)


def verify_webhook_request(app_secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """:func:`verify_webhook` reading the signature header in any case."""
    wanted = SIGNATURE_HEADER.lower()
    value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return verify_webhook(app_secret, body, value)


__all__ = [
    "SIGNATURE_HEADER",
    "WEBHOOK_ID_HEADER",
    "sign_webhook",
    "verify_webhook",
    "verify_webhook_request",
]
