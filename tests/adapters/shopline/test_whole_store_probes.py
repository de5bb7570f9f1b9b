"""A whole store's listing sends a few probes with its first page, not the whole ladder.

At the rate limit every probe costs a request's share of the budget before the store's
size is known; with many requests allowed in flight the full ladder (15 counts) went out
with every export.
"""

from __future__ import annotations

import storebridge
from storebridge.registry import adapter_class
from storebridge_shopline._paging import WHOLE_STORE_PROBES

ORIGIN = "https://probes.myshopline.com"


def test_an_export_with_room_for_many_requests_sends_at_most_a_few_probes_first() -> None:
    kit = adapter_class("shopline").sandbox(orders=2000, seed=3, rate_limit=False)
    wide = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
    with storebridge.connect(
        "shopline", transport=kit.emulator.transport(), options=wide, **kit.settings(ORIGIN)
    ) as store:
        refs = [order.ref for order in store.orders.list()]
    assert len(refs) == len(set(refs)) == 2000  # read in windows, each order once
    urls = [str(request.url) for request in kit.emulator.requests]
    pages = [i for i, url in enumerate(urls) if "/orders.json" in url]
    assert len(pages) > 2  # windows came after the first page
    first_batch = urls[: pages[1]]  # the count, the first page and the probes sent with it
    probes = [u for u in first_batch if "/orders/count.json" in u and "created_at_max" in u]
    assert 1 <= len(probes) <= WHOLE_STORE_PROBES
