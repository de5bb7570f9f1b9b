"""29 Next's auth: an OAuth app access token sent as ``Authorization: Bearer ...``.

The platform rate-limits per access token, so the credential key the facade shares its
limiter under is a fingerprint of the token: stores sharing a token share one budget.
Legacy ``Token ...`` keys are refused by the platform (401), so only Bearer is offered.
"""

from __future__ import annotations

import hashlib

from storebridge.http import Auth
from storebridge.kit import BearerAuth, Secret


def bearer_auth(token: Secret) -> Auth:
    """The Admin API's auth flow for ``token``."""
    return BearerAuth(token)


def credential_key(token: Secret) -> str:
    """Who the rate limit applies to: a short fingerprint of the access token."""
    digest = hashlib.sha256(token.reveal().encode()).hexdigest()[:16]
    return f"29next:{digest}"


__all__ = ["bearer_auth", "credential_key"]
