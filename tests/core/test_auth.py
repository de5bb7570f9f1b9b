"""Refreshing tokens: before expiry, once under concurrency, on 401, and stored safely.

The token emulator and refresher here serve the other token tests too.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storebridge import TokenRefreshError
from storebridge._http import AsyncClient, Client
from storebridge.auth import (
    FileTokenStore,
    MemoryTokenStore,
    RefreshingTokenAuth,
    Token,
    TokenStore,
)
from storebridge.http import Request, Response
from storebridge.sandbox import (
    Emulator,
    EmulatorRequest,
    FakeClock,
    Fault,
    HTTPProblem,
    json_response,
)

LIFETIME = 60.0
LEEWAY = 10.0
URL = "https://api.example"


class TokenEmulator(Emulator):
    platform = "tokens"

    def __init__(self, clock: FakeClock, lifetime: float = LIFETIME) -> None:
        super().__init__(clock=clock)
        self.lifetime = lifetime
        self.valid: dict[str, float] = {"tok-0": clock.now() + lifetime}
        self.refreshes = 0
        self.refresh_attempts = 0
        """Requests that reached /refresh, including those an injected fault answered."""
        self.refresh_delay = 0.0
        """Real seconds a refresh takes, so concurrent callers overlap it."""
        self.answer: Callable[[str, float], dict[str, Any]] | None = None
        """Replaces the body of the next refresh answers (for malformed-token cases)."""
        self.route("POST", "/refresh", self.refresh)
        self.route("GET", "/data", self.data)

    def handle(self, request: Request) -> Response:
        if request.url.path == "/refresh":
            with self.lock:
                self.refresh_attempts += 1
        return super().handle(request)

    def refresh(self, req: EmulatorRequest) -> Response:
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self.lock:
            self.refreshes += 1
            token = f"tok-{self.refreshes}"
            expires = self.clock.now() + self.lifetime
            self.valid[token] = expires
        body = {"token": token, "expires_at": expires}
        if self.answer is not None:
            body = self.answer(token, expires)
        return json_response(200, body)

    def data(self, req: EmulatorRequest) -> Response:
        token = req.headers.get("x-token", "")
        if self.valid.get(token, 0) <= self.clock.now():
            raise HTTPProblem(401, {"error": "expired"})
        return json_response(200, {"ok": token})


class Refresher:
    def refresh_request(self, current: Token) -> Request:
        return Request("POST", f"{URL}/refresh")

    def parse_refresh(self, response: Response) -> Token:
        if response.status_code != 200:
            raise TokenRefreshError("refresh refused", status=response.status_code, platform="t")
        body = response.json()
        return Token(body["token"], datetime.fromtimestamp(body["expires_at"], UTC))

    def authorize(self, request: Request, token: Token) -> None:
        request.headers["x-token"] = token.access_token.reveal()


class Pauses:
    """Records backoff pauses instead of sleeping them (sync and async).

    ``real``: seconds actually slept per pause, so that concurrent callers surely queue up
    behind a refresh that is retrying.
    """

    def __init__(self, real: float = 0.0) -> None:
        self.seconds: list[float] = []
        self.real = real

    def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
        time.sleep(self.real)

    async def async_sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)


def make(
    clock: FakeClock,
    store: TokenStore | None = None,
    *,
    key: str = "tokens-test",
    pauses: Pauses | None = None,
    leeway: float = LEEWAY,
    lifetime: float = LIFETIME,
) -> RefreshingTokenAuth:
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + lifetime, UTC))
    pauses = pauses or Pauses()
    return RefreshingTokenAuth(
        first,
        Refresher(),
        store=store,
        store_key=key,
        leeway=leeway,
        clock=clock.now,
        sleep=pauses.sleep,
        async_sleep=pauses.async_sleep,
    )


def get(client: Client) -> str:
    return str(client.get(f"{URL}/data").json()["ok"])


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
    emu.inject(Fault(kind="status", status=500, path="^/refresh$", times=4))
    clock.advance(LIFETIME)
    with Client(transport=emu.transport(), auth=auth) as client, pytest.raises(TokenRefreshError):
        client.get("https://api.example/data")
    assert store.saved == []
    assert auth.token.access_token.reveal() == "tok-0"


def test_backoff_waits_given_to_the_auth_are_kept_over_a_stores() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    own = Pauses()
    auth = make(clock, pauses=own)
    theirs = Pauses()
    auth.wait_with(theirs.sleep, theirs.async_sleep)  # what a store does when it opens
    emu.inject(Fault(kind="status", status=500, path="^/refresh$", times=2))
    clock.advance(LIFETIME)
    with Client(transport=emu.transport(), auth=auth) as client:
        assert client.get(f"{URL}/data").json() == {"ok": "tok-1"}
    assert len(own.seconds) == 2 and theirs.seconds == []


def test_default_backoff_waits_become_a_stores() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + LIFETIME, UTC))
    auth = RefreshingTokenAuth(first, Refresher(), store_key="tokens-wait-with", clock=clock.now)
    theirs = Pauses()
    auth.wait_with(theirs.sleep, theirs.async_sleep)
    emu.inject(Fault(kind="status", status=500, path="^/refresh$", times=3))
    clock.advance(LIFETIME)
    with Client(transport=emu.transport(), auth=auth) as client:
        assert client.get(f"{URL}/data").json() == {"ok": "tok-1"}
    assert len(theirs.seconds) == 3


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
