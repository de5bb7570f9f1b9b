"""Every installed adapter passes the conformance kit against its own sandbox."""

from __future__ import annotations

from typing import Any

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


def _cancelling_the_next(report: str) -> type:
    """A 29 Next adapter whose cancel cancels the order below the one asked for; it reports
    that one (``report="cancelled"``) or the one asked for (``"asked"``)."""
    from storebridge.flow import Flow
    from storebridge.model import Order
    from storebridge_29next import TwentyNineNextAdapter

    class OffByOne(TwentyNineNextAdapter):
        def cancel_order(self, ref: str, **kw: Any) -> Flow[Order]:
            other = str(int(ref) - 1)
            cancelled = yield from super().cancel_order(other, **kw)
            if report == "cancelled":
                return cancelled
            asked: Order = yield from super().get_order(ref)
            return asked

    return OffByOne


@pytest.mark.parametrize(
    ("report", "says"),
    [("cancelled", r"answered with another order"), ("asked", r"reads open afterwards")],
)
def test_a_cancel_of_the_wrong_order_is_caught(report: str, says: str) -> None:
    from storebridge.testing.conformance_cancel import check_cancel

    with pytest.raises(AssertionError, match=says):
        check_cancel(_cancelling_the_next(report))


def test_the_built_in_cancels_pass() -> None:
    from storebridge.testing.conformance_cancel import check_cancel

    assert check_cancel(adapter_class("29next")) is not None
    assert check_cancel(adapter_class("shopline")) is not None
    assert check_cancel(adapter_class("24nettbutikk")) is None  # it cannot cancel
