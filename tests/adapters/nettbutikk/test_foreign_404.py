"""A 404 answered with a web page is not the shop's "none".

24Nettbutikk answers 404 for a record it does not have (on some shops for an empty list),
so a 404 reads as "none": an empty listing, an order without its (deleted) customer. A 404
answered by a proxy, a gateway or a maintenance page was read the same way: a listing came
back empty, orders lost their customer and SKUs, a change feed's pass moved past edits
for good, and a migration passed with orders unlinked. Such a 404 comes with a web page,
which the shop's API never sends: it is now an error, and nothing is taken as missing.
A product whose variant rows are gone (a bare 404: deleted since it was listed) is left
out, not read as one variant with the product's SKU and price.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storebridge import _http
from storebridge.errors import APIError, NotFound
from tests.migrate.support import connect, sandbox

PAGE = b"<html><head><title>404 Not Found</title></head><body><h1>404</h1>nginx</body></html>"


class Answers404(_http.BaseTransport):
    """``inner``, with the first GET whose path ``matches`` answered 404 (``page`` or bare)."""

    def __init__(self, inner: Any, matches: Any, page: bytes = PAGE) -> None:
        self.inner = inner
        self.matches = matches
        self.page = page
        self.faked: list[str] = []

    def handle_request(self, request: _http.Request) -> _http.Response:
        if request.method == "GET" and not self.faked and self.matches(request.url.path):
            self.faked.append(request.url.path)
            headers = {"Content-Type": "text/html"} if self.page else {}
            return _http.Response(404, headers=headers, content=self.page, request=request)
        response: _http.Response = self.inner.handle_request(request)
        return response


def _first_page(resource: str) -> Any:
    return lambda path: f"/{resource}/" in path and path.rstrip("/").endswith("/0")


@pytest.mark.parametrize("resource", ["orders", "customers", "products"])
def test_a_web_page_404_on_a_first_page_is_an_error(resource: str) -> None:
    kit = sandbox("24nettbutikk", seed=1, orders=12)
    liar = Answers404(kit.emulator.transport(), _first_page(resource))
    with connect(kit, "shop", transport=liar) as store:
        with pytest.raises(APIError, match="web page") as caught:
            list(getattr(store, resource).list())
    assert not isinstance(caught.value, NotFound)
    assert liar.faked


def test_a_web_page_404_on_a_customer_lookup_is_an_error() -> None:
    kit = sandbox("24nettbutikk", seed=1, orders=12)
    liar = Answers404(kit.emulator.transport(), lambda path: "/customers/1" in path)
    with connect(kit, "shop", transport=liar) as store:
        with pytest.raises(APIError, match="web page"):
            list(store.orders.list())
    assert liar.faked


def test_a_web_page_404_on_variant_rows_is_an_error() -> None:
    kit = sandbox("24nettbutikk", seed=7, orders=8)  # products with variants
    with connect(kit, "shop") as plain:
        varied = next(p for p in plain.products.list() if len(p.variants) > 1)
    liar = Answers404(kit.emulator.transport(), lambda p: p.endswith(f"/products/{varied.ref}"))
    with connect(kit, "shop", transport=liar) as store:
        with pytest.raises(APIError, match="web page"):
            list(store.products.list())
    assert liar.faked


def test_a_product_whose_variant_rows_are_gone_is_left_out() -> None:
    kit = sandbox("24nettbutikk", seed=7, orders=8)  # products with variants
    with connect(kit, "shop") as plain:
        products = list(plain.products.list())
    varied = next(p for p in products if len(p.variants) > 1)
    gone = Answers404(
        kit.emulator.transport(), lambda p: p.endswith(f"/products/{varied.ref}"), page=b""
    )
    with connect(kit, "shop", transport=gone) as store:
        listed = list(store.products.list())
    assert gone.faked
    assert sorted(p.ref for p in listed) == sorted(p.ref for p in products if p is not varied)


def test_a_web_page_404_ends_a_feed_pass_with_its_checkpoint_kept() -> None:
    kit = sandbox("24nettbutikk", seed=1, orders=12)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    liar = Answers404(kit.emulator.transport(), lambda path: "/customers/" in path)
    with connect(kit, "shop", transport=liar) as store:
        feed = store.changes("customers", since=since)
        with pytest.raises(APIError, match="web page"):
            list(feed)
        checkpoint = feed.checkpoint
    with connect(kit, "shop") as plain:
        customers = len(list(plain.customers.list()))
        assert len(list(plain.changes("customers", since=checkpoint))) == customers
