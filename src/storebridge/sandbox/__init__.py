"""Emulators of commerce platforms, for tests, the demo and benchmarks.

Each adapter package ships an :class:`Emulator` of its platform; this package holds what they
share: routing, fault injection, latency, clocks and serving on a loopback port
(:mod:`~storebridge.sandbox.emulator`, :mod:`~storebridge.sandbox.server`), the guard every
API route passes (:class:`Guard`: credentials, then a server-side rate limit answering 429),
paged answers over sorted indexes (:mod:`~storebridge.sandbox.paging`), and reading JSON
bodies the way a platform refuses them (:mod:`~storebridge.sandbox.bodies`).
"""

from storebridge.sandbox.bodies import (
    BodyRefusals,
    read_json,
    read_member,
    read_object,
)
from storebridge.sandbox.clock import Clock, FakeClock
from storebridge.sandbox.emulator import (
    DropConnection,
    Emulator,
    EmulatorRequest,
    Endpoint,
    Fault,
    HTTPProblem,
    json_response,
)
from storebridge.sandbox.guard import Guard, Throttle, retry_after_seconds
from storebridge.sandbox.kit import Sandbox, SandboxSize, hold_for_serving
from storebridge.sandbox.limits import RateLimiter
from storebridge.sandbox.paging import (
    Listings,
    Page,
    SortedIndex,
    Span,
    keyset_page,
    offset_page,
)
from storebridge.sandbox.problems import unemulated
from storebridge.sandbox.server import LoopbackServer

__all__ = [
    "BodyRefusals",
    "Clock",
    "DropConnection",
    "Emulator",
    "EmulatorRequest",
    "Endpoint",
    "FakeClock",
    "Fault",
    "Guard",
    "HTTPProblem",
    "Listings",
    "LoopbackServer",
    "Page",
    "RateLimiter",
    "Sandbox",
    "SandboxSize",
    "SortedIndex",
    "Span",
    "Throttle",
    "hold_for_serving",
    "json_response",
    "keyset_page",
    "offset_page",
    "read_json",
    "read_member",
    "read_object",
    "retry_after_seconds",
    "unemulated",
]
