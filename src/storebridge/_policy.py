"""Every decision about one request, made once for the sync and async engines.

:func:`attempts` is a generator that yields the I/O it needs (:class:`Sleep`,
:class:`Transmit`) and returns the usable response: wait for the rate limit, send, then
decide from the answer -- retry with backoff, raise the error for an error status, treat an
unreadable answer to a read as transient and to a write as an unknown outcome. The engines
(:mod:`storebridge._engine`) only carry the I/O out.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import attrs

from storebridge import _http
from storebridge._concurrency import DEFAULT_CAP, Pacer, shared_pacer
from storebridge._option_checks import instance, seconds, whole
from storebridge._ratelimit import SendGuard, TokenBucket, shared_bucket, shared_send_guard
from storebridge._redact import Redactor, detach, scrub
from storebridge._retry import RETRYABLE_STATUSES, RetryPolicy
from storebridge.adapter import Adapter, RateLimit, error_from_response
from storebridge.auth import TokenEndpointUnreachable
from storebridge.errors import (
    APIError,
    NotFound,
    OutcomeUnknown,
    PayloadError,
    RateLimited,
    StorebridgeError,
    TokenRefreshError,
    TransportError,
)
from storebridge.flow import request_meta, validate_answer

T = TypeVar("T")
log = logging.getLogger("storebridge.http")

GUARD_CHECKS = 64
"""Checks of the send guard per attempt at most: far more than a request waits in line, and
a bound where waiting cannot help (a test's clock that sleeping does not move, or a sleep
that returns at once): the request then goes without."""

# Errors raised before a single byte of the request left: safe to re-send even a write.
_NOT_SENT = (_http.ConnectError, _http.ConnectTimeout, _http.PoolTimeout)


def _positive_or_none(owner: object, a: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None:
        whole(1)(owner, a, value)


@attrs.frozen(kw_only=True)
class StoreOptions:
    """Per-store behaviour of the facade; every field has a sensible default.

    ``sleep`` / ``async_sleep`` / ``clock`` / ``rng`` exist so tests can run retry and
    rate-limit logic without real waiting. Every wait a store makes goes through them: its
    retries and rate-limit pacing, the token-endpoint backoff of a
    :class:`~storebridge.auth.RefreshingTokenAuth` built with the default waits, and the
    pacing of a migration's writes into it.
    """

    timeout: float = attrs.field(default=30.0, validator=seconds())
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=instance(RetryPolicy))
    max_concurrency: int | None = attrs.field(default=None, validator=_positive_or_none)
    """Requests in flight per credential. None (the default) derives it from the rate limit
    and the observed latency (about rate x latency), which reaches the rate-limit bound
    without tuning; a number fixes it."""
    rate_limit: RateLimit | None = attrs.field(
        default=None, validator=instance(RateLimit, optional=True)
    )
    """Override the adapter's declared rate limit (e.g. a plan with a higher allowance)."""
    user_agent: str = "storebridge"
    idempotency_store: Any = None
    """Where single-use refund quotes are recorded
    (:class:`~storebridge.idempotency.IdempotencyStore`); None: this process's memory."""
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Any] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = attrs.field(factory=random.Random)


@attrs.frozen
class Sleep:
    seconds: float


@attrs.frozen
class Transmit:
    request: _http.Request


