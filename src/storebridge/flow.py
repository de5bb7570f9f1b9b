"""Sans-I/O operation flows.

An adapter never performs I/O. Each operation is a *flow*: a generator that yields what it
needs done and receives the result:

* yield a :class:`~storebridge.http.Request` -> receive its :class:`~storebridge.http.Response`
  (2xx or 3xx; error statuses are thrown into the generator as
  :class:`~storebridge.errors.APIError`, so a flow may catch, say, ``NotFound`` and carry on);
* yield a :class:`Batch` of requests -> receive the list of responses, in order; the facade
  sends them concurrently within the rate limit;
* yield :class:`Start` with requests -> receive a :class:`Ticket` for each, at once: the
  facade sends them in the background while the flow goes on; yield :class:`Collect` with
  a ticket -> receive that request's ``Response`` (or its ``StorebridgeError``, in place);
  yield :class:`First` with tickets -> receive the first of them whose answer is in; yield
  :class:`Forget` with tickets whose answers are no longer wanted. A flow keeps a window of
  requests in flight this way (pages read ahead: as each answer comes in, the next request
  goes out), instead of waiting for a whole :class:`Batch`;
* yield :data:`CONCURRENCY` -> receive how many requests the facade would keep in flight
  now (derived from the rate limit and the observed latency), to size read-ahead;
* yield :class:`Wait` -> the facade pauses (polling loops); receive ``None``;
* (list flows only) yield :class:`Emit` with a page of items -> receive ``None``; the facade
  hands the items to the caller lazily, so the next page is only fetched when it is needed;
* (list flows only) yield :class:`Parallel` with several list flows -> the facade runs them
  side by side and hands their items to the caller as they arrive; receive ``None`` when
  all are done.

A single-result flow ``return``s its result. The facade runs the very same flow with a sync or
an async HTTP client, which is how one adapter serves both ``Store`` and ``AsyncStore``, and
how adapters are unit-tested with no network at all (see :func:`drive`).

Every request carries :class:`RequestMeta`: whether it may be re-sent (``idempotent``),
whether its answer must be JSON (``expect_json``) and an optional ``check`` of the answer.
An answer that fails them is *unreadable*: a read is asked again like a 5xx, a write becomes
:class:`~storebridge.errors.OutcomeUnknown` and is reconciled by reading back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

import attrs

from storebridge._http import Request, Response
from storebridge._json import read_json
from storebridge._seen import SeenKeys
from storebridge.errors import (
    APIError,
    PayloadError,
    StorebridgeError,
)

T = TypeVar("T")
U = TypeVar("U")

_META_KEY = "storebridge"

ResponseCheck: TypeAlias = Callable[[Response], None]
"""Raises PayloadError when an answer, though 2xx, cannot be used (wrong shape, stale page)."""


@attrs.frozen
class RequestMeta:
    """What the facade needs to know about a request to send it safely."""

    operation: str
    idempotent: bool
    expect_json: bool = False
    """The answer must be a JSON body (an empty, truncated or HTML answer is unreadable)."""
    check: ResponseCheck | None = None
    """Further checks of a 2xx answer; raise PayloadError when it cannot be used."""


@attrs.frozen
class Batch:
    """Requests that may be sent concurrently; the flow receives ``list[Response]``.

    By default the first failing request's error is thrown into the flow. With ``tolerant``
    the flow receives each request's error in its place instead (``Response`` or
    ``StorebridgeError``), for speculative requests such as pages read ahead.
    """

    requests: tuple[Request, ...]
    tolerant: bool = False


@attrs.frozen(eq=False)
class Ticket:
    """A request sent by :class:`Start` whose answer has not been taken yet."""

    request: Request


@attrs.frozen
class Start(Batch):
    """Send ``requests`` without waiting: the flow receives one :class:`Ticket` each, in
    order, and takes each answer later with :class:`Collect` (or drops it with
    :class:`Forget`). Answers are always tolerant: a failed request's error comes back in
    its place when collected, never thrown.

    A Start is a :class:`Batch`, so a combinator that only knows batches (it merges the
    requests of a batch with its own) still works: it sends them at once and hands the
    flow their answers instead of tickets. A flow that starts requests therefore accepts
    either: a ``Ticket`` to collect later, or the answer itself.
    """

    requests: tuple[Request, ...]
    tolerant: bool = True


@attrs.frozen
class Collect(Batch):
    """The answer to a started request: its ``Response``, or its ``StorebridgeError``.

    The facade answers when that request's answer is in (others started with it may come
    back in any order). A combinator that only knows batches answers it as an empty batch
    (``[]``, a list): the flow then asks again.
    """

    ticket: Ticket
    requests: tuple[Request, ...] = ()
    tolerant: bool = True


@attrs.frozen
class First(Batch):
    """Wait until the answer to one of ``tickets`` is in: the flow receives that
    :class:`Ticket` (the earliest in ``tickets`` of those answered), to :class:`Collect`.

    A flow keeps its window full this way while the answer it needs next is slow: it sends
    another request for each one that comes back. A combinator that only knows batches
    answers it as an empty batch (``[]``): the flow then collects what it needs next.
    """

    tickets: tuple[Ticket, ...]
    requests: tuple[Request, ...] = ()
    tolerant: bool = True


@attrs.frozen
class Forget(Batch):
    """Started requests whose answers the flow no longer wants (guesses that proved wrong):
    the facade sends those not yet sent no more and drops the answers of the others.

    Every ticket a flow leaves uncollected is forgotten when the flow ends anyway; this
    frees them early (say, the rest of a read-ahead window once the listing has ended).
    """

    tickets: tuple[Ticket, ...]
    requests: tuple[Request, ...] = ()
    tolerant: bool = True


@attrs.frozen
class Emit(Generic[T]):
    """A page of items produced by a list flow."""

    items: Sequence[T]


@attrs.frozen
class Parallel:
    """List flows the facade runs side by side; their items go straight to the caller."""

    flows: tuple[Generator[Any, Any, None], ...]


@attrs.frozen
class Wait:
    """Pause for ``seconds`` before the next step (polling); the flow receives ``None``."""

    seconds: float


@attrs.frozen
class Concurrency:
    """Ask the facade how many requests it would keep in flight now (an ``int`` >= 1)."""


CONCURRENCY = Concurrency()

Step: TypeAlias = Request | Batch | Concurrency | Wait
Flow: TypeAlias = Generator[Step, Any, T]
"""A single-result operation: yields requests, returns the result."""
ListFlow: TypeAlias = Generator[Step | Emit[T] | Parallel, Any, None]
"""A listing: yields requests and pages of items."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_BODYLESS_ANSWERS = frozenset({"HEAD", "DELETE", "OPTIONS"})


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
    expect_json: bool | None = None,
    check: ResponseCheck | None = None,
) -> Request:
    """A request tagged with its operation name and how to treat its answer.

    ``idempotent`` defaults to True for GET, HEAD and OPTIONS and False otherwise: the facade
    retries idempotent requests freely and never re-sends a write whose outcome is unknown.
    ``expect_json`` defaults to True except for HEAD, DELETE and OPTIONS.
    """
    method = method.upper()
    request = Request(method, url, params=params, json=json, content=content, headers=headers)
    meta = RequestMeta(
        operation=operation,
        idempotent=method in _SAFE_METHODS if idempotent is None else idempotent,
        expect_json=method not in _BODYLESS_ANSWERS if expect_json is None else expect_json,
        check=check,
    )
    request.extensions = {**request.extensions, _META_KEY: meta}
    return request


