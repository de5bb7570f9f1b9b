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


_HEX_LENGTH = 2 * hashlib.sha256().digest_size
_BASE64_LENGTH = 4 * ((hashlib.sha256().digest_size + 2) // 3)


def _decode(signature: object) -> bytes | None:
    """The 32 signature bytes of a hex or base64 header value; None for anything else."""
    if isinstance(signature, bytes):
        try:
            signature = signature.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(signature, str):
        return None
    text = signature.strip()
    if not text.isascii():
        return None
    if len(text) == _HEX_LENGTH:
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    if len(text) != _BASE64_LENGTH:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == hashlib.sha256().digest_size else None


def verify_webhook(app_secret: str, body: bytes, signature: str | bytes | None) -> bool:
    """True when ``signature`` (hex, or base64) is the body's HMAC; constant-time compare.

    Any malformed signature (missing, empty, not ASCII, wrong length or encoding) is False,
    never an exception.
    """
    given = _decode(signature)
    if given is None or not isinstance(app_secret, str) or not app_secret:
        return False
    if not isinstance(body, bytes | bytearray | memoryview):
        return False
    try:
        expected = webhook_digest(app_secret, bytes(body))
    except UnicodeEncodeError:  # a secret that is not encodable text cannot have signed it
        return False
    return hmac.compare_digest(expected, given)


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