class Policy:
    """Decisions shared by both engines."""

    def __init__(self, adapter: Adapter, options: StoreOptions, redactor: Redactor) -> None:
        self.adapter = adapter
        self.options = options
        self.redact = redactor
        limit = options.rate_limit or adapter.rate_limit
        self.bucket: TokenBucket = shared_bucket(adapter.credential_key, limit, options.clock)
        self.send_guard: SendGuard = shared_send_guard(adapter.credential_key, limit, options.clock)
        self.pacer: Pacer = shared_pacer(
            adapter.credential_key, limit, options.max_concurrency, options.clock
        )
        # An auth that waits between attempts of its own (a token endpoint's backoff) waits
        # the store's way, so StoreOptions.sleep governs every wait a store makes.
        wait_with = getattr(adapter.auth, "wait_with", None)
        if callable(wait_with):
            wait_with(options.sleep, options.async_sleep)

    @property
    def cap(self) -> int:
        return self.options.max_concurrency or DEFAULT_CAP

    def prepare(self, request: _http.Request) -> None:
        # Per request, so a store derived with with_options(timeout=...) applies its own.
        request.extensions = {
            **request.extensions,
            "timeout": _http.Timeout(self.options.timeout).as_dict(),
        }
        for name, value in self.adapter.default_headers.items():
            request.headers.setdefault(name, value)
        request.headers.setdefault("User-Agent", self.options.user_agent)

    def where(self, request: _http.Request) -> str:
        return self.redact(f"{request.method} {request.url}")

    def on_transport_error(
        self, request: _http.Request, exc: Exception, attempt: int
    ) -> tuple[float | None, StorebridgeError]:
        """(delay before retrying or None, error to raise when not retrying)."""
        meta = request_meta(request)
        not_sent = isinstance(exc, _NOT_SENT)
        text = self.redact(f"{self.where(request)}: {type(exc).__name__}: {exc}")
        error: StorebridgeError
        if isinstance(exc, TokenEndpointUnreachable):
            # The API request waited for a token that never came: nothing was sent, and no
            # answer came from anywhere, so the message must not read "answered <status>".
            reason = self.redact(exc.reason or type(exc).__name__)
            message = (
                f"the access token could not be renewed: the request to the token endpoint "
                f"got no answer ({reason}); {meta.operation} was not sent"
            )
            error = TokenRefreshError(message, status=0, platform=self.adapter.display_name)
            error.args = (f"{self.adapter.display_name}: {message}",)
        elif meta.idempotent or not_sent:
            error = TransportError(f"{self.adapter.display_name}: {text}")
        else:
            error = OutcomeUnknown(
                f"{self.adapter.display_name}: the write {meta.operation} was sent but no "
                f"answer came back ({text}); it was not re-sent",
                operation=meta.operation,
            )
        retry = (meta.idempotent or not_sent) and attempt < self.options.retry.max_attempts
        delay = self.options.retry.delay(attempt, None, self.options.rng) if retry else None
        return delay, error

    def on_response(
        self, request: _http.Request, response: _http.Response, attempt: int
    ) -> tuple[float | None, StorebridgeError | None]:
        """(delay before retrying or None, error for an unusable answer or None)."""
        status = response.status_code
        meta = request_meta(request)
        can_retry = attempt < self.options.retry.max_attempts
        if status < 400:
            try:
                if request.method not in ("GET", "HEAD") and _web_page(response):
                    raise PayloadError(
                        "answered with a web page (a proxy's page, a login wall), not by the "
                        "platform's API: the write may never have reached it"
                    )
                validate_answer(request, response)
            except PayloadError as exc:
                if not meta.idempotent:
                    return None, self._unreadable_write(request, response, exc)
                # An unreadable answer to a read is a transient fault like a 5xx.
                log.info("%s: unusable answer, asking again: %s", self.where(request), exc)
                if can_retry:
                    return self.options.retry.backoff(attempt, self.options.rng), exc
                scrub(exc, self.redact)
                return None, exc
            return None, None
        error = self._error(response)
        if status == 429:
            self.pacer.throttled()
        # A 429 means the platform refused before doing anything, so even writes may retry.
        may_retry = status in RETRYABLE_STATUSES and (meta.idempotent or status == 429)
        if may_retry and can_retry:
            retry_after = self.adapter.retry_after(response)
            log.info("%s -> %s, retrying", self.where(request), status)
            return self.options.retry.delay(attempt, retry_after, self.options.rng), error
        if status >= 500 and not meta.idempotent:
            unknown = OutcomeUnknown(
                f"{self.adapter.display_name}: the write {meta.operation} answered {status}; "
                f"it may or may not have happened and was not re-sent ({error.message})",
                operation=meta.operation,
                status=status,
            )
            unknown.__cause__ = error
            scrub(unknown, self.redact)
            return None, unknown
        return None, error

    def _unreadable_write(
        self, request: _http.Request, response: _http.Response, exc: PayloadError
    ) -> OutcomeUnknown:
        meta = request_meta(request)
        unknown = OutcomeUnknown(
            f"{self.adapter.display_name}: the write {meta.operation} was accepted (HTTP "
            f"{response.status_code}) but its answer could not be read ({exc}); it was not "
            "re-sent",
            operation=meta.operation,
            # A redirect or a web page is not the platform's answer: it may not have run.
            processed=True if response.status_code < 300 and not _web_page(response) else None,
            status=response.status_code,
        )
        scrub(unknown, self.redact)
        return unknown

    def _error(self, response: _http.Response) -> APIError:
        """The adapter's reading of an error answer; a generic one if that reading fails."""
        try:
            error = self.adapter.parse_error(response)
        except Exception as exc:  # an adapter bug must not hide the status
            log.debug("parse_error of %s failed: %r", self.adapter.name, exc)
            error = None
        if not isinstance(error, APIError):
            error = error_from_response(
                self.adapter, response, message=response.reason_phrase or "error"
            )
        if isinstance(error, NotFound) and _web_page(response):
            # A platform's API says "no such record" in its own terms, never with a web
            # page: that is a proxy's, a gateway's or a maintenance page. Taken as "none",
            # it would empty a listing, unlink an order, end a feed's pass or settle a
            # write's read-back as "gone".
            error = error_from_response(
                self.adapter,
                response,
                message="a 404 answered with a web page, not by the platform's API: a proxy, "
                "gateway or maintenance page is in the way; nothing was taken as missing",
                cls=APIError,
            )
        if isinstance(error, RateLimited) and error.retry_after is None:
            error.retry_after = self.adapter.retry_after(response)
        return self.clean(error)

    def clean(self, error: APIError) -> APIError:
        scrub(error, self.redact)
        error.args = (self.redact(error._render()),)
        return error

    def observe(self, started: float) -> None:
        self.pacer.observe(max(0.0, time.monotonic() - started))

    def log_response(
        self, request: _http.Request, response: _http.Response, started: float
    ) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            log.debug("%s -> %s (%.0f ms)", self.where(request), response.status_code, elapsed)


