"""``Store.request`` sends the store's credentials, so it only ever reaches the store.

A text prefix test let ``https://toy.example@evil.example/`` and
``https://toy.example.evil.example/`` through (both start with the base URL of a store
whose base URL has no path, as 24Nettbutikk's), and ``../`` leave the API root.
"""

from __future__ import annotations

import pytest

import storebridge
from storebridge.http import MockTransport, Request, Response
from tests.support.fakes import FakeTime

pytestmark = pytest.mark.usefixtures("toy_registered")

TOKEN = "toy-secret-token-123"


def _store(base_url: str, sent: list[Request]) -> storebridge.Store:
    def answer(request: Request) -> Response:
        sent.append(request)
        return Response(200, json={"ok": True})

    return storebridge.connect(
        "toy", base_url=base_url, token=TOKEN, transport=MockTransport(answer),
        options=FakeTime().options(),
    )  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "https://toy.example@evil.example/steal",
        "https://toy.example.evil.example/steal",
        "https://toy.example:8443/orders",
        "http://toy.example/orders",
        "https://evil.example/orders",
    ],
)
def test_another_host_is_refused_before_anything_is_sent(path: str) -> None:
    sent: list[Request] = []
    with _store("https://toy.example", sent) as store:
        with pytest.raises(storebridge.ValidationError, match="base URL") as info:
            store.request("GET", path)
    assert info.value.field == "path"
    assert sent == []


@pytest.mark.parametrize(
    "path",
    [
        "../admin/keys",
        "https://toy.example/api/../admin",
        "%2e%2e/admin",
        "a/%2E/b",
        "https://toy.example/apix",
        "..%2fadmin",
        "%2e%2e%2fadmin",
        "..%5cadmin",
        "..\\admin",
        "..;/admin",
    ],
)
def test_a_path_leaving_the_api_root_is_refused(path: str) -> None:
    sent: list[Request] = []
    with _store("https://toy.example/api", sent) as store:
        with pytest.raises(storebridge.ValidationError, match="base URL"):
            store.request("GET", path)
    assert sent == []


@pytest.mark.parametrize(
    "path", ["../../x", "api/../../x", "orders/./1", "https://toy.example/a/../x"]
)
def test_a_dot_segment_is_refused_on_a_base_url_without_a_path(path: str) -> None:
    # With no base path (24Nettbutikk's), the URL parser resolved "../x" to "/x" before
    # the check saw it, and the request went out.
    sent: list[Request] = []
    with _store("https://toy.example", sent) as store:
        with pytest.raises(storebridge.ValidationError, match="base URL"):
            store.request("GET", path)
    assert sent == []


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://toy.example", "orders/1", "https://toy.example/orders/1"),
        ("https://toy.example", "https://TOY.example:443/orders", "https://toy.example/orders"),
        ("https://toy.example/api", "/orders?x=1", "https://toy.example/api/orders?x=1"),
        ("https://toy.example/api", "https://toy.example/api/v2/x", "https://toy.example/api/v2/x"),
        # An escaped base path, and "://" inside a query value of a relative path.
        (
            "https://toy.example/shops/my%20shop",
            "orders",
            "https://toy.example/shops/my%20shop/orders",
        ),
        (
            "https://toy.example/api",
            "webhooks?address=https://hooks.example/in",
            "https://toy.example/api/webhooks?address=https://hooks.example/in",
        ),
    ],
)
def test_the_store_itself_is_reached(base: str, path: str, expected: str) -> None:
    sent: list[Request] = []
    with _store(base, sent) as store:
        assert store.request("GET", path).json() == {"ok": True}
    assert [str(r.url) for r in sent] == [expected]
    assert sent[0].headers["Authorization"] == f"Bearer {TOKEN}"
