"""The change feed's ``Last-Modified`` shortcut never skips a change stamped at the edge of
a second.

A change made 0.3 us before a whole second shows the next second in ``modified_on``
(microseconds rounded, then cut), and the sandbox's ``Last-Modified`` once showed the
second before (the instant floored). With ``overlap=0`` the feed's HEAD then proved
"nothing changed" and the checkpoint moved past the change: never delivered. The sandbox
now shows one second in both, and the feed allows a second of slack for a shop that
rounds one and cuts the other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest

import storebridge
from storebridge import RateLimit, _http
from storebridge.changes import Checkpoint
from storebridge.registry import adapter_class
from storebridge.sandbox import FakeClock
from storebridge.testing import FakeTime

ZERO = timedelta(0)


class HeaderBehind(_http.BaseTransport):
    """The shop's answers with ``Last-Modified`` a second earlier (a server that cuts the
    header's second and rounds the rows')."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: _http.Request) -> _http.Response:
        response: _http.Response = self.inner.handle_request(request)
        stamp = response.headers.get("last-modified")
        if stamp:
            earlier = parsedate_to_datetime(stamp) - timedelta(seconds=1)
            response.headers["last-modified"] = format_datetime(earlier, usegmt=True)
        return response


@pytest.mark.parametrize("header_behind", [False, True])
def test_a_change_at_the_edge_of_a_second_is_delivered(header_behind: bool) -> None:
    clock = FakeClock()
    kit = adapter_class("24nettbutikk").sandbox(
        seed=3, clock=clock, orders=5, customers=3, products=3, rate_limit=None
    )
    transport = kit.emulator.transport()
    time = FakeTime(emulator_clock=clock)
    with storebridge.connect(
        "24nettbutikk", transport=HeaderBehind(transport) if header_behind else transport,
        options=time.options(rate_limit=RateLimit(10_000, 10_000)),
        **kit.settings("https://sandbox.example"),
    ) as store:  # fmt: skip
        clock.advance(3600)
        feed = store.changes("orders", now=clock.utcnow, overlap=ZERO)
        list(feed)
        saved = Checkpoint.from_json(feed.checkpoint.to_json())
        clock.advance(0.9999997)  # 0.3 us before a whole second
        feed = store.changes("orders", since=saved, now=clock.utcnow, overlap=ZERO)
        assert list(feed) == []
        saved = Checkpoint.from_json(feed.checkpoint.to_json())
        emulator: Any = kit.emulator
        key = str(emulator.orders[0]["order_no"])
        emulator.touch("orders", key, customer_comment="edited")
        if not header_behind:  # the sandbox shows the row's second in its header
            stamp = parsedate_to_datetime(emulator.state.last_modified("orders"))
            assert stamp == datetime.fromtimestamp(round(clock.now()), UTC)
        clock.advance(60)
        changes = list(store.changes("orders", since=saved, now=clock.utcnow, overlap=ZERO))
    assert [(c.ref, c.object.note) for c in changes] == [(key, "edited")]
