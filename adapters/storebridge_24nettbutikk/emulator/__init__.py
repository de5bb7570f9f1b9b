"""A 24Nettbutikk shop emulator for tests, the CLI, the demo and benchmarks.

``NettbutikkEmulator(size, **options)`` with a :class:`~storebridge.sandbox.SandboxSize` and
:class:`EmulatorOptions` fields as keywords; ``NettbutikkAdapter.sandbox(...)`` builds one.
"""

from storebridge_24nettbutikk.emulator.app import NettbutikkEmulator
from storebridge_24nettbutikk.emulator.options import EmulatorOptions

__all__ = ["EmulatorOptions", "NettbutikkEmulator"]
