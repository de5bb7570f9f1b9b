"""Mistakes a user makes in Python get a StorebridgeError naming what to fix, not a bare
TypeError from deep inside or a ModuleNotFoundError for a package they never heard of."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

import storebridge
from storebridge.errors import (
    ConfigurationError,
    StorebridgeError,
    StoreClosed,
    ValidationError,
)
from storebridge.model import Money
from storebridge.registry import adapter_class


@pytest.mark.parametrize("size", ["10", 2.5, True])
def test_a_page_size_that_is_not_a_whole_number_names_the_argument(size: object) -> None:
    kit = adapter_class("29next").sandbox(orders=2)
    settings = kit.settings("https://shop.example")
    with storebridge.connect("29next", transport=kit.emulator.transport(), **settings) as store:
        with pytest.raises(ValidationError, match="page_size must be a whole number") as caught:
            list(store.orders.list(page_size=size))  # type: ignore[arg-type]
    assert caught.value.field == "page_size"


def test_money_of_two_currencies_is_a_storebridge_error_and_a_value_error() -> None:
    with pytest.raises(ValidationError, match="cannot add USD and EUR") as caught:
        Money("1", "USD") + Money("1", "EUR")
    assert isinstance(caught.value, ValueError)  # as Money's docstring has always said


def test_serving_webhooks_without_the_extra_says_which_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storebridge import webhooks

    monkeypatch.delitem(sys.modules, "storebridge.webhooks._asgi", raising=False)
    for name in [m for m in sys.modules if m.split(".")[0] in ("starlette", "uvicorn")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if they were not installed
    monkeypatch.setitem(sys.modules, "starlette", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'storebridge\[webhooks\]'"):
        webhooks.asgi_app({})
    with pytest.raises(StorebridgeError, match=r"\(starlette[.a-z]* is missing\)"):
        webhooks.serve(object())


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: storebridge.StoreOptions(timeout="10"), "timeout"),  # type: ignore[arg-type]
        (lambda: storebridge.StoreOptions(timeout=-1), "timeout"),
        (lambda: storebridge.StoreOptions(rate_limit=(5, 5)), "rate_limit"),  # type: ignore[arg-type]
        (lambda: storebridge.StoreOptions(retry=3), "retry"),  # type: ignore[arg-type]
        (lambda: storebridge.StoreOptions(max_concurrency=0), "max_concurrency"),
        (lambda: storebridge.RetryPolicy(max_attempts=0), "max_attempts"),
        (lambda: storebridge.RetryPolicy(jitter=2), "jitter"),
        (lambda: storebridge.RetryPolicy(base_delay=float("nan")), "base_delay"),
        (lambda: storebridge.RateLimit(per_second=0), "rate_limit"),
        (lambda: storebridge.RateLimit(per_second="5"), "rate_limit"),  # type: ignore[arg-type]
        (lambda: storebridge.RateLimit(per_second=5, burst=0), "rate_limit"),
    ],
)
def test_a_bad_option_is_refused_when_made_naming_it(make: Any, field: str) -> None:
    # They failed at the first request, as a TypeError about the HTTP client's Timeout or
    # an AttributeError on a tuple, or never (max_attempts=0 sent nothing and said so late).
    with pytest.raises(ValidationError, match=field.replace("_", "[ _]")) as caught:
        make()
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_a_closed_store_says_so_sync_and_async() -> None:
    kit = adapter_class("29next").sandbox(orders=2)
    settings = kit.settings("https://shop.example")
    store = storebridge.connect("29next", transport=kit.emulator.transport(), **settings)
    store.close()
    with pytest.raises(StoreClosed, match="connect again") as caught:
        store.orders.get("100001")
    assert isinstance(caught.value, RuntimeError)

    async def closed_async() -> None:
        store = storebridge.connect_async("29next", **settings)
        async with store:
            pass
        with pytest.raises(StoreClosed, match="connect again"):
            await store.orders.get("100001")

    asyncio.run(closed_async())


def test_a_store_made_with_options_of_a_closed_one_says_it_is_closed() -> None:
    # It shares its parent's client: closed under it, the sync one raised the HTTP
    # client's own RuntimeError where the async one raised StoreClosed.
    kit = adapter_class("29next").sandbox(orders=2)
    settings = kit.settings("https://shop.example")
    parent = storebridge.connect("29next", transport=kit.emulator.transport(), **settings)
    derived = parent.with_options(timeout=5)
    parent.close()
    with pytest.raises(StoreClosed):
        derived.orders.get("100001")
    with pytest.raises(StoreClosed):
        list(derived.orders.list())
