"""What an adapter hands out to run against its emulator (CLI, demo, tests, benchmarks)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from storebridge.errors import ConfigurationError
from storebridge.sandbox.clock import Clock
from storebridge.sandbox.emulator import Emulator

__all__ = ["LARGE_STORE", "Sandbox", "SandboxSize", "build_options", "hold_for_serving", "seeding"]


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


Options = TypeVar("Options", bound=attrs.AttrsInstance)


def build_options(cls: type[Options], given: Mapping[str, Any], platform: str) -> Options:
    """A platform's options class from ``sandbox(**options)`` / emulator keywords.

    An unknown name or a refused value is a :class:`~storebridge.errors.ConfigurationError`
    naming the option and what is accepted, never a bare TypeError.
    """
    known = sorted(field.alias for field in attrs.fields(cls))
    for name in given:
        if name not in known:
            raise ConfigurationError(
                f"the {platform} sandbox has no option {name!r}; "
                f"it takes {', '.join(known)} (and the size: seed, orders, customers, "
                "products, latency, clock)",
                setting=name,
            )
    try:
        return cls(**given)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{platform} sandbox option: {exc}") from None


LARGE_STORE = 10_000
"""Orders from which seeding ends with a full garbage collection (see :func:`seeding`)."""


@contextmanager
def seeding(orders: int = 0) -> Iterator[None]:
    """Run a store's seeding with the cyclic garbage collector paused.

    Seeding allocates hundreds of thousands of long-lived records and no garbage cycles;
    the collector's repeated passes over them would cost as much as the seeding itself
    (reference counting still frees everything as usual). A large store (``orders`` from
    :data:`LARGE_STORE`) ends with one full collection, which leaves the records in the
    oldest generation. Without it the collector walks them anyway: once as soon as it is
    back on (the young generation holds them all), then again as they move up through
    the generations, in whichever requests come next (at 100,000 orders: one pass of
    0.7-1.1 s here, against 0.4-0.7 s at once and then pauses of 0.8-1.4 s in the first
    requests).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            if orders >= LARGE_STORE:
                gc.collect()


def hold_for_serving() -> None:
    """In a process that only serves sandboxes: take what is alive now (the seeded
    stores) out of the garbage collector's passes, for the rest of the process.

    A full collection walks every object alive; with a few thousand seeded orders it holds
    the server for a fifth of a second (176 ms serving a 5,000-order SHOPLINE store, a
    5,500-order 24Nettbutikk one and a 500-order 29 Next one). Requests that arrive
    meanwhile reach the rate limit together, so a client keeping to the limit is refused
    (7 requests of one benchmark export); with the stores held, none were, in 5 exports.
    Held objects are still freed by reference counting; cycles among them stay until the
    process ends. Call it once the stores are seeded, and not in a process that does
    other work too (a test run, an application): it changes the whole process.
    """
    gc.collect()
    gc.freeze()
