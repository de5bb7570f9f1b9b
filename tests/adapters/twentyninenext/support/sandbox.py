"""A fast in-process 29 Next sandbox for behaviour tests (no spec checks): fake time, a fixed
number of requests in flight, and transports that misbehave on cue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

import storebridge
from storebridge import http
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime
from storebridge_29next import TwentyNineNextAdapter, TwentyNineNextEmulator

BASE = "https://acme.29next.store"

Rewrite = Callable[[http.Request, Any, int], Any]
"""``(request, parsed answer, n-th matching request) -> answer to send instead`` (or the
same object to leave it)."""


class Sandbox:
    """A seeded emulator on fake time, and stores connected to it."""

    def __init__(self, orders: int = 60, *, seed: int = 3, **options: Any) -> None:
        self.clock = FakeClock()
        self.time = FakeTime(emulator_clock=self.clock)
        options.setdefault("rate_limit", None)
        kit = TwentyNineNextAdapter.sandbox(seed=seed, orders=orders, clock=self.clock, **options)
        emulator = kit.emulator
        assert isinstance(emulator, TwentyNineNextEmulator)
        self.emulator = emulator
        # Day windows on: these tests read them (the sandbox lists orders in date order);
        # stores leave them off unless told (see test_back_dated_orders).
        self.settings = {**kit.settings(BASE), "day_windows": True}

    def connect(
        self, transport: Any = None, *, in_flight: int = 2, **settings: Any
    ) -> storebridge.Store:
        """A store; ``in_flight`` fixes the requests in flight (4 and more read day windows,
        which ``day_windows=False`` turns off)."""
        return storebridge.connect(
            "29next",
            transport=transport if transport is not None else self.emulator.transport(),
            options=self.time.options(max_concurrency=in_flight),
            **{**self.settings, **settings},
        )

    def writes(self) -> list[str]:
        """``METHOD path`` of every write the emulator received."""
        return [f"{r.method} {r.path}" for r in self.emulator.requests if r.method != "GET"]


class Rewriting(http.BaseTransport):
    """``inner`` with the JSON answers of requests ``matches`` accepts passed through
    ``rewrite`` (the n-th matching request gets ``n``, from 1)."""

    def __init__(
        self, inner: Any, matches: Callable[[http.Request], bool], rewrite: Rewrite
    ) -> None:
        self.inner = inner
        self.matches = matches
        self.rewrite = rewrite
        self.seen = 0
        self.requests: list[http.Request] = []

    def handle_request(self, request: http.Request) -> http.Response:
        self.requests.append(request)
        response: http.Response = self.inner.handle_request(request)
        response.read()
        if not self.matches(request) or response.status_code != 200:
            return response
        self.seen += 1
        body = self.rewrite(request, orjson.loads(response.content), self.seen)
        return http.Response(
            200,
            content=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            request=request,
        )


class Refusing(http.BaseTransport):
    """A transport that must never be called: input checks come before any request."""

    def __init__(self) -> None:
        self.calls: list[http.Request] = []

    def handle_request(self, request: http.Request) -> http.Response:
        self.calls.append(request)
        raise AssertionError(f"a request was sent: {request.method} {request.url}")
