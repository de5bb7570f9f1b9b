"""Fixtures of the migration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import storebridge
from tests.support.toyshop import ToyShopAdapter


@pytest.fixture
def toyshop() -> Iterator[None]:
    """The ToyShop platform registered for the test."""
    storebridge.register_adapter(ToyShopAdapter)
    yield
    storebridge.unregister_adapter("toyshop")
