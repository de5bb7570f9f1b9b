"""storebridge adapter for Example Commerce, a fictional platform.

Installing this package registers the adapter under the entry-point name ``example``::

    store = storebridge.connect("example", base_url="https://acme.example-commerce.test",
                                token=TOKEN)
"""

from storebridge_example.adapter import ExampleAdapter, ExampleSettings
from storebridge_example.emulator import ExampleEmulator, SandboxOptions

__all__ = ["ExampleAdapter", "ExampleEmulator", "ExampleSettings", "SandboxOptions"]
