"""A 24Nettbutikk token pasted with a space or a line end around it is still the token:
it became part of the Basic user name, and the shop's 401 blamed the token itself."""

from __future__ import annotations

import pytest

import storebridge
from storebridge.errors import ConfigurationError
from storebridge.registry import adapter_class
from tests.support.fakes import FakeTime


@pytest.mark.parametrize("padding", [" ", "\t", "\n"])
def test_a_token_with_whitespace_around_it_reads_the_shop(padding: str) -> None:
    kit = adapter_class("24nettbutikk").sandbox(seed=1, orders=3, rate_limit=None)
    settings = kit.settings("https://shop.example")
    settings["token"] = f"{padding}{settings['token']}{padding}"
    fast = FakeTime().options()  # the shop's pace, without its real waits
    with storebridge.connect(
        "24nettbutikk", transport=kit.emulator.transport(), options=fast, **settings
    ) as store:
        assert len(list(store.orders.list())) == 3


def test_a_token_with_a_space_inside_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigurationError) as info:
        storebridge.connect("24nettbutikk", base_url="https://shop.example", token="ab cd")
    assert info.value.setting == "token"
    assert "ab cd" not in str(info.value)  # a secret is never shown
