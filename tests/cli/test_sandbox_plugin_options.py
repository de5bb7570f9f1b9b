"""``storebridge sandbox serve`` of a plugin whose sandbox takes none of the CLI's options:
one error line naming the plugin's sandbox and the option, not a crash report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import storebridge
from storebridge.sandbox import Sandbox, SandboxSize
from tests.cli.conftest import Cli
from tests.support.toyshop import ToyShopAdapter, ToyShopEmulator


class PlainEmulator(ToyShopEmulator):
    """An emulator whose constructor takes the size and nothing else, as a plugin's may."""

    def __init__(self, size: SandboxSize) -> None:
        super().__init__(clock=size.clock)


class PluginAdapter(ToyShopAdapter):
    name = "plugin-shop"

    @classmethod
    def build_sandbox(cls, size: SandboxSize, **options: Any) -> Sandbox:
        emulator = PlainEmulator(size, **options)
        return Sandbox(cls.name, emulator, lambda url: {"base_url": url, "token": emulator.token})


class NoOptionsAdapter(ToyShopAdapter):
    """A plugin whose ``build_sandbox`` itself takes no options."""

    name = "bare-shop"

    @classmethod
    def build_sandbox(cls, size: SandboxSize) -> Sandbox:  # type: ignore[override]
        emulator = PlainEmulator(size)
        return Sandbox(cls.name, emulator, lambda url: {"base_url": url, "token": emulator.token})


@pytest.fixture(autouse=True)
def plugins() -> Iterator[None]:
    storebridge.register_adapter(PluginAdapter)
    storebridge.register_adapter(NoOptionsAdapter)
    yield
    storebridge.unregister_adapter(PluginAdapter.name)
    storebridge.unregister_adapter(NoOptionsAdapter.name)


@pytest.mark.parametrize("platform", ["plugin-shop", "bare-shop"])
@pytest.mark.parametrize(
    ("args", "first_line", "hint"),
    [
        (
            ["--rate-limit", "50"],
            "error: the {platform} sandbox has no --rate-limit option",
            "leave out --rate-limit",
        ),
        (
            ["--currency", "NOK"],
            "error: the {platform} sandbox has no --currency option: its store uses one "
            "fixed currency",
            "leave out --currency",
        ),
        (
            ["--webhook-duplicates"],
            "error: the {platform} sandbox sends no webhooks",
            "leave out --webhook-attempts/--webhook-duplicates",
        ),
    ],
)
def test_an_option_the_plugin_sandbox_does_not_take_is_one_error_line(
    cli: Cli, platform: str, args: list[str], first_line: str, hint: str
) -> None:
    code, out, err = cli("sandbox", "serve", platform, "--orders", "0", *args)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == first_line.format(platform=platform), err
    assert hint in err and "TypeError" not in err and "bug" not in err, err
