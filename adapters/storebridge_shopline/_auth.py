"""Authentication for the three kinds of SHOPLINE app.

* Custom and public apps (OAuth): a 10-hour token refreshed before it expires, exactly once
  under concurrency, and once after a 401 (:class:`storebridge.auth.RefreshingTokenAuth`
  with :class:`~storebridge_shopline._oauth.ShoplineRefresher`).
* Private apps: a 3-year token made in the store admin. It cannot be refreshed through the
  API, so an expired one stops requests with a message saying how to renew it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from urllib.parse import urlsplit

from storebridge.errors import AuthenticationError, ConfigurationError
from storebridge.http import Auth, Request, Response
from storebridge.kit import RefreshingTokenAuth, Secret, Token, TokenStore, canonical_host
from storebridge_shopline._errors import PRIVATE_APP_RENEWAL
from storebridge_shopline._oauth import ShoplineRefresher
from storebridge_shopline._settings import ShoplineSettings


class PrivateAppAuth(Auth):
    """``Authorization: Bearer`` with the private app's admin token."""

    def __init__(
        self, token: Secret, expires_at: datetime | None, clock: Callable[[], float]
    ) -> None:
        self._token = token
        self._expires_at = expires_at
        self._clock = clock

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        if self._expires_at is not None and self._expires_at.timestamp() <= self._clock():
            # Refused here, before sending: SHOPLINE said nothing, so the text must not read
            # "SHOPLINE answered 401" as an APIError's does. The status stays 401, what the
            # platform would answer, for code that handles an expired token by its status.
            message = (
                f"the private app's access token expired at {self._expires_at.isoformat()}, "
                f"so {request.method} {request.url} was not sent. {PRIVATE_APP_RENEWAL}"
            )
            error = AuthenticationError(
                message, status=401, platform="SHOPLINE", method=request.method,
                url=str(request.url),
            )  # fmt: skip
            error.args = (f"SHOPLINE: {message}",)
            raise error
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return f"PrivateAppAuth(expires_at={self._expires_at}, token=***)"


def token_store_key(settings: ShoplineSettings) -> str:
    """The credential a token belongs to: the shop, however its address is spelled (two
    spellings sharing no token would end each other's), and the app."""
    root = urlsplit(settings.root_url)
    # The path stays: shops behind one gateway differ by it alone.
    shop = f"{root.scheme}://{canonical_host(settings.root_url)}{root.path.rstrip('/')}"
    return f"shopline:{shop}:{settings.app_key or 'private'}"


def make_auth(settings: ShoplineSettings, store: TokenStore | None) -> Auth:
    if settings.private_app:
        return PrivateAppAuth(settings.access_token, settings.token_expires_at, settings.clock)
    if settings.app_key is None or settings.app_secret is None:  # ShoplineSettings checks it
        raise ConfigurationError("an OAuth app needs app_key and app_secret", setting="app_key")
    refresher = ShoplineRefresher(
        settings.root_url, settings.app_key, settings.app_secret, settings.clock
    )
    return RefreshingTokenAuth(
        Token(access_token=settings.access_token, expires_at=settings.token_expires_at),
        refresher,
        store=store,
        store_key=token_store_key(settings),
        leeway=settings.refresh_leeway,
        clock=settings.clock,
        platform="SHOPLINE",
    )


__all__ = ["PrivateAppAuth", "make_auth", "token_store_key"]
