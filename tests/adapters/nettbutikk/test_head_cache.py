"""A HEAD that says "nothing changed" ends a 24Nettbutikk pass at once, so it must be the
shop's own current answer, not a cache's. A proxy keeping HEAD answers hid a change from
every pass until the watermark had passed it for good."""

from __future__ import annotations

from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

TTL = 20 * 60


class CachingProxy:
    """Keeps HEAD answers for 20 minutes; ``honours`` says whether it lets
    ``Cache-Control: no-cache`` through to the shop, ``ages`` whether it says ``Age``."""

    def __init__(self, inner: Any, clock: FakeClock, *, honours: bool, ages: bool) -> None:
        self.inner, self.clock, self.honours, self.ages = inner, clock, honours, ages
        self.kept: dict[str, tuple[float, _http.Response]] = {}
        self.heads: list[_http.Request] = []

    def handle(self, request: _http.Request) -> _http.Response:
        if request.method != "HEAD":
            passed: _http.Response = self.inner.handle_request(request)
            return passed
        self.heads.append(request)
        key = str(request.url)
        hit = self.kept.get(key)
        bypass = self.honours and "no-cache" in request.headers.get("cache-control", "")
        if hit is not None and self.clock.now() - hit[0] < TTL and not bypass:
            headers = dict(hit[1].headers.items())
            if self.ages:
                headers["Age"] = str(int(self.clock.now() - hit[0]))
            return _http.Response(hit[1].status_code, headers=headers, request=request)
        response: _http.Response = self.inner.handle_request(request)
        self.kept[key] = (self.clock.now(), response)
        return response


@pytest.mark.parametrize(("honours", "ages"), [(True, False), (False, True)])
def test_a_change_behind_a_caching_proxy_is_delivered(honours: bool, ages: bool) -> None:
    clock = FakeClock()
    kit = adapter_class("24nettbutikk").sandbox(seed=3, clock=clock, orders=5, customers=3,
                                               products=3)  # fmt: skip
    proxy = CachingProxy(kit.emulator.transport(), clock, honours=honours, ages=ages)
    delivered: list[str] = []
    with storebridge.connect(
        "24nettbutikk", transport=_http.MockTransport(proxy.handle),
        options=FakeTime(emulator_clock=clock).options(), **kit.settings("https://shop.example"),
    ) as store:  # fmt: skip
        feed = store.changes("orders", now=clock.utcnow)
        list(feed)
        checkpoint = feed.checkpoint
        for minute in range(1, 31):
            clock.advance(60)
            if minute == 2:
                changed = next(iter(store.orders.list()))
                store.extra.update_order_status(changed.ref, "3")
            later = store.changes("orders", since=checkpoint, now=clock.utcnow)
            delivered += [change.ref for change in later]
            checkpoint = later.checkpoint
    assert delivered == [changed.ref]
    assert proxy.heads and all(r.headers.get("cache-control") == "no-cache" for r in proxy.heads)
