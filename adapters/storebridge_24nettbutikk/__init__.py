"""24Nettbutikk adapter for storebridge.

``storebridge.connect("24nettbutikk", base_url="https://shop.example", token=TOKEN)``.
See docs/platforms/24nettbutikk.md for settings, request costs and deviations.
"""

from storebridge_24nettbutikk._adapter import NettbutikkAdapter
from storebridge_24nettbutikk._converter import make_converter
from storebridge_24nettbutikk._settings import NettbutikkSettings
from storebridge_24nettbutikk.emulator import EmulatorOptions, NettbutikkEmulator

__all__ = [
    "EmulatorOptions",
    "NettbutikkAdapter",
    "NettbutikkEmulator",
    "NettbutikkSettings",
    "make_converter",
]
