"""Sans-I/O operation flows.

An adapter never performs I/O. Each operation is a *flow*: a generator that yields what it
needs done and receives the result:

* yield a :class:`~storebridge.http.Request` -> receive its :class:`~storebridge.http.Response`
  (2xx or 3xx; error statuses are thrown into the generator as
  :class:`~storebridge.errors.APIError`, so a flow may catch, say, ``NotFound`` and carry on);
* yield a :class:`Batch` of requests -> receive the list of responses, in order; the facade
  sends them concurrently within the rate limit;
* (list flows only) yield :class:`Emit` with a page of items -> receive ``None``; the facade hands
  the items to the caller lazily, so the next page is only fetched when it is needed.

A single-result flow ``return``s its result. The facade runs the very same flow with a sync or
an async HTTP client, which is how one adapter serves both ``Store`` and ``AsyncStore``, and
how adapters are unit-tested with no network at all (see :func:`drive`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

import attrs

from storebridge._http import Request, Response
from storebridge.errors import OutcomeUnknown, ServerError

T = TypeVar("T")
U = TypeVar("U")

_META_KEY = "storebridge"


@attrs.frozen
class RequestMeta:
    """What the facade needs to know about a request to send it safely."""

    operation: str
    idempotent: bool


@attrs.frozen
class Batch:
    """Requests that may be sent concurrently; the flow receives ``list[Response]``."""

    requests: tuple[Request, ...]


@attrs.frozen
class Emit(Generic[T]):
    """A page of items produced by a list flow."""

    items: Sequence[T]


Step: TypeAlias = Request | Batch
Flow: TypeAlias = Generator[Step, Any, T]
"""A single-result operation: yields requests, returns the result."""
ListFlow: TypeAlias = Generator[Step | Emit[T], Any, None]
"""A listing: yields requests and pages of items."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def build_request(
    method: str,
    url: str,
    *,
    operation: str,
    idempotent: bool | None = None,
    params: Any = None,
    json: Any = None,
    content: bytes | None = None,
    headers: Any = None,
) -> Request:
    """A request tagged with its operation name and whether it may be re-sent.

    ``idempotent`` defaults to True for GET, HEAD and OPTIONS and False otherwise: the facade
    retries idempotent requests freely and never re-sends a write whose outcome is unknown.
    """
    method = method.upper()
    request = Request(method, url, params=params, json=json, content=content, headers=headers)
    meta = RequestMeta(
        operation=operation,
        idempotent=method in _SAFE_METHODS if idempotent is None else idempotent,
    )
    request.extensions = {**request.extensions, _META_KEY: meta}
    return request


def request_meta(request: Request) -> RequestMeta:
    meta = request.extensions.get(_META_KEY)
    if isinstance(meta, RequestMeta):
        return meta
    return RequestMeta(operation=request.method.lower(), idempotent=request.method in _SAFE_METHODS)


def derive_request(previous: Request, url: str, **changes: Any) -> Request:
    """A follow-up request (next page...) with the same method, headers and metadata."""
    request = Request(
        changes.pop("method", previous.method),
        url,
        headers=changes.pop("headers", previous.headers),
        **changes,
    )
    request.extensions = dict(previous.extensions)
    return request


def map_flow(flow: Flow[T], fn: Callable[[T], U]) -> Flow[U]:
    """A flow that returns ``fn(result)`` of ``flow``."""
    return fn((yield from flow))


def just(value: T) -> Flow[T]:
    """A flow that sends nothing and returns ``value``."""
    return value
    yield  # pragma: no cover - makes this a generator


