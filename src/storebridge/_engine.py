"""Runs adapter flows over HTTP: retries, rate limiting, concurrency, error mapping, redaction.

Every decision about one request (wait for the rate limit, retry or not, what an error
status or an unreadable answer means) is made once, in :func:`_attempts`, a generator that
yields the I/O it needs (:class:`_Sleep`, :class:`_Transmit`). The sync and async engines
only carry that I/O out, and differ in how they fan out (threads or tasks).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import attrs

from storebridge import _http
from storebridge._concurrency import DEFAULT_CAP, Pacer, shared_pacer
from storebridge._ratelimit import TokenBucket, shared_bucket
from storebridge._redact import Redactor, scrub
from storebridge._retry import RETRYABLE_STATUSES, RetryPolicy
from storebridge.adapter import Adapter, RateLimit, error_from_response
from storebridge.auth import TokenEndpointUnreachable
from storebridge.errors import (
    APIError,
    OutcomeUnknown,
    PayloadError,
    RateLimited,
    StorebridgeError,
    TokenRefreshError,
    TransportError,
)
from storebridge.flow import (
    Batch,
    Concurrency,
    Done,
    Emit,
    FlowStepper,
    Parallel,
    Wait,
    request_meta,
    validate_answer,
)

T = TypeVar("T")
log = logging.getLogger("storebridge.http")

# Errors raised before a single byte of the request left: safe to re-send even a write.
_NOT_SENT = (_http.ConnectError, _http.ConnectTimeout, _http.PoolTimeout)


def _positive_or_none(_i: object, a: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{a.name} must be a whole number >= 1 or None, got {value!r}")


@attrs.frozen(kw_only=True)
class StoreOptions:
    """Per-store behaviour of the facade; every field has a sensible default.

    ``sleep`` / ``async_sleep`` / ``clock`` / ``rng`` exist so tests can run retry and
    rate-limit logic without real waiting.
    """

    timeout: float = 30.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    max_concurrency: int | None = attrs.field(default=None, validator=_positive_or_none)
    """Requests in flight per credential. None (the default) derives it from the rate limit
    and the observed latency (about rate x latency), which reaches the rate-limit bound
    without tuning; a number fixes it."""
    rate_limit: RateLimit | None = None
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
class _Sleep:
    seconds: float


@attrs.frozen
class _Transmit:
    request: _http.Request


class _Policy:
    """Decisions shared by both engines."""

    def __init__(self, adapter: Adapter, options: StoreOptions, redactor: Redactor) -> None:
        self.adapter = adapter
        self.options = options
        self.redact = redactor
        limit = options.rate_limit or adapter.rate_limit
        self.bucket: TokenBucket = shared_bucket(adapter.credential_key, limit, options.clock)
        self.pacer: Pacer = shared_pacer(
            adapter.credential_key, limit, options.max_concurrency, options.clock
        )

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

    def _where(self, request: _http.Request) -> str:
        return self.redact(f"{request.method} {request.url}")

    def on_transport_error(
        self, request: _http.Request, exc: Exception, attempt: int
    ) -> tuple[float | None, StorebridgeError]:
        """(delay before retrying or None, error to raise when not retrying)."""
        meta = request_meta(request)
        not_sent = isinstance(exc, _NOT_SENT)
        text = self.redact(f"{self._where(request)}: {type(exc).__name__}: {exc}")
        error: StorebridgeError
        if isinstance(exc, TokenEndpointUnreachable):
            # The API request waited for a token that never came: nothing was sent.
            error = TokenRefreshError(
                f"the access token could not be renewed: its endpoint gave no answer "
                f"({type(exc).__name__}); {meta.operation} was not sent",
                status=0,
                platform=self.adapter.name,
            )
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
                validate_answer(request, response)
            except PayloadError as exc:
                if not meta.idempotent:
                    return None, self._unreadable_write(request, response, exc)
                # An unreadable answer to a read is a transient fault like a 5xx.
                log.info("%s: unusable answer, asking again: %s", self._where(request), exc)
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
            log.info("%s -> %s, retrying", self._where(request), status)
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
            processed=True,
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
            log.debug("%s -> %s (%.0f ms)", self._where(request), response.status_code, elapsed)


def _attempts(
    policy: _Policy, request: _http.Request
) -> Generator[_Sleep | _Transmit, Any, _http.Response]:
    """One request, sent until its answer is usable or the retry budget is spent."""
    policy.prepare(request)
    attempt = 0
    while True:
        attempt += 1
        wait_for = policy.bucket.reserve()
        if wait_for > 0:
            yield _Sleep(wait_for)
        started = time.monotonic()
        try:
            response: _http.Response = yield _Transmit(request)
        except _http.TransportError as exc:
            delay, error = policy.on_transport_error(request, exc, attempt)
            if delay is None:
                raise error from None
            log.info("%s: %s, retrying", policy._where(request), type(exc).__name__)
            yield _Sleep(delay)
            continue
        policy.observe(started)
        policy.log_response(request, response, started)
        delay, problem = policy.on_response(request, response, attempt)
        if problem is None:
            return response
        if delay is None:
            raise problem
        yield _Sleep(delay)


class _Gate:
    """At most ``limit()`` holders at once, where the limit may change between acquisitions."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._active = 0
        self._cond = threading.Condition()

    def __enter__(self) -> None:
        with self._cond:
            while self._active >= self._limit():
                self._cond.wait(timeout=0.05)
            self._active += 1

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


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
        self._pool_lock = threading.Lock()

    def send(self, request: _http.Request) -> _http.Response:
        steps = _attempts(self.policy, request)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            if isinstance(op, _Sleep):
                self.options.sleep(op.seconds)
                continue
            try:
                value = self.client.send(op.request, auth=self.adapter.auth)
            except _http.TransportError as exc:
                error = exc

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.policy.cap, thread_name_prefix="storebridge"
                )
            return self._pool

    def _send_batch(
        self, requests: Sequence[_http.Request], *, tolerant: bool = False
    ) -> list[Any]:
        """Send ``requests`` keeping the pacer's number in flight; answers in order.

        ``tolerant``: a failed request's StorebridgeError takes its place in the answers.
        """
        if len(requests) == 1 and not tolerant:
            return [self.send(requests[0])]
        pool = self._executor()
        results: list[Any] = [None] * len(requests)
        pending: dict[Future[_http.Response], int] = {}
        upcoming = iter(enumerate(requests))
        failure: BaseException | None = None
        while True:
            while failure is None and len(pending) < self.policy.pacer.in_flight():
                nxt = next(upcoming, None)
                if nxt is None:
                    break
                pending[pool.submit(self.send, nxt[1])] = nxt[0]
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    results[index] = future.result()
                elif tolerant and isinstance(exc, StorebridgeError):
                    results[index] = exc
                else:
                    failure = failure or exc
        if failure is not None:
            raise failure
        return results

    def _parallel(self, flows: Sequence[Any]) -> Iterator[Sequence[Any]]:
        """Pages of ``flows`` run side by side, as they arrive."""
        # Unbounded so "done" and "error" always get through; pages are held back by
        # ``room`` instead, so fast workers wait for a slow reader (memory stays flat).
        inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        room = threading.Semaphore(2 * len(flows) + 2)
        stop = threading.Event()
        gate = _Gate(self.policy.pacer.in_flight)

        def worker(flow: Any) -> None:
            try:
                with gate:
                    for page in self._pages(flow):
                        while not room.acquire(timeout=0.05):
                            if stop.is_set():
                                return
                        if stop.is_set():
                            return
                        inbox.put(("page", page))
            except BaseException as exc:  # handed to the reading thread
                inbox.put(("error", exc))
            finally:
                inbox.put(("done", None))

        workers = ThreadPoolExecutor(
            max_workers=min(len(flows), self.policy.cap), thread_name_prefix="storebridge-part"
        )
        try:
            for flow in flows:
                workers.submit(worker, flow)
            finished = 0
            failure: BaseException | None = None
            while finished < len(flows):
                kind, value = inbox.get()
                if kind == "page":
                    room.release()
                    if failure is None:
                        yield value
                elif kind == "error":
                    failure = failure or value
                    stop.set()
                else:
                    finished += 1
            if failure is not None:
                raise failure
        finally:
            stop.set()
            workers.shutdown(wait=True, cancel_futures=True)
            for flow in flows:
                flow.close()

    def _pages(self, flow: Any) -> Generator[Sequence[Any], None, Any]:
        """Drive a flow, yielding each emitted page; returns the flow's return value."""
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    if step.items:
                        yield step.items
                    step = stepper.advance(None)
                    continue
                try:
                    if isinstance(step, Parallel):
                        yield from self._parallel(step.flows)
                        result: Any = None
                    elif isinstance(step, Concurrency):
                        result = self.policy.pacer.in_flight()
                    elif isinstance(step, Wait):
                        self.options.sleep(step.seconds)
                        result = None
                    elif isinstance(step, Batch):
                        result = self._send_batch(step.requests, tolerant=step.tolerant)
                    else:
                        result = self.send(step)
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        except StorebridgeError as exc:
            scrub(exc, self.policy.redact)
            raise
        finally:
            stepper.close()
        return step.value

    def iterate(self, flow: Any) -> Iterator[Any]:
        """Drive a flow, yielding emitted items; the flow's return value ends iteration."""
        pages = self._pages(flow)
        try:
            while True:
                try:
                    page = next(pages)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
                yield from page
        finally:
            pages.close()

    def run(self, flow: Any) -> Any:
        pages = self._pages(flow)
        while True:
            try:
                next(pages)
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

    async def send(self, request: _http.Request) -> _http.Response:
        steps = _attempts(self.policy, request)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            if isinstance(op, _Sleep):
                await self.options.async_sleep(op.seconds)
                continue
            try:
                value = await self.client.send(op.request, auth=self.adapter.auth)
            except _http.TransportError as exc:
                error = exc
            except StorebridgeError:
                steps.close()
                raise

    async def _send_batch(
        self, requests: Sequence[_http.Request], *, tolerant: bool = False
    ) -> list[Any]:
        if len(requests) == 1 and not tolerant:
            return [await self.send(requests[0])]
        results: list[Any] = [None] * len(requests)
        pending: dict[asyncio.Task[_http.Response], int] = {}
        upcoming = iter(enumerate(requests))
        failure: BaseException | None = None
        while True:
            while failure is None and len(pending) < self.policy.pacer.in_flight():
                nxt = next(upcoming, None)
                if nxt is None:
                    break
                pending[asyncio.ensure_future(self.send(nxt[1]))] = nxt[0]
            if not pending:
                break
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                index = pending.pop(task)
                exc = task.exception()
                if exc is None:
                    results[index] = task.result()
                elif tolerant and isinstance(exc, StorebridgeError):
                    results[index] = exc
                else:
                    failure = failure or exc
        if failure is not None:
            raise failure
        return results

    async def _parallel(self, flows: Sequence[Any]) -> AsyncGenerator[Sequence[Any], None]:
        pages: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=4 * len(flows) + 4)
        active = 0
        changed = asyncio.Condition()

        async def worker(flow: Any) -> None:
            nonlocal active
            try:
                async with changed:
                    await changed.wait_for(lambda: active < self.policy.pacer.in_flight())
                    active += 1
                try:
                    async for page in self._pages(flow):
                        if isinstance(page, _Result):
                            break
                        await pages.put(("page", page))
                finally:
                    async with changed:
                        active -= 1
                        changed.notify_all()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to the reading task
                await pages.put(("error", exc))
            finally:
                if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    await pages.put(("done", None))

        tasks = [asyncio.ensure_future(worker(flow)) for flow in flows]
        try:
            finished = 0
            while finished < len(flows):
                kind, value = await pages.get()
                if kind == "page":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    finished += 1
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for flow in flows:
                flow.close()

    async def _pages(self, flow: Any) -> AsyncGenerator[Sequence[Any] | _Result, None]:
        stepper: FlowStepper[Any] = FlowStepper(flow)
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    if step.items:
                        yield step.items
                    step = stepper.advance(None)
                    continue
                try:
                    if isinstance(step, Parallel):
                        async for page in self._parallel(step.flows):
                            yield page
                        result: Any = None
                    elif isinstance(step, Concurrency):
                        result = self.policy.pacer.in_flight()
                    elif isinstance(step, Wait):
                        await self.options.async_sleep(step.seconds)
                        result = None
                    elif isinstance(step, Batch):
                        result = await self._send_batch(step.requests, tolerant=step.tolerant)
                    else:
                        result = await self.send(step)
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        except StorebridgeError as exc:
            scrub(exc, self.policy.redact)
            raise
        finally:
            stepper.close()
        # An async generator cannot return a value: hand it over as a last, marked page.
        yield _Result(step.value)

    async def iterate(self, flow: Any) -> AsyncIterator[Any]:
        pages = self._pages(flow)
        try:
            async for page in pages:
                if isinstance(page, _Result):
                    return
                for item in page:
                    yield item
        finally:
            await pages.aclose()

    async def run(self, flow: Any) -> Any:
        pages = self._pages(flow)
        try:
            async for page in pages:
                if isinstance(page, _Result):
                    return page.value
        finally:
            await pages.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self, *, close_client: bool = True) -> None:
        if close_client:
            await self.client.aclose()


@attrs.frozen
class _Result:
    value: Any
