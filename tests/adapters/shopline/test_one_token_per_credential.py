"""Two stores on one SHOPLINE app and shop in one process, neither given a token store,
use one token: a refresh by one ended the other's token (after the grace the platform
gives the old one), whose 401 made it refresh in turn, and so on: 13 refreshes and 11
refused calls in an hour instead of one refresh."""

from __future__ import annotations

import asyncio

import storebridge
from storebridge.http import Request, Response
from storebridge_shopline import ShoplineAdapter
from storebridge_shopline._auth import token_store_key
from tests.adapters.shopline.support import world

HOUR = 3600


def test_a_store_and_another_on_the_same_credential_share_one_refresh_per_expiry() -> None:
    w = world(orders=3)
    options = w.options(rate_limit=storebridge.RateLimit(10_000, 10_000))
    refused: list[int] = []
    handle = w.emulator.handle

    def counted(request: Request) -> Response:
        response = handle(request)
        if response.status_code == 401:
            refused.append(1)
        return response

    w.emulator.handle = counted  # type: ignore[method-assign]
    with w.connect(options=options) as one, w.connect(options=options) as other:
        ref = next(iter(one.orders.list())).ref
        w.clock.advance(10 * HOUR - 300)  # both tokens now due for a refresh
        for _ in range(60):  # an hour of both in turn, a call a minute each
            one.orders.get(ref)
            other.orders.get(ref)
            w.clock.advance(60)
    assert w.emulator.refreshes == 1
    assert refused == []


def test_a_store_and_an_async_store_on_the_same_credential_share_their_token() -> None:
    w = world(orders=3)
    options = w.options(rate_limit=storebridge.RateLimit(10_000, 10_000))

    async def use_async(ref: str) -> None:
        async with w.connect_async(options=options) as store:
            await store.orders.get(ref)

    with w.connect(options=options) as store:
        ref = next(iter(store.orders.list())).ref
        w.clock.advance(10 * HOUR - 300)
        store.orders.get(ref)  # refreshes
        asyncio.run(use_async(ref))  # takes the refreshed token up
        w.clock.advance(600)
        store.orders.get(ref)
    assert w.emulator.refreshes == 1


def test_one_shop_spelled_two_ways_is_one_credential() -> None:
    """Two spellings of one shop's address sharing no token would end each other's."""
    w = world(orders=3)
    options = w.options(rate_limit=storebridge.RateLimit(10_000, 10_000))
    spelled = "https://ACME.myshopline.com:443"  # the sandbox's https://acme.myshopline.com
    with w.connect(options=options) as one, w.connect(options=options, base_url=spelled) as other:
        ref = next(iter(one.orders.list())).ref
        w.clock.advance(10 * HOUR - 300)
        for _ in range(30):
            one.orders.get(ref)
            other.orders.get(ref)
            w.clock.advance(60)
    assert w.emulator.refreshes == 1


def test_shops_behind_one_gateway_keep_their_own_tokens() -> None:
    """The path is part of the shop reached: two shops behind one host must not share."""
    w = world(orders=1)

    def key(url: str) -> str:
        return token_store_key(
            ShoplineAdapter.from_settings(**{**w.settings, "base_url": url}).settings
        )

    urls = ("https://gw.example/shopA", "https://gw.example/shopB", "https://GW.example:443/shopA/")
    keys = {url: key(url) for url in urls}
    assert keys["https://gw.example/shopA"] != keys["https://gw.example/shopB"]
    assert keys["https://gw.example/shopA"] == keys["https://GW.example:443/shopA/"]