def attempts(
    policy: Policy, request: _http.Request
) -> Generator[Sleep | Transmit, Any, _http.Response]:
    """One request, sent until its answer is usable or the retry budget is spent."""
    policy.prepare(request)
    attempt = 0
    while True:
        attempt += 1
        wait_for = policy.bucket.reserve()
        if wait_for > 0:
            yield Sleep(wait_for)
        # Woken late, this request would go together with the ones whose turns fell due
        # meanwhile. The guard gives a token only at the moment of going (see send_limit):
        # a turn reserved ahead could itself fall due inside a stall.
        ticket: int | None = None
        try:
            for _ in range(GUARD_CHECKS):
                answer = policy.send_guard.try_go(ticket)
                if answer is None:
                    ticket = None
                    break
                held, ticket = answer
                yield Sleep(held)
        finally:
            if ticket is not None:
                policy.send_guard.leave(ticket)
        started = time.monotonic()
        failed: tuple[float | None, StorebridgeError, str] | None = None
        try:
            response: _http.Response = yield Transmit(request)
        except _http.TransportError as exc:
            delay, error = policy.on_transport_error(request, exc, attempt)
            failed = (delay, error, type(exc).__name__)
        if failed is not None:
            # Raised past the except block: raised inside it, the error would keep the HTTP
            # library's exception as its __context__, and with it the request carrying the
            # credentials (Authorization header, token in the URL, a refresh's signature).
            delay, error, kind = failed
            if delay is None:
                raise detach(error)
            log.info("%s: %s, retrying", policy.where(request), kind)
            yield Sleep(delay)
            continue
        policy.observe(started)
        policy.log_response(request, response, started)
        delay, problem = policy.on_response(request, response, attempt)
        if problem is None:
            return response
        if delay is None:
            raise problem
        yield Sleep(delay)


__all__ = ["GUARD_CHECKS", "Policy", "Sleep", "StoreOptions", "Transmit", "attempts"]


def _web_page(response: _http.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return "html" in kind or response.content[:512].lstrip()[:1] == b"<"
