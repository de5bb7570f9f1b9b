"""An emulator of the 29 Next Admin API, for tests, the demo and benchmarks.

``TwentyNineNextEmulator(size, **options)`` with a :class:`~storebridge.sandbox.SandboxSize`
and :class:`TwentyNineNextOptions` fields as keywords. In-process: ``emulator.transport()``;
on a loopback port: ``with emulator.serve(port) as url`` or
``python -m storebridge_29next.emulator --port 8029 --orders 100``.
"""

from storebridge_29next.emulator.app import DEFAULT_TOKEN, VERSIONS, TwentyNineNextEmulator
from storebridge_29next.emulator.options import TwentyNineNextOptions

__all__ = ["DEFAULT_TOKEN", "VERSIONS", "TwentyNineNextEmulator", "TwentyNineNextOptions"]
