"""A large body is parsed without the cyclic collector running during the parse, and the
collector is left as the application had it (enabled or disabled), errors included."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from storebridge._json import PAUSE_FROM, parse_json
from storebridge.errors import PayloadError

# Some 3,000 orders' worth of nested objects: far more new containers than one generation
# holds, so an unpaused parse sets off collections.
ORDERS = [
    {"id": str(i), "lines": [{"sku": f"S-{i}", "price": {"amount": "1"}}]} for i in range(3000)
]
PAGE = orjson.dumps({"orders": ORDERS})
del ORDERS


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """Collections that start while the test runs, by generation."""
    started: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.collect()  # a clean slate: no collection is due when the test starts
    gc.callbacks.append(seen)
    try:
        yield started
    finally:
        gc.callbacks.remove(seen)


def test_a_large_body_is_parsed_without_a_collection(collections: list[int]) -> None:
    assert len(PAGE) >= PAUSE_FROM
    assert gc.isenabled()
    value = parse_json(PAGE)
    during = len(collections)  # read before anything allocates: the next allocation collects
    assert during == 0
    assert gc.isenabled()
    assert len(value["orders"]) == 3000


def test_the_same_parse_unpaused_does_collect(collections: list[int]) -> None:
    # What the pause saves: orjson alone, same body, collector enabled.
    orjson.loads(PAGE)
    assert collections


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        parse_json(PAGE)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_enabled_again_when_the_body_is_not_json() -> None:
    broken = PAGE[: len(PAGE) // 2]
    with pytest.raises(PayloadError, match="not valid JSON") as caught:
        parse_json(broken, platform="shopline")
    assert caught.value.path == "$"
    assert gc.isenabled()
