"""Verifying 29 Next webhook deliveries (``X-29Next-Signature``).

The signature is the hex HMAC-SHA256 of the payload, keyed with the webhook's
``secret_key``. The vendor's documented receiver signs ``json.dumps(parsed_body)`` rather
than the raw bytes, and which of the two the sender signs is not documented, so a delivery
is accepted when either matches. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "X-29Next-Signature"


def webhook_signature(body: bytes | str, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


_HEX_LENGTH = 2 * hashlib.sha256().digest_size


def _signature_bytes(signature: object) -> bytes | None:
    """The 32 bytes of a hex signature header; None for anything malformed."""
    if isinstance(signature, bytes):
        try:
            signature = signature.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(signature, str):
        return None
    text = signature.strip()
    if len(text) != _HEX_LENGTH or not text.isascii():
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _digest(body: bytes | str, secret: str) -> bytes:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def verify_webhook_signature(body: bytes | str, signature: str | bytes | None, secret: str) -> bool:
    """True when ``signature`` (the ``X-29Next-Signature`` header) matches ``body``.

    ``body`` is the request body as received. Both the raw bytes and the vendor's
    re-serialised form (``json.dumps`` of the parsed body) are accepted. A malformed
    signature (missing, empty, not ASCII, not 64 hex digits) is False, never an exception.
    """
    given = _signature_bytes(signature)
    if given is None or not isinstance(secret, str) or not secret:
        return False
    if not isinstance(body, bytes | str):
        return False
    try:
        if hmac.compare_digest(_digest(body, secret), given):
            return True
        canonical = json.dumps(json.loads(body))
        return hmac.compare_digest(_digest(canonical, secret), given)
    except (ValueError, RecursionError):
        # Not JSON, not encodable text, or nested too deeply to re-serialise: no match.
        return False


def sign_webhook(payload: Mapping[str, Any], secret: str) -> tuple[bytes, str]:
    """Serialise ``payload`` the way the vendor's example does, and sign it.

    Returns ``(body, signature)``: for emulators and tests of webhook receivers.
    """
    body = json.dumps(payload).encode("utf-8")
    return body, webhook_signature(body, secret)


__all__ = ["SIGNATURE_HEADER", "sign_webhook", "verify_webhook_signature", "webhook_signature"]
