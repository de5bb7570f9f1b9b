"""What an adapter hands out to run against its emulator (CLI, demo, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from storebridge.sandbox.clock import Clock
from storebridge.sandbox.emulator import Emulator


@attrs.frozen(kw_only=True)
class SandboxSize:
    """What every emulator is asked for: how much seeded data, how fast, on which clock.

    ``customers`` / ``products`` of None mean a size proportional to ``orders``.
    """

    seed: int = 1
    orders: int = 25
    customers: int | None = None
    products: int | None = None
    latency: float = 0.0
    clock: Clock | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """The fields as keyword arguments, for emulator constructors that take them."""
        return attrs.asdict(self, recurse=False)


@attrs.define
class Sandbox:
    """An emulator plus how to connect to it.

    ``settings(base_url)`` returns the keyword arguments for :func:`storebridge.connect`
    that reach this emulator at ``base_url`` (the loopback URL, or any URL when used
    in-process through ``emulator.transport()``).
    """

    platform: str
    emulator: Emulator
    settings: Callable[[str], dict[str, Any]]
