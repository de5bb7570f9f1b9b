"""Helpers for the SHOPLINE tests: a sandbox on a fake clock that sleeping advances."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs

import storebridge
from storebridge import RetryPolicy, StorebridgeError, StoreOptions
from storebridge.http import Request, Response
from storebridge.sandbox import FakeClock
from storebridge.testing import FaultTransport
from storebridge_shopline import DEFAULT_VERSION, ShoplineAdapter, ShoplineEmulator

ROOT = "https://acme.myshopline.com"
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@attrs.define
class World:
    """One emulator, one fake clock shared by the emulator, the token logic and the facade.

    The facade's rate-limit and retry sleeps advance the clock, so the emulator's leaky
    bucket drains and tokens age exactly as they would in real time, with no waiting.
    """

    emulator: ShoplineEmulator
    clock: FakeClock
    settings: dict[str, Any]
    sleeps: list[float] = attrs.field(factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def options(self, **overrides: Any) -> StoreOptions:
        kwargs: dict[str, Any] = {
            "sleep": self.sleep,
            "async_sleep": self.async_sleep,
            "clock": self.clock.now,
            "rng": random.Random(3),
            "retry": RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0),
        }
        kwargs.update(overrides)
        return StoreOptions(**kwargs)

    def connect(self, **overrides: Any) -> storebridge.Store:
        options = overrides.pop("options", None) or self.options()
        transport = overrides.pop("transport", None) or self.emulator.transport()
        return storebridge.connect(
            "shopline", transport=transport, options=options, **{**self.settings, **overrides}
        )

    def connect_async(self, **overrides: Any) -> storebridge.AsyncStore:
        options = overrides.pop("options", None) or self.options()
        return storebridge.connect_async(
            "shopline",
            transport=self.emulator.transport(),
            options=options,
            **{**self.settings, **overrides},
        )


def world(
    *, orders: int = 12, root: str = ROOT, private_app: bool = False, **options: Any
) -> World:
    clock = FakeClock(START)
    sandbox = ShoplineAdapter.sandbox(
        orders=orders, clock=clock, private_app=private_app, **options
    )
    assert isinstance(sandbox.emulator, ShoplineEmulator)
    return World(emulator=sandbox.emulator, clock=clock, settings=sandbox.settings(root))


def answered_by(w: World, adapter: ShoplineAdapter) -> Callable[[Request], Response]:
    """Answers to ``adapter``'s requests from ``w``'s emulator, its auth applied (to drive
    a flow with no store around it)."""
    transport = w.emulator.transport()

    def respond(request: Request) -> Response:
        assert adapter.auth is not None
        response: Response = transport.handle_request(next(adapter.auth.sync_auth_flow(request)))
        return response

    return respond


def exact_under_faults(w: World, seeds: Iterable[int], rate: float, in_flight: int) -> int:
    """Reads of every order of ``w`` through faults at ``rate`` (one per seed) that came out
    exact; each other read must have raised a storebridge error, never a short listing."""
    everything = Counter(list(w.emulator.orders))
    exact = 0
    for seed in seeds:
        faulty = FaultTransport(w.emulator.transport(), seed=seed, rate=rate)
        try:
            options = w.options(max_concurrency=in_flight)
            with w.connect(transport=faulty, options=options) as store:
                refs = [order.ref for order in store.orders.list()]
        except StorebridgeError:
            continue
        assert faulty.injected
        assert Counter(refs) == everything, faulty.injected
        exact += 1
    return exact


def api_requests(emulator: ShoplineEmulator) -> list[str]:
    """Paths of REST calls the emulator answered (token calls excluded)."""
    return [r.path for r in emulator.requests if "/admin/openapi/" in r.path]


def wire(w: World, method: str, path: str, body: Any = None, **params: str) -> Any:
    """The emulator's JSON answer to ``method path`` (a REST path after the version)."""
    url = f"{ROOT}/admin/openapi/{DEFAULT_VERSION}/{path}"
    headers = {"Authorization": f"Bearer {w.settings['access_token']}"}
    response = w.emulator.handle(Request(method, url, params=params, json=body, headers=headers))
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def paid_order(w: World) -> str:
    return next(k for k, o in w.emulator.orders.items() if o["financial_status"] == "paid")


__all__ = [
    "ROOT",
    "START",
    "World",
    "answered_by",
    "api_requests",
    "exact_under_faults",
    "paid_order",
    "wire",
    "world",
]
