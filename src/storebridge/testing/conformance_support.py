"""What the conformance checks share: a store on fake time over a freshly seeded sandbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storebridge.adapter import Adapter
from storebridge.sandbox.clock import FakeClock
from storebridge.sandbox.kit import Sandbox
from storebridge.store import Store
from storebridge.testing.fake_time import FakeTime

SANDBOX_URL = "https://sandbox.invalid"
"""The address the kit's in-process sandboxes answer at (nothing is sent there)."""
SIZES = {"orders": 23, "customers": 11, "products": 7}
"""What the listing checks seed: odd sizes, so pages of most sizes end short."""


def sandbox_store(
    adapter_cls: type[Adapter],
    sizes: Mapping[str, int],
    wrap: Callable[[Any], Any] | None = None,
) -> tuple[Store, Any, Sandbox]:
    """A store on fake time over ``adapter_cls``'s sandbox seeded with ``sizes`` (seed 3),
    its requests going through ``wrap(the emulator's transport)`` when given; with the
    transport it uses and the sandbox. The sandbox's clock moves with the store's waits."""
    clock = FakeClock()
    sandbox = adapter_cls.sandbox(seed=3, clock=clock, **sizes)
    transport = sandbox.emulator.transport()
    if wrap is not None:
        transport = wrap(transport)
    adapter = adapter_cls.from_settings(**sandbox.settings(SANDBOX_URL))
    options = FakeTime(emulator_clock=clock).options()
    return Store(adapter, options=options, transport=transport), transport, sandbox


__all__ = ["SANDBOX_URL", "SIZES", "sandbox_store"]
