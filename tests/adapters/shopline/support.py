"""Helpers for the SHOPLINE tests: a sandbox on a fake clock that sleeping advances."""

from __future__ import annotations

import json
import random
from typing import Any

import attrs

import storebridge
from storebridge import RetryPolicy, StoreOptions
from storebridge.http import Request
from storebridge.sandbox import FakeClock
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


__all__ = ["ROOT", "START", "World", "api_requests", "paid_order", "wire", "world"]
