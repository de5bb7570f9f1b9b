"""Reading an HMAC-SHA256 signature header into its digest bytes, without exceptions.

Platforms sign webhook deliveries with HMAC-SHA256 and send the digest in a header, as hex
(64 digits) or, on some platforms, base64 (44 characters). A receiver sees whatever an
attacker or a proxy sent: bytes or text, padded, truncated, not ASCII. Every such value
reads as None here, so a verifier can only answer "matches" or "does not".
"""

from __future__ import annotations

import base64
import binascii
import hashlib

__all__ = ["signature_digest"]

_DIGEST_SIZE = hashlib.sha256().digest_size
_HEX_LENGTH = 2 * _DIGEST_SIZE
_BASE64_LENGTH = 4 * ((_DIGEST_SIZE + 2) // 3)


def signature_digest(signature: object, *, base64_too: bool = False) -> bytes | None:
    """The 32 digest bytes of a hex signature header (or base64, with ``base64_too``);
    None for anything malformed: missing, empty, not ASCII, wrong length or encoding."""
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
    if not base64_too or len(text) != _BASE64_LENGTH:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _DIGEST_SIZE else None
