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


def test_a_setting_sent_in_a_non_credential_header_is_not_taken_for_a_credential() -> None:
    # 29 Next sends api_version as X-29next-API-Version: a setting, not a secret.
    from storebridge.sandbox.kit import Sandbox
    from storebridge.testing.conformance_secrets import check_credentials
    from storebridge_29next import TwentyNineNextAdapter

    kit = TwentyNineNextAdapter.sandbox(seed=3, orders=2)
    pinned = Sandbox(
        platform=kit.platform,
        emulator=kit.emulator,
        settings=lambda url: {**kit.settings(url), "api_version": "2024-04-01"},
    )
    assert check_credentials(TwentyNineNextAdapter, pinned, "https://sandbox.invalid") == [
        "access_token"
    ]
