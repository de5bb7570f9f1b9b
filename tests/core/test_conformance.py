"""Every installed adapter passes the conformance kit against its own sandbox."""

from __future__ import annotations

import pytest

import storebridge
from storebridge.registry import adapter_class
from storebridge.testing.conformance import check_adapter
from tests.support.toyshop import ToyShopAdapter

BUILTIN = ["24nettbutikk", "29next", "shopline"]


@pytest.mark.parametrize("platform", BUILTIN)
def test_builtin_adapter_conforms(platform: str) -> None:
    counts = check_adapter(adapter_class(platform))
    assert counts.get("orders", 0) > 0


def test_kit_catches_a_broken_adapter() -> None:
    class Broken(ToyShopAdapter):
        name = "broken"

        @classmethod
        def build_sandbox(
            cls, size: storebridge.sandbox.SandboxSize, **options: object
        ) -> storebridge.sandbox.Sandbox:
            from tests.support.toyshop import ToyShopEmulator

            emu = ToyShopEmulator()
            emu.seed()
            # The platform tag in every record says "toyshop", not "broken".
            return storebridge.sandbox.Sandbox(
                "broken", emu, lambda url: {"base_url": url, "token": emu.token}
            )

    with pytest.raises(AssertionError, match="platform"):
        check_adapter(Broken)