def request_meta(request: Request) -> RequestMeta:
    meta = request.extensions.get(_META_KEY)
    if isinstance(meta, RequestMeta):
        return meta
    return RequestMeta(operation=request.method.lower(), idempotent=request.method in _SAFE_METHODS)


def with_check(request: Request, check: ResponseCheck | None) -> Request:
    """``request`` (same object) with ``check`` as its answer check."""
    meta = request_meta(request)
    request.extensions = {**request.extensions, _META_KEY: attrs.evolve(meta, check=check)}
    return request


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


def validate_answer(request: Request, response: Response) -> None:
    """Raise PayloadError when a 2xx ``response`` cannot be used for ``request``.

    Runs the request's declared expectations: a JSON body (parsed once and cached, see
    :func:`storebridge.http.read_json`) and its ``check``. The facade calls this for every
    answer; :func:`drive` does too, so unit tests see what the facade sees.
    """
    meta = request_meta(request)
    if response.status_code >= 300 or response.status_code == 204:
        if meta.check is not None and response.status_code < 400:
            # A request whose answer must pass a check (a listing's page) got a redirect
            # (never followed: it could lead to another host) or no content: no page.
            raise PayloadError(
                f"answered {response.status_code} where a page of records was expected",
                path="$",
            )
        return
    if meta.expect_json:
        read_json(response)
    if meta.check is not None:
        meta.check(response)


def map_flow(flow: Flow[T], fn: Callable[[T], U]) -> Flow[U]:
    """A flow that returns ``fn(result)`` of ``flow``."""
    return fn((yield from flow))


def just(value: T) -> Flow[T]:
    """A flow that sends nothing and returns ``value``."""
    return value
    yield  # pragma: no cover - makes this a generator


