"""What an adapter hands out to run against its emulator (CLI, demo, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from storebridge.sandbox.emulator import Emulator


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
