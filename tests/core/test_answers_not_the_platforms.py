"""Answers that look usable but are not the platform's: a proxy's 404 page, a redirect.

* A 404 answered with a web page (a proxy, a gateway, a maintenance page) was taken as
  the platform's "no such record": a webhook subscription read back after a lost DELETE
  was "gone" while it stayed, and on 24Nettbutikk listings came back empty. It is an
  error now (not :class:`NotFound`), whatever the adapter.
* A listing page answered with a redirect (never followed: it could lead to another host)
  or 204 raised a bare ``KeyError``; it is an unusable answer, asked again, and a
  ``PayloadError`` if it stays so.
* A write answered with a redirect was "accepted" (``processed=True``); a redirect is not
  the platform's answer to it, so whether it ran is unknown (``processed=None``).
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge import CustomerUpdate, _http
from storebridge.errors import (
    APIError,
    NotFound,
    OutcomeUnknown,
    PayloadError,
    StorebridgeError,
)
from tests.migrate.support import connect, sandbox

CUSTOMERS = ("customer", "/users")  # 29 Next's customers are users

PAGE = b"<html><head><title>404 Not Found</title></head><body><h1>404</h1>nginx</body></html>"
HOOK = "https://127.0.0.1:9/in"


class Scripted(_http.BaseTransport):
    """``inner``, with requests ``answer(request)`` returns a response for answered so."""

    def __init__(self, inner: Any, answer: Any) -> None:
        self.inner = inner
        self.answer = answer
        self.on = False
        self.faked = 0

    def handle_request(self, request: _http.Request) -> _http.Response:
        made = self.answer(request) if self.on else None
        if made is not None:
            self.faked += 1
            status, body, kind = made
            headers = {"Content-Type": kind} if kind else {}
            return _http.Response(status, headers=headers, content=body, request=request)
        response: _http.Response = self.inner.handle_request(request)
        return response


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_a_web_page_404_on_a_get_is_not_not_found(platform: str) -> None:
    kit = sandbox(platform)
    liar = Scripted(kit.emulator.transport(), lambda r: (404, PAGE, "text/html"))
    with connect(kit, "shop", transport=liar) as store:
        ref = next(iter(store.customers.list())).ref
        liar.on = True
        with pytest.raises(APIError, match="web page") as caught:
            store.customers.get(ref)
    assert not isinstance(caught.value, NotFound)


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_an_unsubscribe_read_back_through_a_proxy_404_is_not_gone(platform: str) -> None:
    kit = sandbox(platform)
    deleted: list[bool] = []

    def answer(request: _http.Request) -> tuple[int, bytes, str] | None:
        if request.method == "DELETE":
            deleted.append(True)
            return (502, b"<html>502 Bad Gateway</html>", "text/html")  # never reached it
        if request.method == "GET" and deleted and "webhook" in request.url.path:
            return (404, PAGE, "text/html")
        return None

    liar = Scripted(kit.emulator.transport(), answer)
    with connect(kit, "shop", transport=liar) as store:
        made = store.webhooks.subscribe(["orders.created"], HOOK)
        liar.on = True
        with pytest.raises(OutcomeUnknown):
            store.webhooks.unsubscribe(made[0].ref)
        liar.on = False
        assert [w.ref for w in store.webhooks.list()] == [made[0].ref]


@pytest.mark.parametrize("platform", ["29next", "24nettbutikk", "shopline"])
@pytest.mark.parametrize("status", [204, 302, 304, 307])
def test_a_listing_page_answered_with_no_page_is_asked_again(platform: str, status: int) -> None:
    kit = sandbox(platform)
    with connect(kit, "shop") as plain:
        truth = sorted(c.ref for c in plain.customers.list())
    once: list[bool] = []

    def answer(request: _http.Request) -> tuple[int, bytes, str] | None:
        listing = any(part in request.url.path for part in CUSTOMERS)
        if request.method == "GET" and listing and not once:
            once.append(True)
            return (status, b"", "")
        return None

    liar = Scripted(kit.emulator.transport(), answer)
    liar.on = True
    with connect(kit, "shop", transport=liar) as store:
        assert sorted(c.ref for c in store.customers.list()) == truth
    assert liar.faked == 1


@pytest.mark.parametrize("platform", ["29next", "24nettbutikk"])
def test_a_listing_page_that_stays_a_redirect_is_a_payload_error(platform: str) -> None:
    kit = sandbox(platform)
    liar = Scripted(
        kit.emulator.transport(),
        lambda r: (302, b"", "") if any(p in r.url.path for p in CUSTOMERS) else None,
    )
    liar.on = True
    with connect(kit, "shop", transport=liar) as store:
        with pytest.raises(PayloadError, match="302"):
            list(store.customers.list())


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_a_write_answered_with_a_redirect_has_an_unknown_outcome(platform: str) -> None:
    kit = sandbox(platform)
    liar = Scripted(
        kit.emulator.transport(), lambda r: (307, b"", "") if r.method == "PUT" or
        r.method == "PATCH" else None,
    )  # fmt: skip
    with connect(kit, "shop", transport=liar) as store:
        customer = next(iter(store.customers.list()))
        liar.on = True
        with pytest.raises(OutcomeUnknown) as caught:
            store.customers.update(customer.ref, CustomerUpdate(first_name="Ingrid"))
    assert caught.value.processed is not True


@pytest.mark.parametrize("platform", ["29next", "shopline"])
@pytest.mark.parametrize("pages", [1, 99])
def test_a_write_answered_with_a_web_page_is_not_taken_as_done(platform: str, pages: int) -> None:
    """A proxy's page with 200 to an unsubscribe (the DELETE never forwarded) returned as
    if the subscription were gone."""
    kit = sandbox(platform)
    left = [pages]

    def answer(request: _http.Request) -> tuple[int, bytes, str] | None:
        if request.method == "DELETE" and left[0] > 0:
            left[0] -= 1
            return (200, b"<html><body>Service temporarily unavailable</body></html>", "")
        return None

    liar = Scripted(kit.emulator.transport(), answer)
    with connect(kit, "shop", transport=liar) as store:
        made = store.webhooks.subscribe(["orders.created"], HOOK)
        liar.on = True
        if pages == 1:  # asked again, or read back and sent again: really gone
            store.webhooks.unsubscribe(made[0].ref)
        else:  # asked again like a read (a DELETE may be), then an error: never "gone"
            with pytest.raises(StorebridgeError, match="web page"):
                store.webhooks.unsubscribe(made[0].ref)
        liar.on = False
        still = [w.ref for w in store.webhooks.list()]
    assert still == ([] if pages == 1 else [made[0].ref])