def relay(
    flow: Generator[Any, Any, T],
    on_emit: Callable[[Emit[Any]], Generator[Any, Any, Emit[Any] | None]] | None = None,
) -> Generator[Any, Any, T]:
    """Run ``flow`` inside another flow, forwarding steps, results and thrown errors.

    ``on_emit`` may replace each emitted page (a flow itself: it may send requests); the
    page it returns is emitted if not None and not empty. Errors the facade throws in while
    ``flow`` waits for an answer are thrown into ``flow``, so its own handlers (say, "404
    means an empty list") run; closing the outer flow closes ``flow``.

    When ``flow`` runs flows side by side (:class:`Parallel`), each of them is relayed
    through ``on_emit`` too, so no page escapes it; ``on_emit`` then runs for pages of
    different flows at the same time and must be safe for that (or see :func:`in_turn`).
    """
    stepper: FlowStepper[T] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Emit) and on_emit is not None:
                replaced = yield from on_emit(step)
                if replaced is not None and replaced.items:
                    yield replaced
                step = stepper.advance()
                continue
            if isinstance(step, Parallel) and on_emit is not None:
                step = Parallel(tuple(relay(part, on_emit) for part in step.flows))
            step = stepper.advance(*(yield from ask(step)))
        return step.value  # type: ignore[no-any-return]
    finally:
        stepper.close()


def ask(step: Any) -> Generator[Any, Any, tuple[Any, StorebridgeError | None]]:
    """``step`` passed on to the facade by a flow that wraps another: the answer, or the
    error the facade threw in instead, as ``(value, error)`` for the wrapped flow's
    :meth:`FlowStepper.advance` (so that flow's own handlers run)."""
    try:
        return (yield step), None
    except StorebridgeError as exc:
        return None, exc


def in_turn(flow: ListFlow[T]) -> ListFlow[T]:
    """``flow`` with any flows it would run side by side run one after the other instead.

    For a consumer whose bookkeeping follows the order pages arrive in (a change feed's
    checkpoint counts what it handed out): every page then passes through one thread, in
    the order it is emitted. Costs the parallel reads' speed, never a record.
    """
    stepper: FlowStepper[None] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Parallel):
                for part in step.flows:
                    yield from in_turn(part)
                step = stepper.advance()
                continue
            step = stepper.advance(*(yield from ask(step)))
    finally:
        stepper.close()


def expand_pages(
    source: ListFlow[Any], expand: Callable[[Sequence[Any]], Flow[Sequence[T]]]
) -> ListFlow[T]:
    """``source`` with each page passed through ``expand``, a flow that may send requests.

    For converting rows to model objects and joining what list rows lack (details,
    customers) in one batch per page before the page is emitted.
    """

    def on_emit(page: Emit[Any]) -> Generator[Any, Any, Emit[Any] | None]:
        items = yield from expand(page.items)
        return Emit(items)

    yield from relay(source, on_emit)


def unique_items(flow: ListFlow[T], key: Callable[[T], object]) -> ListFlow[T]:
    """``flow`` without repeats (by ``key``): a record that moves mid-listing comes once."""
    seen = SeenKeys()
    lock = threading.Lock()  # pages of parallel flows inside ``flow`` arrive on threads

    def on_emit(page: Emit[T]) -> Generator[Any, Any, Emit[T] | None]:
        with lock:
            fresh = [item for item in page.items if seen.add_new(key(item))]
        return Emit(fresh)
        yield  # pragma: no cover - makes this a generator

    yield from relay(flow, on_emit)


def merge_parallel(
    flows: Sequence[ListFlow[T]], key: Callable[[T], object] | None = None
) -> ListFlow[T]:
    """Run several list flows side by side (e.g. time-window slices of one cursor listing).

    The facade keeps as many of them in flight as the rate limit and latency call for, and
    hands items on as soon as any flow produces them: order across flows is not preserved.
    With ``key``, an item seen in one flow is dropped from the others (overlapping windows).
    """
    if key is None:
        yield Parallel(tuple(flows))
        return
    seen = SeenKeys()
    lock = threading.Lock()

    def fresh_only(flow: ListFlow[T]) -> ListFlow[T]:
        def on_emit(page: Emit[T]) -> Generator[Any, Any, Emit[T] | None]:
            with lock:
                fresh = [item for item in page.items if seen.add_new(key(item))]
            return Emit(fresh)
            yield  # pragma: no cover - makes this a generator

        yield from relay(flow, on_emit)

    yield Parallel(tuple(fresh_only(flow) for flow in flows))


