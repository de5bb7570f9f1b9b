"""An order create reads what it needs before it is sent, and settles a lost answer by
reading back every page of the draft's first tag.

The product looked up for a line's SKU must hold its ``variants``: one without is asked
again, then a PayloadError naming ``variants``, never "no such SKU". The read-back follows
the tag's pages to the order made, wherever it is listed (a historical order is listed
after the store's newer ones); a loop, an endless listing or a page of another listing
ends in OutcomeUnknown, never a second order, and no listed order without the tag is taken
for the one made. Every create here loses its answer after the platform made the order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import storebridge
from storebridge import (
    Money,
    OrderDraft,
    OrderLineDraft,
    OutcomeUnknown,
    PayloadError,
    http,
)
from storebridge.testing import FaultTransport
from tests.adapters.twentyninenext.support.sandbox import Rewriting, Sandbox
from tests.support.faults import FailNextPost

TAG = "vip"  # the seeded store tags every seventh order so
PLACED = datetime(2015, 1, 1, tzinfo=UTC)  # before every seeded order: listed after them
EMAIL = "historical@example.com"
VERSIONS = ["2024-04-01", "2023-02-10"]


def _draft(sb: Sandbox) -> OrderDraft:
    sku = next(iter(sb.emulator.state.products.values()))["variants"][0]["sku"]
    line = OrderLineDraft(title="x", quantity=2, unit_price=Money("3.00", "USD"), sku=sku)
    return OrderDraft(currency="USD", lines=(line,), total=Money("6.00", "USD"), email=EMAIL,
                      tags=(TAG,), created_at=PLACED)  # fmt: skip


def _tagged(sb: Sandbox) -> list[str]:
    return [o.number for o in sb.emulator.state.orders.values() if TAG in o.tags]


def _lost(sb: Sandbox, inner: Any, **settings: Any) -> tuple[storebridge.Store, FailNextPost]:
    """A store whose next ``orders`` POST (once armed) is made but its answer lost."""
    fail = FailNextPost("/orders/")
    return sb.connect(FaultTransport(inner, script=fail), **settings), fail


def _order_lists(sb: Sandbox) -> int:
    return sum(1 for r in sb.emulator.requests
               if r.method == "GET" and r.path.endswith("/orders/"))  # fmt: skip


def _gets(suffix: str) -> Callable[[http.Request], bool]:
    return lambda r: r.method == "GET" and r.url.path.endswith(suffix)


def _by_tag(request: http.Request) -> bool:
    return _gets("/orders/")(request) and "tags" in request.url.params


def _without_variants(_request: http.Request, answer: Any, _n: int) -> Any:
    rows = [{k: v for k, v in row.items() if k != "variants"} for row in answer["results"]]
    return {**answer, "results": rows}


def _first_without_variants(request: http.Request, answer: Any, n: int) -> Any:
    return _without_variants(request, answer, n) if n == 1 else answer


def test_a_product_row_without_variants_is_asked_again_not_read_as_no_such_sku() -> None:
    sb = Sandbox(orders=3)
    rewrite = Rewriting(sb.emulator.transport(), _gets("/products/"), _first_without_variants)
    before = _tagged(sb)
    store, fail = _lost(sb, rewrite)
    with store:
        fail.kind = "reset_after"
        made = store.orders.create(_draft(sb))
    assert fail.kind is None  # the answer was lost
    assert _tagged(sb) == [*before, made.ref]
    assert rewrite.seen == 2  # the product lookup was asked again


def test_a_product_row_that_never_holds_variants_is_a_payload_error_naming_them() -> None:
    sb = Sandbox(orders=3)
    rewrite = Rewriting(sb.emulator.transport(), _gets("/products/"), _without_variants)
    store, fail = _lost(sb, rewrite)
    with store:
        fail.kind = "reset_after"
        with pytest.raises(PayloadError, match=r"results\[0\]\.variants"):
            store.orders.create(_draft(sb))
    assert fail.kind == "reset_after" and sb.writes() == []  # nothing was sent


@pytest.mark.parametrize("version", VERSIONS)
def test_a_lost_create_is_found_beyond_the_first_page_of_its_tag(version: str) -> None:
    sb = Sandbox(orders=60, page_size=3)
    before = _tagged(sb)
    assert len(before) > 3  # the order made is listed on a later page than the first
    store, fail = _lost(sb, sb.emulator.transport(), api_version=version)
    with store:
        fail.kind = "reset_after"
        made = store.orders.create(_draft(sb))
    assert fail.kind is None  # the answer was lost
    assert _tagged(sb) == [*before, made.ref] and made.email == EMAIL
    assert _order_lists(sb) == len(before) // 3 + 1  # every page of the tag, each once
    assert [w for w in sb.writes() if w.startswith("POST")] == ["POST /api/admin/orders/"]


class EndlessOrders(http.BaseTransport):
    """``inner``, but every list of orders by tag answers no rows and a next link: back to
    the same page (``loop``), or on to a new cursor every time (``endless``)."""

    def __init__(self, inner: Any, kind: str) -> None:
        self.inner, self.kind, self.pages = inner, kind, 0

    def handle_request(self, request: http.Request) -> http.Response:
        if not _by_tag(request):
            response: http.Response = self.inner.handle_request(request)
            return response
        self.pages += 1
        after = request.url if self.kind == "loop" else request.url.copy_set_param(
            "cursor", f"c{self.pages}")  # fmt: skip
        body: dict[str, Any] = {"next": str(after), "previous": None, "results": []}
        return http.Response(200, json=body, request=request)


@pytest.mark.parametrize(
    ("kind", "why"), [("loop", "repeats a page"), ("endless", "goes past 100 pages")]
)
def test_a_read_back_whose_pages_do_not_end_is_outcome_unknown(kind: str, why: str) -> None:
    sb = Sandbox(orders=3)
    endless = EndlessOrders(sb.emulator.transport(), kind)
    before = _tagged(sb)
    store, fail = _lost(sb, endless)
    with store:
        fail.kind = "reset_after"
        with pytest.raises(OutcomeUnknown, match=why):
            store.orders.create(_draft(sb))
    assert len(_tagged(sb)) == len(before) + 1  # made once, never sent again
    assert endless.pages == (1 if kind == "loop" else 100)


class IgnoresTheTag(http.BaseTransport):
    """``inner``, but the next list of orders by tag (once armed) is answered with the
    store's orders of every tag, as a cache that ignores the query's filter would."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.armed = inner, False

    def handle_request(self, request: http.Request) -> http.Response:
        if self.armed and _by_tag(request):
            self.armed = False
            request = http.Request("GET", request.url.copy_remove_param("tags"),
                                   headers=request.headers)  # fmt: skip
        response: http.Response = self.inner.handle_request(request)
        return response