def reconciled_write(
    request: Request,
    parse: Callable[[Response], T],
    find_existing: Callable[[], Flow[T | None]],
    *,
    attempts: int = 2,
) -> Flow[T]:
    """Send a non-idempotent write; if its outcome is unknown, read back before re-sending.

    A timeout after sending or a 5xx leaves a write in doubt. Instead of sending it again
    (and, say, refunding twice), ``find_existing`` looks for its effect on the platform. If it
    is there, that is the result; if not, the write is sent again, at most ``attempts`` times.
    """
    for attempt in range(1, attempts + 1):
        try:
            response = yield request
        except (OutcomeUnknown, ServerError):
            existing = yield from find_existing()
            if existing is not None:
                return existing
            if attempt == attempts:
                raise
            continue
        return parse(response)
    raise AssertionError("unreachable")  # pragma: no cover


def merge_parallel(flows: Sequence[ListFlow[T]]) -> ListFlow[T]:
    """Run several list flows side by side: each round batches one request from each.

    Used to read time-window slices of a cursor API in parallel; items are emitted as soon
    as any slice produces them (order across slices is not preserved).
    """
    pending: list[tuple[ListFlow[T], Any]] = [(flow, None) for flow in flows]
    while pending:
        waiting: list[tuple[ListFlow[T], Step]] = []
        for flow, value in pending:
            try:
                step = flow.send(value)
                while isinstance(step, Emit):
                    yield step
                    step = flow.send(None)
            except StopIteration:
                continue
            waiting.append((flow, step))
        if not waiting:
            return
        requests: list[Request] = []
        shape: list[int] = []
        for _, step in waiting:
            chunk = step.requests if isinstance(step, Batch) else (step,)
            requests.extend(chunk)
            shape.append(len(chunk))
        responses: list[Response] = yield Batch(tuple(requests))
        pending = []
        offset = 0
        for (flow, step), size in zip(waiting, shape, strict=True):
            part = responses[offset : offset + size]
            offset += size
            pending.append((flow, part if isinstance(step, Batch) else part[0]))


def unique_items(flow: ListFlow[T], key: Callable[[T], object]) -> ListFlow[T]:
    """``flow`` without repeats (by ``key``): for overlapping slices of one listing."""
    seen: set[object] = set()
    value: Any = None
    while True:
        try:
            step = flow.send(value)
        except StopIteration:
            return
        if isinstance(step, Emit):
            fresh = [item for item in step.items if key(item) not in seen]
            seen.update(key(item) for item in fresh)
            if fresh:
                yield Emit(fresh)
            value = None
        else:
            value = yield step


@attrs.define
class Done(Generic[T]):
    value: T


class FlowStepper(Generic[T]):
    """Advances a flow one step at a time; shared by the sync and async drivers."""

    def __init__(self, flow: Generator[Any, Any, T]) -> None:
        self._flow = flow
        self._started = False

    def advance(self, value: Any = None, error: BaseException | None = None) -> Any:
        """The next step, or :class:`Done` with the flow's return value."""
        try:
            if error is not None:
                return self._flow.throw(error)
            if not self._started:
                self._started = True
                return next(self._flow)
            return self._flow.send(value)
        except StopIteration as stop:
            return Done(stop.value)

    def close(self) -> None:
        self._flow.close()


def drive(
    flow: Generator[Any, Any, T], respond: Callable[[Request], Response]
) -> tuple[T, list[Any]]:
    """Run a flow against a plain function (no HTTP, no retries): for adapter unit tests.

    Returns the flow's result and every item it emitted.
    """
    stepper: FlowStepper[T] = FlowStepper(flow)
    items: list[Any] = []
    step = stepper.advance()
    while not isinstance(step, Done):
        if isinstance(step, Emit):
            items.extend(step.items)
            step = stepper.advance(None)
        elif isinstance(step, Batch):
            step = stepper.advance([respond(r) for r in step.requests])
        else:
            step = stepper.advance(respond(step))
    return step.value, items


__all__ = [
    "Batch",
    "Emit",
    "Flow",
    "FlowStepper",
    "ListFlow",
    "RequestMeta",
    "Step",
    "build_request",
    "derive_request",
    "drive",
    "just",
    "map_flow",
    "merge_parallel",
    "reconciled_write",
    "request_meta",
    "unique_items",
]
