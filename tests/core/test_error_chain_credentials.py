"""A request that gets no answer raises an error whose whole chain holds no credential.

The HTTP library's exception keeps the request it failed on, with the credentials as sent:
the ``Authorization`` header, the token in the URL (24Nettbutikk's ``auth_style="query"``),
a SHOPLINE refresh's ``sign`` / ``appkey`` headers. Linked to our error as ``__cause__`` or
``__context__``, it hands them to every traceback printer and error tracker.
"""

from __future__ import annotations

import asyncio
import base64
import traceback
from typing import Any

import pytest

import storebridge
from storebridge import http
from storebridge._http import Client
from storebridge.auth import TokenEndpointUnreachable
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import world

NB_TOKEN = "nb-secret-token-4f3e2d1c"
NEXT_TOKEN = "next-secret-token-9a8b7c6d"
SINGLE_TRY = storebridge.StoreOptions(retry=storebridge.RetryPolicy(max_attempts=1))
KINDS = ("refused", "timeout_after", "reset_after")


def reachable_text(error: BaseException) -> str:
    """Everything reachable from ``error``: its text and traceback, its attributes, the
    errors linked to it (recursively) and any request or answer they hold (URL, headers)."""
    out: list[str] = []
    seen: set[int] = set()

    def walk(value: Any, depth: int) -> None:
        if id(value) in seen or depth > 8 or value is None:
            return
        seen.add(id(value))
        if isinstance(value, str | bytes):
            out.append(value if isinstance(value, str) else value.decode("latin-1"))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(value, list | tuple | set):
            for v in value:
                walk(v, depth + 1)
        elif isinstance(value, http.Request | http.Response):
            out.append(str(value.url))
            out.append(repr(list(value.headers.raw)))
            if isinstance(value, http.Response):
                walk(value.request, depth + 1)
        elif isinstance(value, BaseException):
            out.append("".join(traceback.format_exception(value)))
            walk(value.__cause__, depth + 1)
            walk(value.__context__, depth + 1)
            walk(getattr(value, "_request", None), depth + 1)
            walk(vars(value), depth + 1)

    walk(error, 0)
    return "\n".join(out)


def answers(request: http.Request) -> http.Response:
    return http.Response(200, json={})


def failing(kind: str, path_part: str = "", seen: list[http.Request] | None = None) -> Any:
    """A transport whose requests to a path containing ``path_part`` fail with ``kind``;
    ``seen`` collects those requests, as sent (credentials on them)."""

    def script(_n: int, request: http.Request) -> str | None:
        if path_part not in request.url.path:
            return None
        if seen is not None:
            seen.append(request)
        return kind

    return script


