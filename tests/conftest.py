"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
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


@pytest.fixture(autouse=True, scope="session")
def _dlt_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dlt keeps pipeline state under ~/.dlt (/var/dlt for root) unless told otherwise: a
    folder per test session keeps the suite off the user's own pipelines, and parallel
    workers off each other's."""
    saved = os.environ.get("DLT_DATA_DIR")
    os.environ["DLT_DATA_DIR"] = str(tmp_path_factory.mktemp("dlt"))
    yield
    if saved is None:
        os.environ.pop("DLT_DATA_DIR", None)
    else:
        os.environ["DLT_DATA_DIR"] = saved
