"""Shared auth pieces, all ``httpx.Auth`` flows that work for sync and async clients.

* :class:`BearerAuth`           ``Authorization: Bearer <token>``
* :class:`TokenAsBasicAuth`     HTTP Basic with the token as user name (password configurable)
* :class:`QueryTokenAuth`       token in a query parameter (kept out of logs by the redactor)
* :class:`RefreshingTokenAuth`  a short-lived token refreshed before expiry, once per expiry
  under any concurrency (threads, tasks, sync and async stores, processes sharing a
  :class:`FileTokenStore`), handed to a :class:`TokenStore` you control.

Expiry is checked against an injectable clock so refresh timing can be tested.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import functools
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import attrs

from storebridge import _http
from storebridge._http import Auth, Request, Response
from storebridge._refresh_lock import credential_lock
from storebridge._retry import RETRYABLE_STATUSES, RetryPolicy
from storebridge._token_store import (
    FileTokenStore,
    MemoryTokenStore,
    SharedTokenStore,
    Token,
    TokenStore,
    token_problem,
)
from storebridge.adapter import parse_retry_after
from storebridge.errors import StorebridgeError, TokenRefreshError
from storebridge.settings import Secret

log = logging.getLogger("storebridge.auth")

Clock = Callable[[], float]
"""Seconds since the epoch; ``time.time`` by default, a fake in tests."""

TOKEN_ENDPOINT_RETRY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0)
"""How a token endpoint answering 408, 429 or 5xx is retried before TokenRefreshError."""

SHORT_TOKEN_LEEWAY = 0.1
"""A token living shorter than the leeway is refreshed when this fraction of its life is left,
so it is refreshed once in its life instead of on every call."""


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
        # A copy: the caller's request keeps its URL without the token, so follow-up pages
        # and read-ahead compare URLs as the platform links them.
        url = request.url.copy_merge_params({self._param: self._token.reveal()})
        yield Request(
            request.method,
            url,
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def __repr__(self) -> str:
        return f"QueryTokenAuth(param={self._param!r}, token=***)"


class TokenRefresher(Protocol):
    """The platform part of a refresh: build the request, read the new token."""

    def refresh_request(self, current: Token) -> Request: ...

    def parse_refresh(self, response: Response) -> Token:
        """The new token, or raise :class:`TokenRefreshError`."""
        ...

    def authorize(self, request: Request, token: Token) -> None:
        """Put the token on an API request."""
        ...

    # Optional: ``garbled(response) -> bool``, whether a success answer was mangled on the
    # way (then asked again, like a 5xx) rather than a refusal. Without it, every answer
    # the refresher cannot read is a refusal.


class TokenEndpointUnreachable(_http.ConnectError):
    """The token endpoint gave no answer, so the API request waiting for the token was not sent.

    A connection error on purpose: the request never left, so the facade may re-send it,
    write or not, with its usual backoff instead of calling the write's outcome unknown.

    ``reason`` is what the lost token request failed with (``"ReadError: ..."``). That
    exception is not linked as the cause: it holds the token request, and with it the
    credentials the request was signed or authorized with.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class _Step(enum.Enum):
    LOCK = "lock"
    UNLOCK = "unlock"


@attrs.frozen
class _Pause:
    seconds: float


_Plan = Generator[Request | _Step | _Pause, Any, None]


PROCESS_TOKENS = MemoryTokenStore()
"""A token store for the whole process, for adapters to use when the user gives none, with
a ``store_key`` naming the credential (app and shop): two stores on one credential (two
``connect`` calls, a Store and an AsyncStore, two profiles of one shop) then use one token,
where each refresh would otherwise end the other's token, whose 401 made it refresh in
turn. Never with a key that two credentials could share."""


