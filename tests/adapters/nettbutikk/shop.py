"""Shared helpers for the 24Nettbutikk tests: a seeded emulator and stores on it in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import storebridge
from storebridge import _http
from storebridge.http import BaseTransport
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge.testing import FakeTime
from storebridge_24nettbutikk import NettbutikkAdapter, NettbutikkEmulator

TOKEN = "test-24nb-token-3c7d1e"
SHOP = "https://shop.24nettbutikk.test"
START = datetime(2026, 6, 1, tzinfo=UTC)


def emulator(
    *, orders: int = 9, customers: int = 4, products: int = 5, seed: int = 11, **options: Any
) -> NettbutikkEmulator:
    """A seeded shop on a fake clock (no server-side rate limit unless asked for)."""
    size = SandboxSize(
        seed=seed, orders=orders, customers=customers, products=products, clock=FakeClock(START)
    )
    return NettbutikkEmulator(size, token=TOKEN, **options)


def clock_of(shop: NettbutikkEmulator) -> FakeClock:
    """The shop's fake clock (the shops here are built on one)."""
    clock = shop.clock
    assert isinstance(clock, FakeClock)
    return clock


def adapter(**settings: Any) -> NettbutikkAdapter:
    return NettbutikkAdapter.from_settings(base_url=SHOP, token=TOKEN, **settings)


@contextmanager
def store_on(
    shop: NettbutikkEmulator,
    transport: BaseTransport | None = None,
    *,
    in_flight: int | None = None,
    **settings: Any,
) -> Iterator[storebridge.Store]:
    """A store on ``shop`` in-process, on fake time linked to the shop's clock: retries and
    rate limits play out without waiting. ``transport`` wraps the shop's (a fault layer);
    ``in_flight`` fixes how many requests are in flight (1: one page at a time)."""
    clock = shop.clock
    time = FakeTime(emulator_clock=clock if isinstance(clock, FakeClock) else None)
    given = {"base_url": SHOP, "token": TOKEN, **settings}
    with storebridge.connect(
        "24nettbutikk",
        transport=transport or shop.transport(),
        options=time.options(max_concurrency=in_flight),
        **given,
    ) as store:
        yield store


def list_paths(shop: NettbutikkEmulator, resource: str = "orders") -> list[str]:
    """The list requests the shop received (path after ``/api/v1/{resource}``), in order."""
    prefix = f"/api/v1/{resource}/"
    found = []
    for request in shop.requests:
        rest = request.path[len(prefix) :] if request.path.startswith(prefix) else None
        if request.method == "GET" and rest is not None and rest.count("/") >= 1:
            found.append(rest)
    return found


def responder(
    shop: NettbutikkEmulator, a: NettbutikkAdapter
) -> Callable[[_http.Request], _http.Response]:
    """Answers from ``shop`` with ``a``'s credentials on each request (for ``kit.drive``)."""
    transport = shop.transport()

    def respond(request: _http.Request) -> _http.Response:
        flow = a.auth.sync_auth_flow(request)
        response = transport.handle_request(next(flow))
        response.read()
        return response

    return respond
