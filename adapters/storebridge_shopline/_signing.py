"""SHOPLINE's request signatures: HMAC-SHA256 keyed with the app secret, lowercase hex.

* Token create / refresh (POST): ``sign = hex(HMAC(secret, raw_body + timestamp))``; the
  refresh has no body, so only the timestamp string is signed.
* Install request and OAuth callback (GET): drop ``sign``, sort the remaining query keys,
  join as ``k=v&k=v`` and sign that string. Values are signed as decoded, as the official
  Go SDK does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def hmac_hex(secret: str, message: str | bytes) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def sign_body(secret: str, body: bytes | str, timestamp: str) -> str:
    """Signature of a token create/refresh request: over ``body + timestamp``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hmac_hex(secret, raw + timestamp.encode("ascii"))


def canonical_query(params: Mapping[str, str]) -> str:
    """``k=v&...`` of every parameter except ``sign``, keys in dictionary order."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign")


def sign_query(secret: str, params: Mapping[str, str]) -> str:
    """Signature of an install request or OAuth callback query."""
    return hmac_hex(secret, canonical_query(params))


def same_signature(expected: str, given: object) -> bool:
    """Constant-time comparison of two hex signatures (case-insensitive).

    ``given`` comes from a request, so anything that is not ASCII text is simply no match.
    """
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(expected.lower().encode("ascii"), given.strip().lower().encode())


__all__ = ["canonical_query", "hmac_hex", "same_signature", "sign_body", "sign_query"]
