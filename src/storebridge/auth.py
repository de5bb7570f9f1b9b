"""Shared auth pieces, all ``httpx.Auth`` flows that work for sync and async clients.

* :class:`BearerAuth`           ``Authorization: Bearer <token>``
* :class:`TokenAsBasicAuth`     HTTP Basic with the token as user name (password configurable)
* :class:`QueryTokenAuth`       token in a query parameter (kept out of logs by the redactor)
* :class:`RefreshingTokenAuth`  a short-lived token refreshed before expiry, exactly once under
  any concurrency, handed to a :class:`TokenStore` you control.

Tokens are stored in authlib's ``OAuth2Token`` shape (``access_token``, ``expires_at`` as epoch
seconds, ``scope``). Expiry is checked against an injectable clock rather than authlib's
``is_expired`` (which reads the wall clock) so refresh timing can be tested.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs
from authlib.oauth2.rfc6749 import OAuth2Token

from storebridge._http import Auth, Request, Response
from storebridge.errors import StorebridgeError, TokenRefreshError
from storebridge.settings import Secret

log = logging.getLogger("storebridge.auth")

Clock = Callable[[], float]
"""Seconds since the epoch; ``time.time`` by default, a fake in tests."""


class BearerAuth(Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


class TokenAsBasicAuth(Auth):
    """HTTP Basic auth with the token as user name and a fixed password."""

    def __init__(self, token: Secret, password: str = "") -> None:
        raw = f"{token.reveal()}:{password}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "TokenAsBasicAuth(token=***)"


class QueryTokenAuth(Auth):
    """Token as a query parameter. The facade redacts it from every URL it logs or reports."""

    def __init__(self, token: Secret, param: str = "access_token") -> None:
        self._token = token
        self._param = param

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        request.url = request.url.copy_merge_params({self._param: self._token.reveal()})
        yield request

    def __repr__(self) -> str:
        return f"QueryTokenAuth(param={self._param!r}, token=***)"


@attrs.frozen
class Token:
    """An access token and when it expires (``None``: no known expiry)."""

    access_token: Secret = attrs.field(converter=Secret)
    expires_at: datetime | None = None
    scope: str | None = None

    def expires_within(self, seconds: float, now: float) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at.timestamp() - seconds <= now

    def to_oauth2(self) -> OAuth2Token:
        data: dict[str, object] = {
            "access_token": self.access_token.reveal(),
            "token_type": "Bearer",
        }
        if self.expires_at is not None:
            data["expires_at"] = int(self.expires_at.timestamp())
        if self.scope is not None:
            data["scope"] = self.scope
        return OAuth2Token(data)

    @classmethod
    def from_oauth2(cls, data: dict[str, object]) -> Token:
        expires = data.get("expires_at")
        return cls(
            access_token=str(data["access_token"]),
            expires_at=(
                datetime.fromtimestamp(float(expires), UTC)  # type: ignore[arg-type]
                if expires is not None
                else None
            ),
            scope=str(data["scope"]) if data.get("scope") is not None else None,
        )


@runtime_checkable
class TokenStore(Protocol):
    """Where refreshed tokens go. Implement it to keep tokens in your vault or database."""

    def load(self, key: str) -> Token | None: ...

    def save(self, key: str, token: Token) -> None: ...


class MemoryTokenStore:
    """Keeps tokens in memory (the default)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self.saved: list[tuple[str, Token]] = []
        self._lock = threading.Lock()

    def load(self, key: str) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token
            self.saved.append((key, token))


