"""Fleets of sandbox stores for the fleet tests: emulators on loopback or in-process, and a
profile file naming them, with their secrets in the environment."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest

import storebridge
from storebridge.cli.profile_toml import profile_lines, secret_settings
from storebridge.fleet import StoreSpec
from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox
from tests.support.limits import SETTINGS, raise_declared_limits

PLATFORMS = ("29next", "shopline", "24nettbutikk")

# Server-side limits off: the tests check what is read, not pacing (no real sleeping).
UNLIMITED: dict[str, dict[str, Any]] = {
    "29next": {"rate_limit": None}, "shopline": {"rate_limit": False},
    "24nettbutikk": {"rate_limit": None},
}  # fmt: skip
FAST = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
"""Client options matching the unlimited sandboxes."""


@attrs.define
class FleetSandboxes:
    """The sandboxes of a test fleet by store name, and the profile file reaching them."""

    kits: dict[str, Sandbox]
    config: Path
    urls: dict[str, str] = attrs.field(factory=dict)

    def connect(self, name: str) -> storebridge.Store:
        """A plain Store on ``name``'s sandbox (to read what the fleet should have read)."""
        kit = self.kits[name]
        return storebridge.connect(kit.platform, options=FAST, **kit.settings(self.urls[name]))


def layout(count: int, orders: int = 12) -> list[tuple[str, str, dict[str, Any]]]:
    """``count`` stores cycling over the three platforms, each with its own seed."""
    return [
        (f"{PLATFORMS[i % 3]}-{i}", PLATFORMS[i % 3], {"seed": 100 + i, "orders": orders + i})
        for i in range(count)
    ]


def build(platform: str, size: dict[str, Any]) -> Sandbox:
    return adapter_class(platform).sandbox(**size, **UNLIMITED[platform])


@contextmanager
def served_fleet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stores: Sequence[tuple[str, str, dict[str, Any]]],
    tags: dict[str, list[str]] | None = None,
) -> Iterator[FleetSandboxes]:
    """Serve each store's sandbox on 127.0.0.1 and write ``storebridge.toml`` for them."""
    config = tmp_path / "storebridge.toml"
    kits: dict[str, Sandbox] = {}
    urls: dict[str, str] = {}
    text: list[str] = []
    with ExitStack() as stack:
        # The command line reads these profiles: stores keep to raised limits (see there).
        raise_declared_limits(monkeypatch)
        for name, platform, size in stores:
            kit = build(platform, size)
            url = stack.enter_context(kit.emulator.serve())
            kits[name], urls[name] = kit, url
            settings = {**kit.settings(url), **SETTINGS.get(platform, {})}
            lines, env = profile_lines(
                name, platform, settings, secret_settings(adapter_class(platform))
            )
            if tags and name in tags:
                lines.insert(2, f"tags = {tags[name]!r}".replace("'", '"'))
            text.extend([*lines, ""])
            for variable, value in env.items():
                monkeypatch.setenv(variable, value)
        config.write_text("\n".join(text), "utf-8")
        yield FleetSandboxes(kits=kits, config=config, urls=urls)


def in_process_specs(
    stores: Sequence[tuple[str, str, dict[str, Any]]],
) -> tuple[list[StoreSpec], dict[str, Sandbox]]:
    """Specs reaching in-process sandboxes (no sockets), and the sandboxes by name."""
    specs, kits = [], {}
    for name, platform, size in stores:
        kit = build(platform, size)
        kits[name] = kit
        settings = kit.settings(f"https://{name}.example")
        transport = kit.emulator.transport()
        specs.append(StoreSpec(name, platform=platform, settings=settings, transport=transport))
    return specs, kits
