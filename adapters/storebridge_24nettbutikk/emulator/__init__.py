"""A 24Nettbutikk shop emulator for tests, the CLI, the demo and benchmarks."""

from storebridge_24nettbutikk.emulator._emulator import NettbutikkEmulator
from storebridge_24nettbutikk.emulator._options import EmulatorOptions

__all__ = ["EmulatorOptions", "NettbutikkEmulator"]
