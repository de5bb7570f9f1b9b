"""How requests carry the shop's API token.

The wiki documents HTTP Basic with the token as user name and either a blank password or
``x-oauth-basic``, and an ``access_token`` query parameter, which both known clients use.
Basic is the default here because a header never ends up in access logs or proxies' URL
logs; the query style exists for shops whose front proxy strips ``Authorization``.
"""

from __future__ import annotations

from collections.abc import Generator

from storebridge.http import Auth, Request, Response
from storebridge.kit import Secret, TokenAsBasicAuth

BASIC_PASSWORD = "x-oauth-basic"
TOKEN_PARAM = "access_token"


class QueryToken(Auth):
    """``?access_token=`` on a copy of each request.

    The request the adapter built keeps its URL: the paging walk compares the URLs it asked
    for with the shop's next links, and a token in one of them would make them differ.
    """

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        url = request.url.copy_merge_params({TOKEN_PARAM: self._token.reveal()})
        yield Request(
            request.method,
            url,
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def __repr__(self) -> str:
        return f"QueryToken(param={TOKEN_PARAM!r}, token=***)"


def token_auth(token: Secret, style: str) -> Auth:
    """The auth flow for ``style`` (``basic``, ``basic_blank`` or ``query``)."""
    if style == "query":
        return QueryToken(token)
    return TokenAsBasicAuth(token, BASIC_PASSWORD if style == "basic" else "")


__all__ = ["BASIC_PASSWORD", "TOKEN_PARAM", "QueryToken", "token_auth"]
