"""How requests carry the shop's API token.

The wiki documents HTTP Basic with the token as user name and either a blank password or
``x-oauth-basic``, and an ``access_token`` query parameter, which both known clients use.
Basic is the default here because a header never ends up in access logs or proxies' URL
logs; the query style exists for shops whose front proxy strips ``Authorization``.
"""

from __future__ import annotations

from storebridge.http import Auth
from storebridge.kit import QueryTokenAuth, Secret, TokenAsBasicAuth

BASIC_PASSWORD = "x-oauth-basic"
TOKEN_PARAM = "access_token"


def token_auth(token: Secret, style: str) -> Auth:
    """The auth flow for ``style`` (``basic``, ``basic_blank`` or ``query``)."""
    if style == "query":
        return QueryTokenAuth(token, TOKEN_PARAM)
    return TokenAsBasicAuth(token, BASIC_PASSWORD if style == "basic" else "")


__all__ = ["BASIC_PASSWORD", "TOKEN_PARAM", "token_auth"]
