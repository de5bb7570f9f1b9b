"""Refreshing tokens: before expiry, once under concurrency, on 401, and stored safely."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storebridge import TokenRefreshError
from storebridge._http import AsyncClient, Client
from storebridge.auth import FileTokenStore, MemoryTokenStore, RefreshingTokenAuth, Token
from storebridge.http import Request, Response
from storebridge.sandbox import Emulator, EmulatorRequest, FakeClock, HTTPProblem, json_response

LIFETIME = 60.0


class TokenEmulator(Emulator):
    platform = "tokens"

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.valid: dict[str, float] = {"tok-0": clock.now() + LIFETIME}
        self.refreshes = 0
        self.fail_refresh = False
        self.route("POST", "/refresh", self.refresh)
        self.route("GET", "/data", self.data)

    def refresh(self, req: EmulatorRequest) -> Response:
        if self.fail_refresh:
            raise HTTPProblem(500, {"error": "refresh broke"})
        self.refreshes += 1
        token = f"tok-{self.refreshes}"
        self.valid[token] = self.clock.now() + LIFETIME
        return json_response(200, {"token": token, "expires_at": self.valid[token]})

    def data(self, req: EmulatorRequest) -> Response:
        token = req.headers.get("x-token", "")
        if self.valid.get(token, 0) <= self.clock.now():
            raise HTTPProblem(401, {"error": "expired"})
        return json_response(200, {"ok": token})


class Refresher:
    def refresh_request(self, current: Token) -> Request:
        return Request("POST", "https://api.example/refresh")

    def parse_refresh(self, response: Response) -> Token:
        if response.status_code != 200:
            raise TokenRefreshError("refresh refused", status=response.status_code, platform="t")
        body = response.json()
        return Token(body["token"], datetime.fromtimestamp(body["expires_at"], UTC))

    def authorize(self, request: Request, token: Token) -> None:
        request.headers["x-token"] = token.access_token.reveal()


def make(clock: FakeClock, store: MemoryTokenStore | None = None) -> RefreshingTokenAuth:
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + LIFETIME, UTC))
    return RefreshingTokenAuth(
        first, Refresher(), store=store, leeway=10, clock=clock.now, sleep=lambda _: None
    )


def test_refreshes_before_expiry_and_stores_token() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = MemoryTokenStore()
    auth = make(clock, store)
    with Client(transport=emu.transport(), auth=auth) as client:
        assert client.get("https://api.example/data").json() == {"ok": "tok-0"}
        clock.advance(LIFETIME - 5)  # inside the leeway: refresh before sending
        assert client.get("https://api.example/data").json() == {"ok": "tok-1"}
    assert emu.refreshes == 1
    assert [t.access_token.reveal() for _, t in store.saved] == ["tok-1"]


def test_401_refreshes_once_and_retries() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    auth = make(clock)
    emu.valid["tok-0"] = clock.now() - 1  # revoked early, server side
    with Client(transport=emu.transport(), auth=auth) as client:
        assert client.get("https://api.example/data").json() == {"ok": "tok-1"}
    assert emu.refreshes == 1


def test_one_refresh_for_many_threads() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    auth = make(clock)
    clock.advance(LIFETIME)
    results: list[str] = []
    with Client(transport=emu.transport(), auth=auth) as client:

        def work() -> None:
            results.append(client.get("https://api.example/data").json()["ok"])

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert emu.refreshes == 1
    assert results == ["tok-1"] * 8


@pytest.mark.anyio
async def test_one_refresh_for_many_tasks() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    auth = make(clock)
    clock.advance(LIFETIME)
    async with AsyncClient(transport=emu.transport(), auth=auth) as client:
        answers = await asyncio.gather(*(client.get("https://api.example/data") for _ in range(50)))
    assert emu.refreshes == 1
    assert {a.json()["ok"] for a in answers} == {"tok-1"}


def test_failed_refresh_raises_and_keeps_old_token() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = MemoryTokenStore()
    auth = make(clock, store)
    emu.fail_refresh = True
    clock.advance(LIFETIME)
    with Client(transport=emu.transport(), auth=auth) as client, pytest.raises(TokenRefreshError):
        client.get("https://api.example/data")
    assert store.saved == []
    assert auth.token.access_token.reveal() == "tok-0"


def test_file_token_store_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    token = Token("secret-value-1234", datetime(2027, 1, 1, tzinfo=UTC), scope="read_orders")
    store.save("shop:app", token)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.load("shop:app") == token
    assert store.load("other") is None
    assert "secret-value-1234" not in repr(store.load("shop:app"))


def test_token_dict_has_the_oauth2_field_names_and_round_trips() -> None:
    token = Token(
        "secret-value-1234",
        datetime(2027, 1, 1, tzinfo=UTC),
        scope="read_orders",
        issued_at=datetime(2026, 12, 31, 14, tzinfo=UTC),
    )
    data = token.to_oauth2()
    assert data == {
        "access_token": "secret-value-1234",
        "token_type": "Bearer",
        "expires_at": 1798761600,
        "scope": "read_orders",
        "issued_at": 1798725600,
    }
    assert Token.from_oauth2(data) == token
    assert token.lifetime == 10 * 3600
    assert "secret-value" not in repr(token)
    for bad in ({}, {"access_token": ""}, {"access_token": "t", "expires_at": 1e30}):
        with pytest.raises(ValueError, match=r"access_token|out of range") as err:
            Token.from_oauth2(bad)
        assert "secret-value" not in str(err.value)
