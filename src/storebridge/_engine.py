"""Runs adapter flows over HTTP: retries, rate limiting, error mapping, redaction.

The sync and async engines share every decision (:class:`_Policy`); they differ only in how
they send, sleep and fan out a batch.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import attrs

from storebridge import _http
from storebridge._ratelimit import TokenBucket, shared_bucket
from storebridge._redact import Redactor
from storebridge._retry import RETRYABLE_STATUSES, RetryPolicy
from storebridge.adapter import Adapter, RateLimit
from storebridge.errors import (
    APIError,
    OutcomeUnknown,
    StorebridgeError,
    TransportError,
)
from storebridge.flow import Batch, Done, Emit, FlowStepper, request_meta

T = TypeVar("T")
log = logging.getLogger("storebridge.http")

# Errors raised before a single byte of the request left: safe to re-send even a write.
_NOT_SENT = (_http.ConnectError, _http.ConnectTimeout, _http.PoolTimeout)


@attrs.frozen(kw_only=True)
class StoreOptions:
    """Per-store behaviour of the facade; every field has a sensible default.

    ``sleep`` / ``async_sleep`` / ``clock`` / ``rng`` exist so tests can run retry and
    rate-limit logic without real waiting.
    """

    timeout: float = 30.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    max_concurrency: int = 4
    rate_limit: RateLimit | None = None
    """Override the adapter's declared rate limit (e.g. a plan with a higher allowance)."""
    user_agent: str = "storebridge"
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Any] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = attrs.field(factory=random.Random)


class _Policy:
    """Decisions shared by both engines."""

    def __init__(self, adapter: Adapter, options: StoreOptions, redactor: Redactor) -> None:
        self.adapter = adapter
        self.options = options
        self.redact = redactor
        limit = options.rate_limit or adapter.rate_limit
        self.bucket: TokenBucket = shared_bucket(adapter.credential_key, limit, options.clock)

    def prepare(self, request: _http.Request) -> None:
        # Per request, so a store derived with with_options(timeout=...) applies its own.
        request.extensions = {
            **request.extensions,
            "timeout": _http.Timeout(self.options.timeout).as_dict(),
        }
        for name, value in self.adapter.default_headers.items():
            request.headers.setdefault(name, value)
        request.headers.setdefault("User-Agent", self.options.user_agent)

    def on_transport_error(
        self, request: _http.Request, exc: Exception, attempt: int
    ) -> tuple[float | None, StorebridgeError]:
        """(delay before retrying or None, error to raise when not retrying)."""
        meta = request_meta(request)
        not_sent = isinstance(exc, _NOT_SENT)
        text = self.redact(f"{request.method} {request.url}: {type(exc).__name__}: {exc}")
        error: StorebridgeError
        if meta.idempotent or not_sent:
            error = TransportError(f"{self.adapter.display_name}: {text}")
        else:
            error = OutcomeUnknown(
                f"{self.adapter.display_name}: the write {meta.operation} was sent but no "
                f"answer came back ({text}); it was not re-sent"
            )
        retry = (meta.idempotent or not_sent) and attempt < self.options.retry.max_attempts
        delay = self.options.retry.delay(attempt, None, self.options.rng) if retry else None
        return delay, error

    def on_response(
        self, request: _http.Request, response: _http.Response, attempt: int
    ) -> tuple[float | None, APIError | None]:
        """(delay before retrying or None, error for an error status or None)."""
        status = response.status_code
        if status < 400:
            return None, None
        meta = request_meta(request)
        error = self.clean(self.adapter.parse_error(response))
        # A 429 means the platform refused before doing anything, so even writes may retry.
        may_retry = status in RETRYABLE_STATUSES and (meta.idempotent or status == 429)
        if may_retry and attempt < self.options.retry.max_attempts:
            retry_after = self.adapter.retry_after(response)
            return self.options.retry.delay(attempt, retry_after, self.options.rng), error
        return None, error

    def clean(self, error: APIError) -> APIError:
        error.message = self.redact(error.message)
        if error.url:
            error.url = self.redact(error.url)
        if isinstance(error.body, str):
            error.body = self.redact(error.body)
        error.args = (self.redact(error._render()),)
        return error

    def log_response(
        self, request: _http.Request, response: _http.Response, started: float
    ) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            log.debug(
                "%s",
                self.redact(
                    f"{request.method} {request.url} -> {response.status_code} ({elapsed:.0f} ms)"
                ),
            )


