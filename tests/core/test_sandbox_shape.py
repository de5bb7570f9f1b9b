"""Every platform's emulator has one options style taking the core's SandboxSize, the core's
guard, and refusals of unknown options that say what is accepted (the module layout is
tests/adapters/test_shape.py's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from storebridge import ConfigurationError
from storebridge.registry import adapter_class
from storebridge.sandbox import Emulator, FakeClock, Guard, SandboxSize

PACKAGES = {
    "29next": "storebridge_29next.emulator",
    "shopline": "storebridge_shopline.emulator",
    "24nettbutikk": "storebridge_24nettbutikk.emulator",
}
NO_LIMIT = {"29next": None, "shopline": False, "24nettbutikk": None}


@pytest.mark.parametrize("platform", sorted(PACKAGES))
def test_one_options_style_through_build_sandbox(platform: str) -> None:
    clock = FakeClock(1_767_225_600)
    size = SandboxSize(seed=3, orders=4, customers=2, products=3, latency=0.0, clock=clock)
    kit = adapter_class(platform).build_sandbox(size, rate_limit=NO_LIMIT[platform])
    emulator = kit.emulator
    assert isinstance(emulator, Emulator) and emulator.clock is clock
    options = emulator.options  # type: ignore[attr-defined]
    assert attrs.has(type(options))
    assert options.rate_limit is NO_LIMIT[platform]
    assert isinstance(emulator.guard, Guard)  # type: ignore[attr-defined]
    # Each platform's emulator class takes (size, **options); the base class declares neither.
    platform_class: Callable[..., Emulator] = type(emulator)
    same = platform_class(size, rate_limit=NO_LIMIT[platform])
    assert same.options == options  # type: ignore[attr-defined]


@pytest.mark.parametrize("platform", sorted(PACKAGES))
def test_unknown_or_bad_options_name_the_option(platform: str) -> None:
    with pytest.raises(ConfigurationError) as unknown:
        adapter_class(platform).sandbox(orders=1, page_sise=5)
    assert unknown.value.setting == "page_sise"
    assert "page_sise" in str(unknown.value) and "rate_limit" in str(unknown.value)


@pytest.mark.parametrize(
    ("platform", "option"),
    [("29next", {"default_version": "1999-01-01"}), ("24nettbutikk", {"sort": "random"})],
)
def test_refused_option_values_are_configuration_errors(
    platform: str, option: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(option))):
        adapter_class(platform).sandbox(orders=1, **option)