class RefreshingTokenAuth(Auth):
    """A token refreshed ``leeway`` seconds before it expires, and once after a 401.

    One refresh happens per expiry however many threads, asyncio tasks, sync and async
    stores send at once: the lock is per credential (``store_key``) in the process, and the
    token store is read again under it, so a token another store or process refreshed
    meanwhile is used instead of refreshing again. A :class:`FileTokenStore` adds a file
    lock, so processes sharing the file refresh once too.

    A token endpoint answering 408, 429 or 5xx is retried with capped backoff (``retry``);
    callers that waited on a refresh that failed get the same failure instead of repeating
    it. A refreshed token is checked (header-safe value, known and plausible expiry) before
    it is stored or used. A failed refresh raises :class:`TokenRefreshError`, keeps the
    previous token and stores nothing. When the token endpoint cannot be reached at all,
    :class:`TokenEndpointUnreachable` (a connection error) is raised, which the facade
    retries like any request that was not sent.

    The backoff waits go through ``sleep`` / ``async_sleep``; left at their defaults, a
    store using this auth makes them its own ``StoreOptions.sleep`` / ``async_sleep`` (see
    :meth:`wait_with`), so a test that runs a store without real waiting runs its token
    refreshes without it too.
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
        platform: str = "auth",
        retry: RetryPolicy = TOKEN_ENDPOINT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
        lock_timeout: float = 300.0,
    ) -> None:
        self._refresher = refresher
        # A store of its own by default: the key says which credential only where the
        # caller chose it (SHOPLINE passes PROCESS_TOKENS with its app and shop as the key).
        self._store = store if store is not None else MemoryTokenStore()
        self._key = store_key
        self._leeway = leeway
        self._clock = clock
        self._can_refresh = can_refresh
        self._platform = platform
        self._retry = retry
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._rng = rng or random.Random()
        self._lock_timeout = lock_timeout
        self._lock = credential_lock(store_key)
        stored = self._store.load(store_key)
        self._token = _newer_at_start(stored, token)
        self._outcomes = 0
        self._last_failure: Callable[[], BaseException] | None = None
        self.refresh_count = 0
        """Refreshes this object made (tokens adopted from the store are not counted)."""

    def wait_with(
        self, sleep: Callable[[float], None], async_sleep: Callable[[float], Awaitable[Any]]
    ) -> None:
        """Wait between token-endpoint attempts with ``sleep`` / ``async_sleep``, unless
        this object was built with waits of its own (those are kept). The facade calls it
        with the store's options when a store is opened on this auth."""
        if self._sleep is time.sleep:
            self._sleep = sleep
        if self._async_sleep is asyncio.sleep:
            self._async_sleep = async_sleep

    @property
    def token(self) -> Token:
        return self._token

    def _due(self, token: Token) -> bool:
        if not self._can_refresh:
            return False
        leeway = self._leeway
        lifetime = token.lifetime
        if lifetime is not None:
            leeway = min(leeway, max(lifetime, 0.0) * SHORT_TOKEN_LEEWAY)
        return token.expires_within(leeway, self._clock())

    # The flow, once for sync and async: it yields API and token requests, lock steps and
    # pauses; the two drivers below do the waiting and the I/O.
    def _flow(self, request: Request) -> _Plan:
        token = self._token
        if self._due(token):
            yield from self._locked_refresh(token, expired=False)
        token = self._token
        self._refresher.authorize(request, token)
        response = yield request
        if response.status_code == 401 and self._can_refresh:
            yield from self._locked_refresh(token, expired=True)
            self._refresher.authorize(request, self._token)
            yield request

    def _locked_refresh(self, stale: Token, *, expired: bool) -> _Plan:
        seen = self._outcomes
        yield _Step.LOCK
        yield from self._refresh(stale, seen, expired=expired)
        yield _Step.UNLOCK

    def _refresh(self, stale: Token, seen: int, *, expired: bool) -> _Plan:
        self._adopt_stored()
        current = self._token
        # After a 401, a different token is taken as it is (another caller refreshed) unless
        # it is known to be past its expiry: a stored token that expired meanwhile, say.
        usable = (
            not current.expires_within(0.0, self._clock()) if expired else not self._due(current)
        )
        if current.access_token != stale.access_token and usable:
            return  # another caller, store or process refreshed while we waited
        if self._outcomes != seen and self._last_failure is not None:
            raise self._last_failure()  # the refresh we waited on failed: do not repeat it
        attempt = 0
        while True:
            attempt += 1
            response = yield self._refresher.refresh_request(current)
            delay = self._retry_delay(response, attempt)
            if delay is None:
                break
            log.warning(
                "token-refresh endpoint answered %s; attempt %d of %d in %.1f s",
                response.status_code,
                attempt + 1,
                self._retry.max_attempts,
                delay,
            )
            yield _Pause(delay)
        try:
            self._accept(response)
        except TokenRefreshError as exc:
            self._record(functools.partial(_copy_refresh_error, exc))
            raise
        self._record(None)

    def _adopt_stored(self) -> None:
        stored = self._store.load(self._key)
        if stored is not None and _newer(stored, self._token):
            log.info("using the access token that another store or process refreshed")
            self._token = stored

    def _retry_delay(self, response: Response, attempt: int) -> float | None:
        garbled = getattr(self._refresher, "garbled", None)
        mangled = garbled is not None and garbled(response)
        if response.status_code not in RETRYABLE_STATUSES and not mangled:
            return None
        if attempt >= self._retry.max_attempts:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return self._retry.delay(attempt, retry_after, self._rng)

    def _record(self, failure: Callable[[], BaseException] | None) -> None:
        self._outcomes += 1
        self._last_failure = failure

    def _accept(self, response: Response) -> Token:
        now = self._clock()
        try:
            token = self._refresher.parse_refresh(response)
        except TokenRefreshError:
            raise
        except (ValueError, KeyError, TypeError, ArithmeticError, OSError) as exc:
            # The exception text may quote the answer, token included: name the kind only.
            raise self._error(
                f"token-refresh answer could not be read ({type(exc).__name__})", response
            ) from None
        except StorebridgeError as exc:
            raise self._error(f"token-refresh answer could not be read: {exc}", response) from None
        if token.issued_at is None:
            token = attrs.evolve(token, issued_at=datetime.fromtimestamp(now, UTC))
        problem = token_problem(token, now)
        if problem is not None:
            raise self._error(
                f"token-refresh answer refused: {problem}; nothing was stored", response
            )
        try:
            self._store.save(self._key, token)
        except (OSError, StorebridgeError) as exc:
            raise self._error(f"could not save the new access token: {exc}", response) from None
        self._token = token
        self.refresh_count += 1
        log.info("refreshed the access token; new expiry %s", token.expires_at)
        return token

    def _error(self, message: str, response: Response) -> TokenRefreshError:
        return TokenRefreshError(message, status=response.status_code, platform=self._platform)

    def _unreachable(self, closing: GeneratorExit) -> None:
        """Turn a lost token request into TokenEndpointUnreachable (see the class notes).

        The client closes the flow while an exception propagates from sending the token
        request; that exception is the ``GeneratorExit``'s context. Raising here replaces it.
        """
        cause = closing.__context__
        if not isinstance(cause, _http.TransportError):
            return
        reason = f"{type(cause).__name__}: {cause}"
        text = (
            f"the token-refresh endpoint could not be reached ({reason}); "
            "the request waiting for a fresh token was not sent"
        )
        self._record(lambda: TokenEndpointUnreachable(text, reason=reason))
        # Neither the cause nor, through the GeneratorExit we raise from, the context: the
        # lost exception holds the token request (its signature, app key, refresh token).
        closing.__context__ = None
        raise TokenEndpointUnreachable(text, reason=reason) from None

    # Locks ---------------------------------------------------------------------------
    def _shared_store(self) -> SharedTokenStore | None:
        return self._store if isinstance(self._store, SharedTokenStore) else None

    def _store_lock_timeout(self) -> StorebridgeError:
        return StorebridgeError(
            f"the TokenStore stayed locked for {self._lock_timeout:.0f} s; another process "
            "may be stuck refreshing the token. Retry once it has finished."
        )

    def _store_lock_waits(self) -> Generator[float, None, None]:
        """Pauses to sleep until the shared store is locked (none for a private store)."""
        shared = self._shared_store()
        if shared is None:
            return
        deadline = time.monotonic() + self._lock_timeout
        pause = 0.005
        while not shared.try_lock(self._key):
            if time.monotonic() >= deadline:
                raise self._store_lock_timeout()
            yield pause
            pause = min(pause * 2, 0.1)

    def _unlock_store(self) -> None:
        shared = self._shared_store()
        if shared is not None:
            shared.unlock(self._key)

    def _acquire(self) -> None:
        self._lock.acquire()
        try:
            for pause in self._store_lock_waits():
                time.sleep(pause)
        except BaseException:
            self._lock.release()
            raise

    def _release(self) -> None:
        try:
            self._unlock_store()
        finally:
            self._lock.release()

    async def _acquire_async(self) -> None:
        await self._lock.acquire_async()
        try:
            for pause in self._store_lock_waits():
                await asyncio.sleep(pause)
        except BaseException:
            self._lock.release_async()
            raise

    def _release_async(self) -> None:
        try:
            self._unlock_store()
        finally:
            self._lock.release_async()

    # Drivers ---------------------------------------------------------------------------
    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        flow = self._flow(request)
        holding = False
        reply: Any = None
        try:
            while True:
                try:
                    step = flow.send(reply)
                except StopIteration:
                    return
                reply = None
                if step is _Step.LOCK:
                    self._acquire()
                    holding = True
                elif step is _Step.UNLOCK:
                    holding = False
                    self._release()
                elif isinstance(step, _Pause):
                    self._sleep(step.seconds)
                else:
                    try:
                        reply = yield step
                    except GeneratorExit as closing:
                        if holding:
                            self._unreachable(closing)
                        raise
                    if holding:  # a token answer: our flow reads it, httpx would not yet
                        reply.read()
        finally:
            flow.close()
            if holding:
                self._release()

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        flow = self._flow(request)
        holding = False
        reply: Any = None
        try:
            while True:
                try:
                    step = flow.send(reply)
                except StopIteration:
                    return
                reply = None
                if step is _Step.LOCK:
                    await self._acquire_async()
                    holding = True
                elif step is _Step.UNLOCK:
                    holding = False
                    self._release_async()
                elif isinstance(step, _Pause):
                    await self._async_sleep(step.seconds)
                else:
                    try:
                        reply = yield step
                    except GeneratorExit as closing:
                        if holding:
                            self._unreachable(closing)
                        raise
                    if holding:
                        await reply.aread()
        finally:
            flow.close()
            if holding:
                self._release_async()

    def __repr__(self) -> str:
        return f"RefreshingTokenAuth(expires_at={self._token.expires_at}, token=***)"


