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


def verify_webhook_signature(body: bytes | str, signature: str | None, secret: str) -> bool:
    """True when ``signature`` (the ``X-29Next-Signature`` header) matches ``body``.

    ``body`` is the request body as received. Both the raw bytes and the vendor's
    re-serialised form (``json.dumps`` of the parsed body) are accepted.
    """
    if not signature or not secret:
        return False
    given = signature.strip().lower()
    if hmac.compare_digest(webhook_signature(body, secret), given):
        return True
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return hmac.compare_digest(webhook_signature(json.dumps(parsed), secret), given)


def sign_webhook(payload: Mapping[str, Any], secret: str) -> tuple[bytes, str]:
    """Serialise ``payload`` the way the vendor's example does, and sign it.

    Returns ``(body, signature)``: for emulators and tests of webhook receivers.
    """
    body = json.dumps(payload).encode("utf-8")
    return body, webhook_signature(body, secret)


__all__ = ["SIGNATURE_HEADER", "sign_webhook", "verify_webhook_signature", "webhook_signature"]