def nettbutikk(style: str, kind: str) -> tuple[storebridge.Store, list[str]]:
    sent: list[http.Request] = []
    transport = FaultTransport(http.MockTransport(answers), script=failing(kind, seen=sent))
    store = storebridge.connect(
        "24nettbutikk", base_url="https://shop.example", token=NB_TOKEN, auth_style=style,
        transport=transport, options=SINGLE_TRY,
    )  # fmt: skip
    basic = base64.b64encode(f"{NB_TOKEN}:x-oauth-basic".encode()).decode()
    return store, [NB_TOKEN, basic, basic[:16]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("style", ["basic", "query"])
def test_24nettbutikk_lost_request_chain_holds_no_token(style: str, kind: str) -> None:
    store, secrets = nettbutikk(style, kind)
    with store, pytest.raises(storebridge.TransportError) as err:
        store.orders.get("1")
    text = reachable_text(err.value)
    assert "24Nettbutikk" in text and ("Error" in text or "Timeout" in text)  # the walk saw it
    for secret in secrets:
        assert secret not in text


@pytest.mark.parametrize("style", ["basic", "query"])
def test_24nettbutikk_raw_request_chain_holds_no_token(style: str) -> None:
    store, secrets = nettbutikk(style, "refused")
    with store, pytest.raises(storebridge.TransportError) as err:
        store.request("GET", "/api/v1/orders/1")
    text = reachable_text(err.value)
    for secret in secrets:
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_29next_lost_request_chain_holds_no_token(kind: str) -> None:
    transport = FaultTransport(http.MockTransport(answers), script=failing(kind))
    with (
        storebridge.connect(
            "29next", base_url="https://shop.example/api/admin", access_token=NEXT_TOKEN,
            transport=transport, options=SINGLE_TRY,
        ) as store,
        pytest.raises(storebridge.TransportError) as err,
    ):  # fmt: skip
        store.orders.get("1")
    assert NEXT_TOKEN not in reachable_text(err.value)


@pytest.mark.parametrize("kind", KINDS)
def test_29next_async_lost_request_chain_holds_no_token(kind: str) -> None:
    transport = FaultTransport(http.MockTransport(answers), script=failing(kind))

    async def main() -> BaseException:
        async with storebridge.connect_async(
            "29next", base_url="https://shop.example/api/admin", access_token=NEXT_TOKEN,
            transport=transport, options=SINGLE_TRY,
        ) as store:  # fmt: skip
            try:
                await store.orders.get("1")
            except storebridge.TransportError as exc:
                return exc
        raise AssertionError("no TransportError")

    assert NEXT_TOKEN not in reachable_text(asyncio.run(main()))


def shopline_secrets(w: Any, sent: list[http.Request]) -> list[str]:
    """The credentials: app secret, access token, and every header a lost request carried
    that authenticates it (sign, appkey, Authorization)."""
    secrets = [w.settings["app_secret"], w.settings["access_token"]]
    for request in sent:
        for name in ("sign", "appkey", "authorization"):
            if name in request.headers:
                secrets.append(request.headers[name])
    return secrets


@pytest.mark.parametrize("kind", KINDS)
def test_shopline_lost_token_refresh_chain_holds_no_signature(kind: str) -> None:
    w = world(orders=2, rate_limit=False, token_lifetime=3600.0)
    sent: list[http.Request] = []
    transport = FaultTransport(w.emulator.transport(), script=failing(kind, "/refresh", sent))
    options = w.options(retry=storebridge.RetryPolicy(max_attempts=1))
    with w.connect(transport=transport, options=options) as store:
        w.clock.advance(3600 - 100)  # the token is due: the refresh goes first
        with pytest.raises(storebridge.TokenRefreshError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
    assert sent and all("sign" in request.headers for request in sent)
    text = reachable_text(err.value)
    assert "no answer" in text
    for secret in shopline_secrets(w, sent):
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_shopline_lost_api_request_chain_holds_no_bearer_token(kind: str) -> None:
    w = world(orders=2, rate_limit=False)
    sent: list[http.Request] = []
    transport = FaultTransport(w.emulator.transport(), script=failing(kind, "/orders", sent))
    options = w.options(retry=storebridge.RetryPolicy(max_attempts=1))
    with w.connect(transport=transport, options=options) as store:
        with pytest.raises(storebridge.TransportError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
    assert sent and all("authorization" in request.headers for request in sent)
    text = reachable_text(err.value)
    for secret in shopline_secrets(w, sent):
        assert secret not in text


def test_unreachable_token_endpoint_error_keeps_the_reason_but_not_the_request() -> None:
    """Outside the facade too (a RefreshingTokenAuth on a client of one's own), the error
    says what went wrong, without linking the lost token request."""
    w = world(orders=1, rate_limit=False, token_lifetime=3600.0)
    sent: list[http.Request] = []
    transport = FaultTransport(
        w.emulator.transport(), script=failing("reset_after", "/refresh", sent)
    )
    with w.connect(transport=transport) as store:
        auth = store.adapter.auth
    w.clock.advance(3600 - 100)
    caught: list[BaseException] = []
    with Client(transport=transport, auth=auth) as client:
        try:
            client.get(f"{w.settings['base_url']}/admin/openapi/v20260301/orders.json")
        except TokenEndpointUnreachable as exc:
            caught.append(exc)
    assert caught and "ReadError" in str(caught[0])
    assert getattr(caught[0], "reason", "").startswith("ReadError")
    text = reachable_text(caught[0])
    for secret in shopline_secrets(w, sent):
        assert secret not in text