class FileTokenStore:
    """Keeps tokens in a JSON file readable only by its owner (mode 0600)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, object]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise StorebridgeError(f"token file {self.path} is not a JSON object")
        return data

    def load(self, key: str) -> Token | None:
        with self._lock:
            entry = self._read().get(key)
        return Token.from_oauth2(entry) if entry else None

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            data = self._read()
            data[key] = dict(token.to_oauth2())
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


class TokenRefresher(Protocol):
    """The platform part of a refresh: build the request, read the new token."""

    def refresh_request(self, current: Token) -> Request: ...

    def parse_refresh(self, response: Response) -> Token:
        """The new token, or raise :class:`TokenRefreshError`."""
        ...

    def authorize(self, request: Request, token: Token) -> None:
        """Put the token on an API request."""
        ...


class RefreshingTokenAuth(Auth):
    """A token refreshed ``leeway`` seconds before it expires, and once after a 401.

    One refresh happens per expiry however many threads or asyncio tasks send at once: the
    first caller refreshes under a lock, the others wait and reuse the new token. A failed
    refresh raises :class:`TokenRefreshError` and keeps the previous token; nothing is saved.
    """

    requires_response_body = True

    def __init__(
        self,
        token: Token,
        refresher: TokenRefresher,
        *,
        store: TokenStore | None = None,
        store_key: str = "default",
        leeway: float = 300.0,
        clock: Clock = time.time,
        can_refresh: bool = True,
    ) -> None:
        self._refresher = refresher
        self._store = store if store is not None else MemoryTokenStore()
        self._key = store_key
        self._leeway = leeway
        self._clock = clock
        self._can_refresh = can_refresh
        stored = self._store.load(store_key)
        self._token = _newer(stored, token)
        self._thread_lock = threading.Lock()
        self._async_locks: dict[int, asyncio.Lock] = {}
        self.refresh_count = 0

    @property
    def token(self) -> Token:
        return self._token

    def _due(self) -> bool:
        return self._can_refresh and self._token.expires_within(self._leeway, self._clock())

    def _accept(self, response: Response) -> Token:
        try:
            token = self._refresher.parse_refresh(response)
        except TokenRefreshError:
            raise
        except (ValueError, KeyError, TypeError, StorebridgeError) as exc:
            raise TokenRefreshError(
                f"token refresh answer could not be read: {exc}",
                status=response.status_code,
                platform="auth",
            ) from exc
        self._token = token
        self.refresh_count += 1
        self._store.save(self._key, token)
        log.info("access token refreshed; new expiry %s", token.expires_at)
        return token

    def _refresh_steps(self, used: Token) -> Generator[Request, Response, None]:
        # Another caller may have refreshed while we waited for the lock.
        if self._token is not used and not self._due():
            return
        response = yield self._refresher.refresh_request(self._token)
        # These flows override sync_auth_flow, so httpx does not read bodies for us.
        response.read()
        self._accept(response)

    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        used = self._token
        if self._due():
            with self._thread_lock:
                yield from self._refresh_steps(used)
        token = self._token
        self._refresher.authorize(request, token)
        response = yield request
        if response.status_code == 401 and self._can_refresh:
            with self._thread_lock:
                if self._token is token:
                    refresh = self._refresher.refresh_request(self._token)
                    refreshed = yield refresh
                    refreshed.read()
                    self._accept(refreshed)
            self._refresher.authorize(request, self._token)
            yield request

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        used = self._token
        lock = self._async_lock()
        if self._due():
            async with lock:
                if self._token is used or self._due():
                    response = yield self._refresher.refresh_request(self._token)
                    await response.aread()
                    self._accept(response)
        token = self._token
        self._refresher.authorize(request, token)
        response = yield request
        if response.status_code == 401 and self._can_refresh:
            async with lock:
                if self._token is token:
                    refresh = self._refresher.refresh_request(self._token)
                    refreshed = yield refresh
                    await refreshed.aread()
                    self._accept(refreshed)
            self._refresher.authorize(request, self._token)
            yield request

    def _async_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; keep one per running loop.
        loop_id = id(asyncio.get_running_loop())
        lock = self._async_locks.get(loop_id)
        if lock is None:
            lock = self._async_locks[loop_id] = asyncio.Lock()
        return lock

    def __repr__(self) -> str:
        return f"RefreshingTokenAuth(expires_at={self._token.expires_at}, token=***)"


def _newer(stored: Token | None, given: Token) -> Token:
    if stored is None:
        return given
    if given.expires_at is None or stored.expires_at is None:
        return given
    return stored if stored.expires_at > given.expires_at else given


def expiry_in(seconds: float, now: float | None = None) -> datetime:
    """An aware expiry ``seconds`` from ``now`` (epoch seconds, default the wall clock)."""
    base = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return base + timedelta(seconds=seconds)


__all__ = [
    "BearerAuth",
    "Clock",
    "FileTokenStore",
    "MemoryTokenStore",
    "QueryTokenAuth",
    "RefreshingTokenAuth",
    "Token",
    "TokenAsBasicAuth",
    "TokenRefresher",
    "TokenStore",
    "expiry_in",
]