class SyncEngine:
    def __init__(
        self,
        adapter: Adapter,
        client: _http.Client,
        options: StoreOptions,
        redactor: Redactor,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.options = options
        self.policy = _Policy(adapter, options, redactor)
        self._pool: ThreadPoolExecutor | None = None

    def send(self, request: _http.Request) -> _http.Response:
        self.policy.prepare(request)
        attempt = 0
        while True:
            attempt += 1
            wait = self.policy.bucket.reserve()
            if wait > 0:
                self.options.sleep(wait)
            started = time.monotonic()
            try:
                response = self.client.send(request, auth=self.adapter.auth)
            except _http.TransportError as exc:
                delay, error = self.policy.on_transport_error(request, exc, attempt)
                if delay is None:
                    raise error from None
                self.options.sleep(delay)
                continue
            self.policy.log_response(request, response, started)
            delay, api_error = self.policy.on_response(request, response, attempt)
            if api_error is None:
                return response
            if delay is None:
                raise api_error
            self.options.sleep(delay)

    def _send_batch(self, batch: Batch) -> list[_http.Response]:
        if len(batch.requests) <= 1 or self.options.max_concurrency <= 1:
            return [self.send(r) for r in batch.requests]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.options.max_concurrency)
        return list(self._pool.map(self.send, batch.requests))

    def iterate(self, flow: Any) -> Iterator[Any]:
        """Drive a flow, yielding emitted items; the flow's return value ends iteration."""
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    yield from step.items
                    step = stepper.advance(None)
                    continue
                try:
                    result: Any = (
                        self._send_batch(step) if isinstance(step, Batch) else self.send(step)
                    )
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        finally:
            stepper.close()
        return step.value  # type: ignore[no-any-return]

    def run(self, flow: Any) -> Any:
        iterator = self.iterate(flow)
        while True:
            try:
                next(iterator)
            except StopIteration as stop:
                return stop.value

    def close(self, *, close_client: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if close_client:
            self.client.close()


class AsyncEngine:
    def __init__(
        self,
        adapter: Adapter,
        client: _http.AsyncClient,
        options: StoreOptions,
        redactor: Redactor,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.options = options
        self.policy = _Policy(adapter, options, redactor)
        self._semaphore: asyncio.Semaphore | None = None

    async def send(self, request: _http.Request) -> _http.Response:
        self.policy.prepare(request)
        attempt = 0
        while True:
            attempt += 1
            wait = self.policy.bucket.reserve()
            if wait > 0:
                await self.options.async_sleep(wait)
            started = time.monotonic()
            try:
                response = await self.client.send(request, auth=self.adapter.auth)
            except _http.TransportError as exc:
                delay, error = self.policy.on_transport_error(request, exc, attempt)
                if delay is None:
                    raise error from None
                await self.options.async_sleep(delay)
                continue
            self.policy.log_response(request, response, started)
            delay, api_error = self.policy.on_response(request, response, attempt)
            if api_error is None:
                return response
            if delay is None:
                raise api_error
            await self.options.async_sleep(delay)

    async def _send_limited(self, request: _http.Request) -> _http.Response:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.options.max_concurrency)
        async with self._semaphore:
            return await self.send(request)

    async def _execute(self, step: Any) -> Any:
        if isinstance(step, Batch):
            return list(await asyncio.gather(*(self._send_limited(r) for r in step.requests)))
        return await self.send(step)

    async def iterate(self, flow: Any) -> AsyncIterator[Any]:
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    for item in step.items:
                        yield item
                    step = stepper.advance(None)
                    continue
                try:
                    result = await self._execute(step)
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        finally:
            stepper.close()

    async def run(self, flow: Any) -> Any:
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        while not isinstance(step, Done):
            if isinstance(step, Emit):
                step = stepper.advance(None)
                continue
            try:
                result = await self._execute(step)
            except StorebridgeError as exc:
                step = stepper.advance(error=exc)
                continue
            step = stepper.advance(result)
        return step.value

    async def aclose(self, *, close_client: bool = True) -> None:
        if close_client:
            await self.client.aclose()