def _copy_refresh_error(error: TokenRefreshError) -> TokenRefreshError:
    """A fresh exception like ``error`` (one object must not be raised in many threads)."""
    return TokenRefreshError(
        error.message,
        status=error.status,
        platform=error.platform,
        request_id=error.request_id,
        field_errors=error.field_errors,
        method=error.method,
        url=error.url,
        body=error.body,
    )


def _newer_at_start(stored: Token | None, given: Token) -> Token:
    """At construction the given token wins unless the store has one known to expire later."""
    if stored is None:
        return given
    if given.expires_at is None or stored.expires_at is None:
        return given
    return stored if stored.expires_at > given.expires_at else given


def _newer(candidate: Token, current: Token) -> bool:
    """Whether a stored ``candidate`` replaces ``current``: another token, expiring no sooner."""
    if candidate.access_token == current.access_token or candidate.expires_at is None:
        return False
    return current.expires_at is None or candidate.expires_at >= current.expires_at


def expiry_in(seconds: float, now: float | None = None) -> datetime:
    """An aware expiry ``seconds`` from ``now`` (epoch seconds, default the wall clock)."""
    base = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return base + timedelta(seconds=seconds)


__all__ = [
    "SHORT_TOKEN_LEEWAY",
    "TOKEN_ENDPOINT_RETRY",
    "BearerAuth",
    "Clock",
    "FileTokenStore",
    "MemoryTokenStore",
    "QueryTokenAuth",
    "RefreshingTokenAuth",
    "SharedTokenStore",
    "Token",
    "TokenAsBasicAuth",
    "TokenEndpointUnreachable",
    "TokenRefresher",
    "TokenStore",
    "expiry_in",
    "token_problem",
]