@pytest.mark.parametrize(
    ("version", "ends"),
    [
        # Its rows carry their tags: the page is asked again, and the order made is found.
        ("2023-02-10", None),
        # Rows carry no tags: the next link without the filter gives the answer away.
        ("2024-04-01", "other filters than the request"),
    ],
)
def test_a_page_of_another_listing_is_not_read_as_the_tag_s_orders(
    version: str, ends: str | None
) -> None:
    sb = Sandbox(orders=60, page_size=5)
    cache = IgnoresTheTag(sb.emulator.transport())
    before = _tagged(sb)
    store, fail = _lost(sb, cache, api_version=version)
    with store:
        fail.kind = "reset_after"
        cache.armed = True
        if ends is None:
            made = store.orders.create(_draft(sb))
            assert _tagged(sb) == [*before, made.ref]
        else:
            with pytest.raises(OutcomeUnknown, match=ends):
                store.orders.create(_draft(sb))
            assert len(_tagged(sb)) == len(before) + 1  # made once, never sent again
    assert not cache.armed  # the other listing's page was given


def test_a_listed_order_without_the_tag_is_not_taken_for_the_one_made() -> None:
    sb = Sandbox(orders=3)
    with sb.connect() as store:  # an order like the draft's, made earlier without the tag
        earlier = store.orders.create(attrs.evolve(_draft(sb), tags=("earlier",)))

    def stale(_request: http.Request, answer: Any, _n: int) -> Any:
        # A stale page: the earlier order in place of the one just made.
        return {**answer, "results": [{**answer["results"][0], "number": earlier.ref}]}

    rewrite = Rewriting(sb.emulator.transport(), _by_tag, stale)
    store, fail = _lost(sb, rewrite)
    with store:
        fail.kind = "reset_after"
        with pytest.raises(OutcomeUnknown, match="did not find it"):
            store.orders.create(_draft(sb))
    assert rewrite.seen == 1