def _capture(answer: Callable[[Request], Response], request: Request) -> Any:
    try:
        return answer(request)
    except StorebridgeError as exc:
        return exc


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
    flow: Generator[Any, Any, T],
    respond: Callable[[Request], Response],
    *,
    concurrency: int = 4,
) -> tuple[T, list[Any]]:
    """Run a flow against a plain function (no HTTP, no retries): for adapter unit tests.

    Answers are checked like the facade checks them, and error statuses are thrown into the
    flow as APIError, so a test sees what a flow would see through the facade (without its
    retries). :class:`Parallel` flows run one after another; requests a flow starts
    (:class:`Start`) are answered at once, in order. Returns the flow's result and every
    item it emitted.
    """
    from storebridge.errors import error_class_for_status

    def answer(request: Request) -> Response:
        response = respond(request)
        if response.status_code >= 400:
            kind = error_class_for_status(response.status_code)
            raise kind(
                response.reason_phrase or "error",
                status=response.status_code,
                platform="test",
                method=request.method,
                url=str(request.url),
            )
        validate_answer(request, response)
        return response

    stepper: FlowStepper[T] = FlowStepper(flow)
    items: list[Any] = []
    started: dict[Ticket, Any] = {}
    step = stepper.advance()
    while not isinstance(step, Done):
        if isinstance(step, Emit):
            items.extend(step.items)
            step = stepper.advance(None)
            continue
        if isinstance(step, Parallel):
            for sub in step.flows:
                items.extend(drive(sub, respond, concurrency=concurrency)[1])
            step = stepper.advance(None)
            continue
        try:
            if isinstance(step, Concurrency):
                result: Any = concurrency
            elif isinstance(step, Wait):
                result = None
            elif isinstance(step, Start):
                tickets = [Ticket(r) for r in step.requests]
                started.update((t, _capture(answer, t.request)) for t in tickets)
                result = tickets
            elif isinstance(step, Collect):
                result = started.pop(step.ticket)
            elif isinstance(step, First):
                result = step.tickets[0]
            elif isinstance(step, Forget):
                for ticket in step.tickets:
                    started.pop(ticket, None)
                result = None
            elif isinstance(step, Batch) and step.tolerant:
                result = [_capture(answer, r) for r in step.requests]
            elif isinstance(step, Batch):
                result = [answer(r) for r in step.requests]
            else:
                result = answer(step)
        except (APIError, PayloadError) as exc:
            step = stepper.advance(error=exc)
            continue
        step = stepper.advance(result)
    return step.value, items


# Reads that decide whether a write is sent (a write's read-back, a look-up after an outcome
# left unknown) must not be answered by a cache that stores API answers (a CDN told to cache
# everything): the store as it was before the write reads as "the write did not land", and
# it is sent again.


def no_cache(step: Any) -> Any:
    """``step`` asked again past caches: ``Cache-Control: no-cache`` on its requests (a
    cache that honours it asks the platform; one that does not is caught again)."""
    requests = [step] if isinstance(step, Request) else list(getattr(step, "requests", ()))
    for request in requests:
        if isinstance(request, Request):
            request.headers["Cache-Control"] = "no-cache"
    return step


def past_caches(flow: Generator[Any, Any, T]) -> Generator[Any, Any, T]:
    """``flow`` with ``Cache-Control: no-cache`` on every request it sends.

    For reads that decide whether a write is sent (a write's read-back, a look-up after an
    outcome left unknown): a cache that stores API answers would answer with the record as
    it was before the write, and the write that landed would read as lost and be sent
    again. A cache that ignores ``no-cache`` too is not caught by this.
    """
    stepper: FlowStepper[T] = FlowStepper(flow)
    step = stepper.advance()
    try:
        while not isinstance(step, Done):
            if isinstance(step, Parallel):
                step = Parallel(tuple(past_caches(part) for part in step.flows))
            else:
                no_cache(step)
            step = stepper.advance(*(yield from ask(step)))
        return step.value  # type: ignore[no-any-return]
    finally:
        stepper.close()


# Defined apart (it is long) and part of this module's interface; imported last because it
# builds on the definitions above.
from storebridge._reconcile import reconciled_write  # noqa: E402

__all__ = [
    "CONCURRENCY",
    "Batch",
    "Collect",
    "Concurrency",
    "Emit",
    "First",
    "Flow",
    "FlowStepper",
    "Forget",
    "ListFlow",
    "Parallel",
    "RequestMeta",
    "ResponseCheck",
    "Start",
    "Step",
    "Ticket",
    "Wait",
    "ask",
    "build_request",
    "derive_request",
    "drive",
    "expand_pages",
    "in_turn",
    "just",
    "map_flow",
    "merge_parallel",
    "reconciled_write",
    "relay",
    "request_meta",
    "unique_items",
    "validate_answer",
    "with_check",
]
