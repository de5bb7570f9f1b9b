"""A lost subscription is read back from every page of ``webhooks.json``.

SHOPLINE pages its lists (``page_info`` cursors in a ``link`` header), subscriptions too.
A read-back of the first page only missed a subscription beyond it: the subscription was
sent again, refused 422 ("already taken") and ended OutcomeUnknown. A listing that does
not move on (a link back to a page read, a cursor that never ends) is a PaginationError,
never "not subscribed".
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from storebridge import OutcomeUnknown, http
from storebridge._readback import READ_BACK_PAGES
from storebridge.errors import PaginationError
from storebridge.testing import FaultTransport
from storebridge_shopline._webhooks import TOPIC_EVENTS
from tests.adapters.shopline.support import World, world
from tests.support.faults import FailNextPost

HOOK = "https://127.0.0.1:9/hook"
LOST = ("reset_after", "timeout_after", "lost_502", "truncated", "wrong_shape")


def _crowded(addresses: int = 6) -> World:
    """A store with more subscriptions than a page holds (50): the next one is on page 2."""
    w = world(orders=1, rate_limit=False)
    with w.connect() as store:
        for n in range(addresses):
            store.webhooks.subscribe(sorted(TOPIC_EVENTS), f"https://127.0.0.1:9/other{n}")
    assert len(w.emulator.subscriptions.subscriptions) == addresses * len(TOPIC_EVENTS) > 50
    return w


def _listed(request: http.Request) -> bool:
    return request.method == "GET" and request.url.path.endswith("/webhooks.json")


@pytest.mark.parametrize("lost", LOST)
def test_a_lost_subscription_beyond_the_first_page_is_found(lost: str) -> None:
    w = _crowded()
    fail = FailNextPost("/webhooks.json")
    with w.connect(transport=FaultTransport(w.emulator.transport(), script=fail)) as store:
        fail.kind = lost
        [made] = store.webhooks.subscribe(["orders.updated"], HOOK)
        assert made.ref in {s.ref for s in store.webhooks.list()}
    mine = [s for s in w.emulator.subscriptions.subscriptions.values() if s["address"] == HOOK]
    assert [str(s["id"]) for s in mine] == [made.ref]


def test_the_read_back_pages_meet_faults_and_still_find_it() -> None:
    w = _crowded(addresses=11)  # three pages: 50, 50, 10
    fail = FailNextPost("/webhooks.json")
    gets = itertools.count(1)
    # The read-back's n-th GET: page 1 twice faulty, page 2 once, page 3 first answered
    # with page 2 again (a stale cache), then with the wrong shape.
    faults = {1: "server_error", 2: "truncated", 4: "rate_limited", 6: "stale_page",
              7: "wrong_shape"}  # fmt: skip

    def script(number: int, request: Any) -> str | None:
        if fail.kind is None and _listed(request):
            return faults.get(next(gets))
        return fail(number, request)

    faulty = FaultTransport(w.emulator.transport(), script=script)
    with w.connect(transport=faulty) as store:
        fail.kind = "reset_after"
        [made] = store.webhooks.subscribe(["orders.updated"], HOOK)
    assert sorted(kind for _, _, kind in faulty.log) == sorted(["reset_after", *faults.values()])
    assert next(gets) == 9  # three pages, five of their answers refused
    mine = [s for s in w.emulator.subscriptions.subscriptions.values() if s["address"] == HOOK]
    assert [str(s["id"]) for s in mine] == [made.ref]


class Endless(http.BaseTransport):
    """``webhooks.json`` pages that never end once a subscription was sent (the reading
    before it is the shop's own): each links on to a new cursor (``endless``), or back to
    the first page (``loop``), holding no subscription."""

    def __init__(self, w: World, kind: str) -> None:
        self.inner = w.emulator.transport()
        self.kind = kind
        self.cursors = itertools.count(1)
        self.pages = 0
        self.posted = False

    def handle_request(self, request: Any) -> Any:
        self.posted = self.posted or request.method == "POST"
        if not _listed(request) or not self.posted:
            return self.inner.handle_request(request)
        self.pages += 1
        base = f"{request.url.scheme}://{request.url.host}{request.url.path}"
        target = f"{base}?page_info=c{next(self.cursors)}" if self.kind == "endless" else base
        headers = {"Content-Type": "application/json", "link": f'<{target}>; rel="next"'}
        return http.Response(200, content=json.dumps({"webhooks": []}).encode(),
                             headers=headers, request=request)  # fmt: skip


@pytest.mark.parametrize("kind", ["endless", "loop"])
def test_a_read_back_that_cannot_end_is_a_pagination_error_not_a_second_subscription(
    kind: str,
) -> None:
    w = world(orders=1, rate_limit=False)
    pages = Endless(w, kind)
    fail = FailNextPost("/webhooks.json")
    with w.connect(transport=FaultTransport(pages, script=fail)) as store:
        fail.kind = "reset_after"
        with pytest.raises(OutcomeUnknown) as err:
            store.webhooks.subscribe(["orders.updated"], HOOK)
    assert isinstance(err.value.__cause__, PaginationError), err.value
    assert "webhooks" in str(err.value)
    # Made once (the lost answer), never sent again on the strength of a partial read.
    assert len(w.emulator.subscriptions.subscriptions) == 1
    assert pages.pages <= READ_BACK_PAGES
    if kind == "endless":
        assert pages.pages == READ_BACK_PAGES and f"past {READ_BACK_PAGES} pages" in str(err.value)


@pytest.mark.parametrize("kind", ["endless", "loop"])
def test_a_reading_before_subscribing_that_cannot_end_sends_nothing(kind: str) -> None:
    """``subscribe`` reads the subscriptions first (to keep those already there): pages
    that never end there are a PaginationError before anything is sent."""
    w = world(orders=1, rate_limit=False)
    pages = Endless(w, kind)
    pages.posted = True  # endless from the first reading on
    with w.connect(transport=pages) as store:
        with pytest.raises(PaginationError, match="webhooks"):
            store.webhooks.subscribe(["orders.updated"], HOOK)
    assert len(w.emulator.subscriptions.subscriptions) == 0
    assert pages.pages <= READ_BACK_PAGES
