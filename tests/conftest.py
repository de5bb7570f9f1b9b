"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import storebridge
from tests.support.toy import ToyAdapter


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def toy_registered() -> Iterator[None]:
    storebridge.register_adapter(ToyAdapter)
    yield
    storebridge.unregister_adapter("toy")
