"""The emulator framework: routing, faults, latency, rate limits, in-process transport.

An :class:`Emulator` turns a :class:`~storebridge.http.Request` into a
:class:`~storebridge.http.Response`. The same object serves tests in-process
(:meth:`Emulator.transport`, no sockets) and a loopback port (:meth:`Emulator.serve`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import parse_qsl

import attrs

from storebridge import _http
from storebridge.sandbox.bodies import read_json
from storebridge.sandbox.clock import Clock
from storebridge.sandbox.problems import DropConnection, HTTPProblem

if TYPE_CHECKING:
    from storebridge.sandbox.webhooks import WebhookHub

__all__ = [
    "DropConnection",
    "Emulator",
    "EmulatorRequest",
    "Endpoint",
    "Fault",
    "HTTPProblem",
    "json_response",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that never change an emulated store; any other bumps :attr:`Emulator.revision`."""


@attrs.define
class EmulatorRequest:
    """One request as handlers see it; ``params`` are the route's named groups."""

    method: str
    url: _http.URL
    headers: _http.Headers
    body: bytes
    params: dict[str, str] = attrs.field(factory=dict)
    _query: dict[str, str] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value of a repeated name); read-only by convention."""
        if self._query is None:
            raw = self.url.query.decode("ascii")
            self._query = dict(parse_qsl(raw, keep_blank_values=True))
        return self._query

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` the client used, for absolute links."""
        port = f":{self.url.port}" if self.url.port else ""
        return f"{self.url.scheme}://{self.url.host}{port}"

    def json(self) -> Any:
        """The body as JSON; ``400 {"detail": ...}`` when empty or not JSON."""
        return read_json(self)


Handler = Callable[[EmulatorRequest], _http.Response]
H = TypeVar("H")


@attrs.frozen
class Endpoint(Generic[H]):
    """One API route as a resource module declares it: ``path`` is a regex relative to the
    platform's API root, ``need`` what the guard must see (a scope; ``""`` for nothing)."""

    method: str
    path: str
    handler: H
    need: str = ""


@attrs.frozen
class Fault:
    """An injected failure for requests matching ``method`` and ``path`` (a regex).

    ``kind``: ``"status"`` answers ``status`` without processing; ``"drop_before"`` closes
    the connection without processing; ``"drop_after"`` processes, then loses the answer.
    ``times`` is how many matching requests fail.
    """

    kind: str = "status"
    status: int = 503
    method: str | None = None
    path: str = ".*"
    times: int = 1
    headers: Mapping[str, str] = attrs.field(factory=dict)


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> _http.Response:
    """A JSON answer (UTF-8, non-ASCII kept as is)."""
    return _http.Response(
        status,
        content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


class Emulator:
    """Base class of platform emulators. Subclasses register routes in ``__init__``."""

    platform: ClassVar[str]

    def __init__(self, *, clock: Clock | None = None, latency: float = 0.0) -> None:
        self.clock = clock or Clock()
        self.latency = latency
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[list[Any]] = []
        self.requests: list[EmulatorRequest] = []
        """Every request received, for tests that count calls."""
        self.revision = 0
        """Bumped by every request that may change the store (and by :meth:`changed`), so
        answers kept for a query (:class:`~storebridge.sandbox.paging.Listings`) go stale."""
        self.webhooks: WebhookHub | None = None
        """Where the platform's webhooks go out (:mod:`storebridge.sandbox.webhooks`);
        None for an emulator that sends none."""

    def changed(self) -> None:
        """Say the store changed outside a request (a test helper editing records)."""
        with self.lock:
            self.revision += 1

    # Routing --------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append([fault, fault.times])

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _take_fault(self, request: EmulatorRequest) -> Fault | None:
        with self.lock:
            for entry in self._faults:
                fault, left = entry
                if left <= 0:
                    continue
                if fault.method and fault.method.upper() != request.method:
                    continue
                if not re.search(fault.path, request.path):
                    continue
                entry[1] -= 1
                return fault  # type: ignore[no-any-return]
        return None

    def not_found(self, request: EmulatorRequest) -> _http.Response:
        """Answer for an unknown route; platforms override for their error shape."""
        return json_response(404, {"detail": "Not found."})

    def error_response(self, problem: HTTPProblem) -> _http.Response:
        if problem.raw is not None:
            return _http.Response(problem.status, content=problem.raw, headers=problem.headers)
        if problem.body is None:
            return _http.Response(problem.status, content=b"", headers=problem.headers)
        return json_response(problem.status, problem.body, problem.headers)

    def decorate(self, request: EmulatorRequest, response: _http.Response) -> _http.Response:
        """Hook to add headers every response carries (trace ids...)."""
        return response

    def handle(self, request: _http.Request) -> _http.Response:
        """Answer one request, as the platform would: dated by the emulator's clock, as an
        HTTP server dates its answers (``Date``), so a client can tell a stale one."""
        response = self._handle(request)
        if "date" not in response.headers:
            response.headers["Date"] = format_datetime(self.clock.utcnow(), usegmt=True)
        return response

    def _handle(self, request: _http.Request) -> _http.Response:
        if self.latency:
            time.sleep(self.latency)
        req = EmulatorRequest(
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=request.read(),
        )
        fault = self._take_fault(req)
        if fault is not None and fault.kind == "drop_before":
            raise DropConnection()
        if fault is not None and fault.kind == "status":
            return self.decorate(
                req, json_response(fault.status, {"detail": "injected fault"}, fault.headers)
            )
        with self.lock:
            self.requests.append(req)
            try:
                response = self._dispatch(req)
            finally:
                if req.method not in SAFE_METHODS:
                    self.revision += 1
            if self.webhooks is not None and req.method not in SAFE_METHODS:
                # Under the lock: the event carries the record as this write left it.
                self.webhooks.observe(req.method, req.url, response)
        if fault is not None and fault.kind == "drop_after":
            raise DropConnection()
        return self.decorate(req, response)

    def _dispatch(self, req: EmulatorRequest) -> _http.Response:
        allowed: list[str] = []
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if not match:
                continue
            if method != req.method:
                allowed.append(method)
                continue
            req.params = {k: v for k, v in match.groupdict().items() if v is not None}
            try:
                return handler(req)
            except HTTPProblem as problem:
                return self.error_response(problem)
        if allowed:
            return self.error_response(
                HTTPProblem(405, {"detail": f'Method "{req.method}" not allowed.'})
            )
        return self.not_found(req)

    # Ways to reach it ----------------------------------------------------------------
    def transport(self) -> _http.MockTransport:
        """An in-process transport for sync and async clients (no sockets)."""

        def handler(request: _http.Request) -> _http.Response:
            try:
                return self.handle(request)
            except DropConnection:
                raise _http.TransportError("connection closed without a response") from None

        return _http.MockTransport(handler)

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve on ``127.0.0.1:port`` (0 picks a free port); yields the base URL."""
        from storebridge.sandbox.server import LoopbackServer

        server = LoopbackServer(self, port)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()
