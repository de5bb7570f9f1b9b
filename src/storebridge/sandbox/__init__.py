"""Emulators of commerce platforms, for tests, the demo and benchmarks.

Each adapter package ships an :class:`Emulator` of its platform; this package holds what they
share: routing, fault injection, latency, server-side rate limits, clocks, and serving on a
loopback port.
"""

from storebridge.sandbox.clock import Clock, FakeClock
from storebridge.sandbox.emulator import (
    DropConnection,
    Emulator,
    EmulatorRequest,
    Fault,
    HTTPProblem,
    json_response,
)
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge.sandbox.limits import LeakyBucket
from storebridge.sandbox.server import LoopbackServer

__all__ = [
    "Clock",
    "DropConnection",
    "Emulator",
    "EmulatorRequest",
    "FakeClock",
    "Fault",
    "HTTPProblem",
    "LeakyBucket",
    "LoopbackServer",
    "Sandbox",
    "SandboxSize",
    "json_response",
]
