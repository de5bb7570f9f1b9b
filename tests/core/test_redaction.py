"""A planted secret never shows up in logs (DEBUG), reprs or exception text."""

from __future__ import annotations

import logging

import pytest

import storebridge
from storebridge.auth import QueryTokenAuth
from storebridge.http import Auth
from storebridge.sandbox import Fault
from storebridge.settings import Secret
from tests.support.fakes import FakeTime
from tests.support.toy import ToyAdapter, ToyEmulator

SECRET = "plantedSECRET-9f8e7d6c5b4a"
pytestmark = pytest.mark.usefixtures("toy_registered")


class QueryToyAdapter(ToyAdapter):
    """The toy platform, but with the token in the query string (the hardest case)."""

    name = "toy"

    @property
    def auth(self) -> Auth:
        return QueryTokenAuth(self.settings.token)


def test_secret_absent_from_logs_reprs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    emu = ToyEmulator(orders=3, token=SECRET)
    emu.inject(Fault(status=503, path="/orders/2"))
    texts: list[str] = []
    with storebridge.connect(
        "toy", base_url="https://toy.example", token=SECRET,
        transport=emu.transport(), options=FakeTime().options(),
    ) as store:  # fmt: skip
        list(store.orders.list())
        store.orders.get("2")
        texts += [repr(store), repr(store.adapter), repr(store.adapter.settings)]
        texts.append(repr(store.adapter.auth))
        with pytest.raises(storebridge.NotFound) as info:
            store.orders.get("missing")
        texts += [str(info.value), repr(info.value), str(info.value.url)]
    texts += [r.getMessage() for r in caplog.records]
    assert any("GET https://toy.example/orders" in t for t in texts)  # logging did happen
    for text in texts:
        assert SECRET not in text


def test_query_token_is_masked_in_urls_of_logs_and_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: storebridge.http.Request) -> storebridge.http.Response:
        assert request.url.params["access_token"] == SECRET  # it is really sent
        return storebridge.http.Response(404, json={"detail": f"nothing at {request.url}"})

    adapter = QueryToyAdapter.from_settings(base_url="https://toy.example", token=SECRET)
    store = storebridge.Store(
        adapter, transport=storebridge.http.MockTransport(handler), options=FakeTime().options()
    )
    with store, pytest.raises(storebridge.NotFound) as info:
        store.orders.get("1")
    texts = [str(info.value), info.value.message, str(info.value.url)]
    texts += [r.getMessage() for r in caplog.records]
    assert any("access_token=***" in t for t in texts)
    for text in texts:
        assert SECRET not in text


def test_secret_type_masks_itself() -> None:
    secret = Secret(SECRET)
    assert SECRET not in repr(secret) and SECRET not in str(secret) and SECRET not in f"{secret}"
    assert secret.reveal() == SECRET


def test_transport_error_text_is_redacted() -> None:
    def boom(request: storebridge.http.Request) -> storebridge.http.Response:
        from storebridge._http import ConnectError

        raise ConnectError(f"cannot reach {request.url}", request=request)

    adapter = QueryToyAdapter.from_settings(base_url="https://toy.example", token=SECRET)
    store = storebridge.Store(
        adapter, transport=storebridge.http.MockTransport(boom), options=FakeTime().options()
    )
    with store, pytest.raises(storebridge.TransportError) as info:
        store.orders.get("1")
    assert SECRET not in str(info.value)


def test_secrets_learned_after_connect_are_masked_too() -> None:
    """A token refreshed mid-session must be masked like the first one."""
    fresh = "refreshed-token-7a6b5c4d3e"

    class RotatingToyAdapter(QueryToyAdapter):
        rotated: list[str] = []  # noqa: RUF012 - shared on purpose within this test

        @property
        def secrets(self) -> list[str]:
            return [self.settings.token.reveal(), *self.rotated]

    def handler(request: storebridge.http.Request) -> storebridge.http.Response:
        return storebridge.http.Response(404, json={"detail": f"token {fresh} is unknown"})

    adapter = RotatingToyAdapter.from_settings(base_url="https://toy.example", token=SECRET)
    store = storebridge.Store(
        adapter, transport=storebridge.http.MockTransport(handler), options=FakeTime().options()
    )
    RotatingToyAdapter.rotated.append(fresh)  # as a refresh would, after connect
    with store, pytest.raises(storebridge.NotFound) as info:
        store.orders.get("1")
    assert fresh not in str(info.value) and "token *** is unknown" in str(info.value)
