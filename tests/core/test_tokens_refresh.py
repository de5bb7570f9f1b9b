"""RefreshingTokenAuth edge cases, each with the number of refreshes asserted.

The token emulator of ``test_auth`` stands in for a platform; faults come from the emulator
framework (``Emulator.inject``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storebridge import TokenRefreshError
from storebridge._http import AsyncClient, Client, ConnectError
from storebridge.auth import (
    FileTokenStore,
    MemoryTokenStore,
    RefreshingTokenAuth,
    Token,
    TokenEndpointUnreachable,
)
from storebridge.http import Response
from storebridge.sandbox import FakeClock, Fault
from tests.core.test_auth import (
    LIFETIME,
    URL,
    Pauses,
    Refresher,
    TokenEmulator,
    get,
    make,
)

# One lock per credential ------------------------------------------------------------------


def test_sync_and_async_use_of_one_auth_share_one_refresh() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.refresh_delay = 0.2  # long enough for the other side to arrive meanwhile
    auth = make(clock)
    clock.advance(LIFETIME - 5)  # inside the leeway
    start = threading.Barrier(2)
    seen: list[str] = []

    def sync_side() -> None:
        with Client(transport=emu.transport(), auth=auth) as client:
            start.wait()
            seen.append(get(client))

    async def async_side() -> None:
        async with AsyncClient(transport=emu.transport(), auth=auth) as client:
            start.wait()
            answers = await asyncio.gather(*(client.get(f"{URL}/data") for _ in range(5)))
            seen.extend(a.json()["ok"] for a in answers)

    thread = threading.Thread(target=sync_side)
    thread.start()
    asyncio.run(async_side())
    thread.join()
    assert emu.refreshes == 1
    assert auth.refresh_count == 1
    assert seen == ["tok-1"] * 6


def test_two_auths_on_one_credential_and_store_refresh_once() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = MemoryTokenStore()
    first, second = make(clock, store), make(clock, store)
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=first) as client:
        assert get(client) == "tok-1"
    # The second auth still holds tok-0 in memory; under the lock it reads the store again.
    with Client(transport=emu.transport(), auth=second) as client:
        assert get(client) == "tok-1"
    assert emu.refreshes == 1
    assert (first.refresh_count, second.refresh_count) == (1, 0)
    assert [t.access_token.reveal() for _, t in store.saved] == ["tok-1"]


def test_two_file_stores_on_one_file_refresh_once(tmp_path: Path) -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    path = tmp_path / "tokens.json"
    auths = [make(clock, FileTokenStore(path)) for _ in range(2)]
    clock.advance(LIFETIME - 5)
    for auth in auths:
        with Client(transport=emu.transport(), auth=auth) as client:
            assert get(client) == "tok-1"
    assert emu.refreshes == 1


def test_401_after_another_store_refreshed_uses_the_stored_token() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = MemoryTokenStore()
    first, second = make(clock, store), make(clock, store)
    emu.valid["tok-0"] = clock.now() - 1  # revoked server-side before its expiry
    with Client(transport=emu.transport(), auth=first) as client:
        assert get(client) == "tok-1"
    with Client(transport=emu.transport(), auth=second) as client:
        assert get(client) == "tok-1"  # 401 with tok-0, then the stored tok-1, no refresh
    assert emu.refreshes == 1


# Short-lived tokens -------------------------------------------------------------------


def test_token_shorter_lived_than_the_leeway_is_refreshed_once_per_lifetime() -> None:
    lifetime = 5.0
    clock = FakeClock()
    emu = TokenEmulator(clock, lifetime=lifetime)
    auth = make(clock, leeway=600.0, lifetime=lifetime)
    used: list[str] = []
    start = clock.now()
    with Client(transport=emu.transport(), auth=auth) as client:
        for _ in range(60):
            used.append(get(client))
            clock.advance(0.5)
    elapsed = clock.now() - start  # 30 s: six lifetimes, 60 calls
    # The first token is due at once (it lives less than the leeway); every later one is
    # replaced once, when a tenth of its life is left: never on every call.
    assert elapsed / lifetime <= emu.refreshes <= 1 + elapsed / (0.9 * lifetime)
    assert emu.refreshes == auth.refresh_count == len(set(used))
    assert all(used.count(token) >= 8 for token in set(used) - {used[-1]})


# Retries of the token endpoint ----------------------------------------------------------


@pytest.mark.anyio
async def test_one_5xx_is_retried_and_fifty_callers_all_succeed() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.inject(Fault(kind="status", status=503, path="^/refresh$", times=1))
    pauses = Pauses()
    auth = make(clock, pauses=pauses)
    clock.advance(LIFETIME)
    async with AsyncClient(transport=emu.transport(), auth=auth) as client:
        answers = await asyncio.gather(*(client.get(f"{URL}/data") for _ in range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    assert {a.json()["ok"] for a in answers} == {"tok-1"}
    assert (emu.refresh_attempts, emu.refreshes, auth.refresh_count) == (2, 1, 1)
    assert len(pauses.seconds) == 1 and 0 < pauses.seconds[0] <= 8.0


def test_token_endpoint_down_retries_with_capped_backoff_then_raises_for_every_caller() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.inject(Fault(kind="status", status=502, path="^/refresh$", times=1000))
    pauses = Pauses(real=0.05)
    store = MemoryTokenStore()
    auth = make(clock, store, pauses=pauses)
    clock.advance(LIFETIME)
    errors: list[BaseException] = []
    start = threading.Barrier(8)
    with Client(transport=emu.transport(), auth=auth) as client:

        def call() -> None:
            start.wait()
            try:
                get(client)
            except TokenRefreshError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(errors) == 8
    # One caller tried four times; the seven that waited on it did not try again.
    assert emu.refresh_attempts == 4
    assert len(pauses.seconds) == 3
    assert pauses.seconds == sorted(pauses.seconds) and max(pauses.seconds) <= 8.0
    assert (emu.refreshes, auth.refresh_count, store.saved) == (0, 0, [])
    assert auth.token.access_token.reveal() == "tok-0"
    assert len({id(e) for e in errors}) == 8  # a fresh exception for each caller


def test_a_refresh_after_an_earlier_failure_is_attempted_again() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.inject(Fault(kind="status", status=500, path="^/refresh$", times=4))
    auth = make(clock)
    clock.advance(LIFETIME)
    with Client(transport=emu.transport(), auth=auth) as client:
        with pytest.raises(TokenRefreshError):
            get(client)
        assert get(client) == "tok-1"
    assert (emu.refresh_attempts, emu.refreshes) == (5, 1)


@pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
def test_lost_token_answer_is_a_connection_error_and_nothing_is_kept(kind: str) -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.inject(Fault(kind=kind, path="^/refresh$", times=1))
    store = MemoryTokenStore()
    auth = make(clock, store)
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=auth) as client:
        with pytest.raises(TokenEndpointUnreachable) as err:
            get(client)
        # A connection error: the API request was never sent, so even a write may be re-sent.
        assert isinstance(err.value, ConnectError)
        assert store.saved == [] and auth.token.access_token.reveal() == "tok-0"
        assert [r.path for r in emu.requests if r.path == "/data"] == []
        assert get(client) == f"tok-{emu.refreshes}"
    assert auth.refresh_count == 1
    assert emu.refresh_attempts == 2


def test_callers_waiting_on_an_unreachable_token_endpoint_do_not_repeat_it() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.inject(Fault(kind="drop_before", path="^/refresh$", times=1))
    auth = make(clock)
    clock.advance(LIFETIME)
    errors: list[BaseException] = []
    start = threading.Barrier(6)
    with Client(transport=emu.transport(), auth=auth) as client:

        def call() -> None:
            start.wait()
            try:
                get(client)
            except TokenEndpointUnreachable as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Callers that found a new token succeed; the rest fail like the one they waited on.
        assert emu.refresh_attempts <= 2
        assert get(client) == "tok-1"
    assert emu.refreshes == 1


# A refreshed token is checked before it is stored ------------------------------------------

BAD_ANSWERS: dict[str, Callable[[str, float], dict[str, Any]]] = {
    "non-ASCII token": lambda t, e: {"token": "tök-ü-1", "expires_at": e},
    "token with a space": lambda t, e: {"token": "tok 1", "expires_at": e},
    "token with CRLF": lambda t, e: {"token": "tok\r\nX-Evil: 1", "expires_at": e},
    "empty token": lambda t, e: {"token": "", "expires_at": e},
    "blank token": lambda t, e: {"token": "   ", "expires_at": e},
    "token not a string": lambda t, e: {"token": 12345, "expires_at": e},
    "no token": lambda t, e: {"expires_at": e},
    "huge expiry": lambda t, e: {"token": t, "expires_at": 10**30},
    "infinite expiry": lambda t, e: {"token": t, "expires_at": float("inf")},
    "NaN expiry": lambda t, e: {"token": t, "expires_at": float("nan")},
    "expiry far away": lambda t, e: {"token": t, "expires_at": e + 100 * 366 * 86400},
    "expiry in the past": lambda t, e: {"token": t, "expires_at": e - 2 * LIFETIME},
    "expiry not a number": lambda t, e: {"token": t, "expires_at": "soon"},
}


class NoExpiryRefresher(Refresher):
    def parse_refresh(self, response: Response) -> Token:
        return Token(response.json()["token"])


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_malformed_refreshed_token_is_refused_and_nothing_is_saved(case: str) -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    emu.answer = BAD_ANSWERS[case]
    store = MemoryTokenStore()
    auth = make(clock, store)
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=auth) as client:
        with pytest.raises(TokenRefreshError) as err:
            get(client)
    assert store.saved == [] and auth.refresh_count == 0
    assert auth.token.access_token.reveal() == "tok-0"
    assert not isinstance(err.value.__cause__, OverflowError | OSError)
    assert "tök" not in str(err.value) and "Evil" not in str(err.value)
    assert emu.refreshes == 1


def test_refreshed_token_without_expiry_is_refused() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    store = MemoryTokenStore()
    first = Token("tok-0", datetime.fromtimestamp(clock.now() + LIFETIME, UTC))
    auth = RefreshingTokenAuth(first, NoExpiryRefresher(), store=store, leeway=10, clock=clock.now)
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=auth) as client:
        with pytest.raises(TokenRefreshError) as err:
            get(client)
    assert "no expiry" in str(err.value)
    assert store.saved == [] and auth.refresh_count == 0 and emu.refreshes == 1


class BrokenStore(MemoryTokenStore):
    def save(self, key: str, token: Token) -> None:
        raise OSError(28, "No space left on device")


def test_token_that_cannot_be_saved_is_not_used() -> None:
    clock = FakeClock()
    emu = TokenEmulator(clock)
    auth = make(clock, BrokenStore())
    clock.advance(LIFETIME - 5)
    with Client(transport=emu.transport(), auth=auth) as client:
        with pytest.raises(TokenRefreshError) as err:
            get(client)
    assert "No space left" in str(err.value)
    assert auth.token.access_token.reveal() == "tok-0" and auth.refresh_count == 0
