"""SHOPLINE tokens: proactive refresh, one refresh under concurrency, 401 retry, token stores,
private apps and the OAuth code exchange, against the emulator (in-process and on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import (
    AuthenticationError,
    FileTokenStore,
    MemoryTokenStore,
    OutcomeUnknown,
    RateLimit,
    TokenRefreshError,
    TransportError,
)
from storebridge.http import Request, Response
from storebridge.model import CustomerDraft
from storebridge.sandbox import Fault, json_response
from storebridge_shopline import ShoplineAdapter, ShoplineEmulator, exchange_code
from storebridge_shopline._oauth import refresh_token_request
from tests.adapters.shopline.support import ROOT, World, world

FAST = RateLimit(per_second=10_000, burst=10_000)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def record_statuses(emulator: ShoplineEmulator) -> list[tuple[str, int]]:
    """Every (path, status) the emulator answers from now on."""
    seen: list[tuple[str, int]] = []
    original: Callable[[Request], Response] = emulator.handle

    def handle(request: Request) -> Response:
        response = original(request)
        seen.append((request.url.path, response.status_code))
        return response

    emulator.handle = handle  # type: ignore[method-assign]
    return seen


def bearer(request: Any) -> str:
    return str(request.headers.get("authorization", ""))[7:]


def test_long_listing_on_loopback_refreshes_before_every_expiry() -> None:
    # 5-second tokens; the facade's 4/s pacing moves the shared fake clock, so listing
    # 600 orders five at a time takes about 20 fake seconds: several token lifetimes. One
    # request in flight: concurrent sleeps on one fake clock would add up, not overlap.
    w = world(orders=600, token_lifetime=5.0)
    store_tokens = MemoryTokenStore()
    statuses = record_statuses(w.emulator)
    with w.emulator.serve() as url:
        settings = {**w.settings, "base_url": url, "token_store": store_tokens}
        settings["refresh_leeway"] = 1.0
        options = w.options(max_concurrency=1)
        with storebridge.connect("shopline", options=options, **settings) as store:
            orders = list(store.orders.list(page_size=5))
            refreshes = store.adapter.refresh_count  # type: ignore[attr-defined]
    assert len(orders) == 600 and len({o.ref for o in orders}) == 600
    assert w.clock.now() - 1_767_225_600.0 > 3 * 5.0  # several lifetimes went by
    assert refreshes >= 3
    assert w.emulator.refreshes == refreshes == len(store_tokens.saved)
    assert all(status == 200 for _, status in statuses), [s for s in statuses if s[1] != 200]
    # Each saved token is the one the emulator issued, and each was used afterwards.
    issued = [t.value for t in w.emulator.tokens.issued[1:]]
    assert [t.access_token.reveal() for _, t in store_tokens.saved] == issued
    used = {bearer(r) for r in w.emulator.requests if "/openapi/" in r.path}
    assert set(issued) <= used


def run_together(count: int, work: Callable[[], object]) -> list[BaseException]:
    """Run ``work`` in ``count`` threads released at the same moment; their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _due_world(**options: Any) -> World:
    w = world(orders=5, rate_limit=False, token_lifetime=3600.0, **options)
    w.settings["refresh_leeway"] = 600.0
    return w


def test_eight_threads_share_one_refresh_per_expiry() -> None:
    w = _due_world()
    ref = next(iter(w.emulator.orders))
    tokens = MemoryTokenStore()
    with w.emulator.serve() as url:
        settings = {**w.settings, "base_url": url, "token_store": tokens}
        with storebridge.connect(
            "shopline", options=w.options(rate_limit=FAST), **settings
        ) as store:
            for round_ in (1, 2):
                w.clock.advance(3600 - 300)  # inside the leeway, before expiry
                errors = run_together(8, lambda: [store.orders.get(ref) for _ in range(3)])
                assert errors == []
                assert w.emulator.refreshes == round_
                assert len(tokens.saved) == round_


@pytest.mark.anyio
async def test_fifty_async_listings_share_one_refresh_per_expiry() -> None:
    w = _due_world()
    tokens = MemoryTokenStore()
    with w.emulator.serve() as url:
        settings = {**w.settings, "base_url": url, "token_store": tokens}
        options = w.options(rate_limit=FAST, max_concurrency=50)
        async with storebridge.connect_async("shopline", options=options, **settings) as store:

            async def listing() -> int:
                return len([o async for o in store.orders.list(page_size=2)])

            for round_ in (1, 2):
                w.clock.advance(3600 - 300)
                counts = await asyncio.gather(*(listing() for _ in range(50)))
                assert counts == [5] * 50
                assert w.emulator.refreshes == round_
                assert len(tokens.saved) == round_


@pytest.mark.anyio
async def test_unknown_expiry_refreshes_once_after_401_under_concurrency() -> None:
    w = world(orders=3, rate_limit=False, token_lifetime=3600.0)
    del w.settings["token_expires_at"]
    statuses = record_statuses(w.emulator)
    with w.emulator.serve() as url:
        settings = {**w.settings, "base_url": url}
        options = w.options(rate_limit=FAST, max_concurrency=50)
        async with storebridge.connect_async("shopline", options=options, **settings) as store:
            w.clock.advance(3601)
            ref = next(iter(w.emulator.orders))
            found = await asyncio.gather(*(store.orders.get(ref) for _ in range(20)))
    assert {o.ref for o in found} == {ref}
    assert w.emulator.refreshes == 1
    assert sum(1 for _, status in statuses if status == 401) >= 1


def test_401_then_refresh_then_retry_in_process() -> None:
    w = world(orders=3, rate_limit=False, token_lifetime=3600.0)
    del w.settings["token_expires_at"]
    with w.connect() as store:
        w.clock.advance(4000)
        assert len(list(store.orders.list())) == 3
        assert w.emulator.refreshes == 1


def test_old_token_lives_five_minutes_after_refresh() -> None:
    w = world(orders=2, rate_limit=False)
    old = w.settings["access_token"]
    with w.connect(refresh_leeway=3600) as store:
        w.clock.advance(10 * 3600 - 3000)  # due (inside the leeway), far from expiry
        list(store.orders.list())
        assert w.emulator.refreshes == 1
    # Reuse the old token as a plain bearer token (never refreshed) to see when it dies.
    check = {**w.settings, "token_expires_at": None, "private_app": True}
    check.update(app_key=None, app_secret=None)
    w.clock.advance(299)
    with w.connect(**check) as old_store:
        assert old_store.adapter.settings.access_token.reveal() == old
        list(old_store.orders.list())  # still inside the 5-minute grace
        w.clock.advance(2)
        with pytest.raises(AuthenticationError):
            list(old_store.orders.list())


def test_failed_refresh_raises_and_stores_nothing() -> None:
    w = _due_world()
    tokens = MemoryTokenStore()
    with w.connect(app_secret="not-the-secret", token_store=tokens) as store:
        w.clock.advance(3600 - 300)
        with pytest.raises(TokenRefreshError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
        assert "SIGN_ERROR" in str(err.value)
        assert "not-the-secret" not in str(err.value)
    assert tokens.saved == []
    assert w.emulator.refreshes == 0


def test_token_endpoint_5xx_is_retried_then_refused() -> None:
    w = _due_world()
    w.emulator.inject(Fault(kind="status", status=500, path="/admin/oauth/token/refresh", times=4))
    statuses = record_statuses(w.emulator)
    tokens = MemoryTokenStore()
    with w.connect(token_store=tokens) as store:
        w.clock.advance(3600 - 300)
        with pytest.raises(TokenRefreshError):
            store.orders.get(next(iter(w.emulator.orders)))
        before = store.adapter.token  # type: ignore[attr-defined]
        assert before.access_token.reveal() == w.settings["access_token"]
        assert store.adapter.refresh_count == 0  # type: ignore[attr-defined]
    assert tokens.saved == []
    assert [s for p, s in statuses if p == "/admin/oauth/token/refresh"] == [500] * 4
    # The backoff between the four attempts went through the store's sleep, not real time.
    assert len(w.sleeps) == 3 and all(0 < s <= 8.0 for s in w.sleeps)


@pytest.mark.anyio
async def test_async_token_endpoint_backoff_waits_the_stores_way() -> None:
    w = _due_world()
    w.emulator.inject(Fault(kind="status", status=503, path="/admin/oauth/token/refresh", times=2))
    async with w.connect_async() as store:
        w.clock.advance(3600 - 300)
        await store.orders.get(next(iter(w.emulator.orders)))
        assert store.adapter.refresh_count == 1  # type: ignore[attr-defined]
    assert len(w.sleeps) == 2 and all(0 < s <= 8.0 for s in w.sleeps)


def test_file_token_store_is_private_and_reused(tmp_path: Path) -> None:
    w = _due_world()
    path = tmp_path / "tokens.json"
    with w.connect(token_store=FileTokenStore(path)) as store:
        w.clock.advance(3600 - 300)
        store.orders.get(next(iter(w.emulator.orders)))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    new_token = w.emulator.tokens.issued[-1].value
    assert new_token in path.read_text()
    # A later connection given the original (older) token picks the stored, newer one.
    with w.connect(token_store=FileTokenStore(path)) as again:
        again.orders.get(next(iter(w.emulator.orders)))
    assert bearer(w.emulator.requests[-1]) == new_token
    assert w.emulator.refreshes == 1


def test_private_app_expired_token_says_how_to_renew() -> None:
    w = world(orders=2, rate_limit=False, private_app=True, private_token_lifetime=100.0)
    with w.connect() as store:
        assert len(list(store.orders.list())) == 2
        w.clock.advance(101)
        sent = len(w.emulator.requests)
        with pytest.raises(AuthenticationError) as err:
            list(store.orders.list())
        assert "store admin" in str(err.value)
        assert len(w.emulator.requests) == sent  # refused before sending
    unknown = {**w.settings, "token_expires_at": None}
    with w.connect(**unknown) as store:
        with pytest.raises(AuthenticationError) as err:
            list(store.orders.list())
        assert err.value.status == 401 and "store admin" in str(err.value)
    assert w.emulator.refreshes == 0


def test_private_token_rotated_in_admin_keeps_old_one_thirty_minutes() -> None:
    w = world(orders=1, rate_limit=False, private_app=True)
    w.emulator.rotate_private_token()
    with w.connect() as store:
        w.clock.advance(29 * 60)
        list(store.orders.list())
        w.clock.advance(2 * 60)
        with pytest.raises(AuthenticationError):
            list(store.orders.list())


def test_exchange_code_for_a_token() -> None:
    w = world(orders=1, rate_limit=False)
    code = w.emulator.issue_code()
    kwargs: dict[str, Any] = {
        "app_key": w.emulator.app_key,
        "app_secret": w.emulator.app_secret,
        "base_url": ROOT,
        "transport": w.emulator.transport(),
        "clock": w.clock.now,
    }
    token = exchange_code(code, **kwargs)
    assert token.expires_at is not None
    assert token.expires_at.timestamp() == pytest.approx(w.clock.now() + 10 * 3600, abs=1)
    assert token.scope and "read_orders" in token.scope
    with pytest.raises(TokenRefreshError):  # a code works once
        exchange_code(code, **kwargs)
    with pytest.raises(TokenRefreshError):
        exchange_code(w.emulator.issue_code(), **{**kwargs, "app_secret": "wrong-secret"})
    body = w.emulator.requests[0]
    assert body.body == b'{"code":"' + code.encode() + b'"}'  # compact, as signed


def test_token_endpoint_rules() -> None:
    w = world(orders=1, rate_limit=False, min_refresh_interval=60.0)
    client = w.emulator.transport()

    def refresh(clock: Callable[[], float], content: bytes = b"") -> dict[str, Any]:
        request = refresh_token_request(
            ROOT, app_key=w.emulator.app_key, app_secret=w.emulator.app_secret, clock=clock
        )
        if content:
            request = Request("POST", request.url, headers=request.headers, content=content)
        response = client.handle_request(request)
        response.read()
        assert "traceid" in response.headers
        return response.json()  # type: ignore[no-any-return]

    assert refresh(w.clock.now)["code"] == 200
    assert refresh(w.clock.now)["i18nCode"] == "REQUEST_FREQUENTLY"
    w.clock.advance(61)
    assert refresh(w.clock.now, b"{}")["code"] == 200  # tolerated: signed as an empty body
    w.clock.advance(61)
    assert refresh(w.clock.now, b'{"x":1}')["i18nCode"] == "PARAM_ERROR"
    assert refresh(lambda: w.clock.now() - 601)["i18nCode"] == "TIMESTAMP_EXPIRED"


# Token edge cases: each asserts how many refreshes happened ------------------------------


def test_store_and_async_store_on_one_adapter_share_one_refresh() -> None:
    w = _due_world()
    w.emulator.latency = 0.1  # every answer is slow, so the two sides overlap
    ref = next(iter(w.emulator.orders))
    adapter = ShoplineAdapter.from_settings(**w.settings)
    options = w.options(rate_limit=FAST)
    w.clock.advance(3600 - 300)
    start = threading.Barrier(2)
    found: list[str] = []

    def sync_side() -> None:
        with storebridge.Store(adapter, options=options, transport=w.emulator.transport()) as s:
            start.wait()
            found.extend(s.orders.get(ref).ref for _ in range(2))

    async def async_side() -> None:
        transport = w.emulator.transport()
        async with storebridge.AsyncStore(adapter, options=options, transport=transport) as s:
            start.wait()
            orders = await asyncio.gather(*(s.orders.get(ref) for _ in range(4)))
            found.extend(o.ref for o in orders)

    thread = threading.Thread(target=sync_side)
    thread.start()
    asyncio.run(async_side())
    thread.join()
    assert found == [ref] * 6
    assert w.emulator.refreshes == adapter.refresh_count == 1


def test_two_stores_sharing_a_file_token_store_refresh_once(tmp_path: Path) -> None:
    w = _due_world()
    ref = next(iter(w.emulator.orders))
    path = tmp_path / "tokens.json"
    first = w.connect(token_store=FileTokenStore(path))
    second = w.connect(token_store=FileTokenStore(path))
    with first, second:
        w.clock.advance(3600 - 300)
        first.orders.get(ref)
        second.orders.get(ref)  # finds the token the first store saved
        assert first.adapter.refresh_count == 1  # type: ignore[attr-defined]
        assert second.adapter.refresh_count == 0  # type: ignore[attr-defined]
    assert w.emulator.refreshes == 1
    assert bearer(w.emulator.requests[-1]) == w.emulator.tokens.issued[-1].value


WORKER = """
import sys
import storebridge
from storebridge import FileTokenStore

url, path, now, token, expires, app_key, secret, ref = sys.argv[1:9]
settings = {
    "base_url": url, "access_token": token, "token_expires_at": float(expires),
    "app_key": app_key, "app_secret": secret, "refresh_leeway": 600.0,
    "clock": lambda: float(now), "token_store": FileTokenStore(path),
}
with storebridge.connect("shopline", **settings) as store:
    print("ready", flush=True)
    sys.stdin.readline()
    store.orders.get(ref)
    print(store.adapter.refresh_count, flush=True)
"""


def test_two_processes_sharing_a_token_file_refresh_once(tmp_path: Path) -> None:
    w = _due_world()
    w.emulator.latency = 0.2  # a slow refresh: the second process arrives while it runs
    ref = next(iter(w.emulator.orders))
    w.clock.advance(3600 - 300)
    expires = w.settings["token_expires_at"].timestamp()
    with w.emulator.serve() as url:
        args = [
            url, str(tmp_path / "tokens.json"), str(w.clock.now()), w.settings["access_token"],
            str(expires), w.emulator.app_key, w.emulator.app_secret, ref,
        ]  # fmt: skip
        workers = [
            subprocess.Popen(  # noqa: S603 - this interpreter running the script above
                [sys.executable, "-c", WORKER, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = []
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # release both at once
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            out, _ = worker.communicate(timeout=60)
            assert worker.returncode == 0
            outputs.append(int(out.strip()))
    assert sorted(outputs) == [0, 1]
    assert w.emulator.refreshes == 1


def test_documented_file_token_store_works_from_a_fresh_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    w = _due_world()
    with w.connect(token_store=FileTokenStore("~/.config/acme/shopline-tokens.json")) as store:
        w.clock.advance(3600 - 300)
        store.orders.get(next(iter(w.emulator.orders)))
    path = tmp_path / ".config" / "acme" / "shopline-tokens.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert w.emulator.tokens.issued[-1].value in path.read_text()
    assert w.emulator.refreshes == 1


def test_token_living_shorter_than_the_leeway_is_refreshed_once_per_lifetime() -> None:
    lifetime = 60.0
    w = world(orders=3, rate_limit=False, token_lifetime=lifetime)
    ref = next(iter(w.emulator.orders))
    with w.connect(refresh_leeway=600.0) as store:
        start = w.clock.now()
        for _ in range(100):  # a call every 3 s for five minutes: five token lifetimes
            store.orders.get(ref)
            w.clock.advance(3.0)
        elapsed = w.clock.now() - start
        refreshes = store.adapter.refresh_count  # type: ignore[attr-defined]
    assert elapsed / lifetime <= refreshes <= 1 + elapsed / (0.9 * lifetime)
    assert w.emulator.refreshes == refreshes


@pytest.mark.anyio
async def test_one_5xx_from_the_token_endpoint_fails_none_of_fifty_callers() -> None:
    w = _due_world()
    w.emulator.inject(Fault(kind="status", status=503, path="/admin/oauth/token/refresh"))
    tokens = MemoryTokenStore()
    options = w.options(rate_limit=FAST, max_concurrency=50)
    async with w.connect_async(token_store=tokens, options=options) as store:
        w.clock.advance(3600 - 300)
        ref = next(iter(w.emulator.orders))
        found = await asyncio.gather(*(store.orders.get(ref) for _ in range(50)))
        assert store.adapter.refresh_count == 1  # type: ignore[attr-defined]
    assert [o.ref for o in found] == [ref] * 50
    assert w.emulator.refreshes == len(tokens.saved) == 1


@pytest.mark.parametrize("loopback", [False, True], ids=["in-process", "loopback"])
@pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
def test_lost_token_answer_during_a_write_neither_fails_nor_doubles_it(
    kind: str, loopback: bool
) -> None:
    w = _due_world()
    w.emulator.inject(Fault(kind=kind, path="/admin/oauth/token/refresh"))
    customers = len(w.emulator.customers)
    with contextlib.ExitStack() as stack:
        if loopback:  # real sockets: the connection is closed under the client
            url = stack.enter_context(w.emulator.serve())
            settings = {**w.settings, "base_url": url}
            connected = storebridge.connect("shopline", options=w.options(), **settings)
        else:
            connected = w.connect()
        store = stack.enter_context(connected)
        w.clock.advance(3600 - 300)
        created = store.customers.create(CustomerDraft(email="kari@example.com"))
        assert store.adapter.refresh_count == 1  # type: ignore[attr-defined]
    assert created.email == "kari@example.com"
    assert len(w.emulator.customers) == customers + 1
    assert len(w.sleeps) == 1  # the unsent write waited once (backoff), then went out
    assert w.emulator.refreshes == (2 if kind == "drop_after" else 1)


def _answering(emulator: ShoplineEmulator, data: dict[str, Any]) -> None:
    """Make the token endpoint answer ``data`` (wrapped as SHOPLINE wraps it)."""
    original: Callable[[Request], Response] = emulator.handle

    def handle(request: Request) -> Response:
        if request.url.path == "/admin/oauth/token/refresh":
            original(request)  # counted as a refresh by the emulator
            return json_response(200, {"code": 200, "i18nCode": "SUCCESS", "data": data})
        return original(request)

    emulator.handle = handle  # type: ignore[method-assign]


FUTURE = "2026-01-01T11:00:00.000+00:00"
BAD_TOKEN_ANSWERS: dict[str, dict[str, Any]] = {
    "non-ASCII accessToken": {"accessToken": "tök-ü-123456", "expireTime": FUTURE},
    "accessToken with CRLF": {"accessToken": "tok\r\nX-Evil: 1", "expireTime": FUTURE},
    "empty accessToken": {"accessToken": "", "expireTime": FUTURE},
    "no accessToken": {"expireTime": FUTURE},
    "no expireTime": {"accessToken": "tok-new-123456"},
    "expireTime not a date": {"accessToken": "tok-new-123456", "expireTime": "soon"},
    "huge expireTime": {"accessToken": "tok-new-123456", "expireTime": 10**30},
    "huge expireTime text": {"accessToken": "tok-new-123456", "expireTime": "9" * 40},
    "infinite expireTime": {"accessToken": "tok-new-123456", "expireTime": float("inf")},
    "year 9999": {"accessToken": "tok-new-123456", "expireTime": "9999-12-31T00:00:00Z"},
    "expired already": {"accessToken": "tok-new-123456", "expireTime": "2025-01-01T00:00Z"},
}


@pytest.mark.parametrize("case", sorted(BAD_TOKEN_ANSWERS))
def test_malformed_token_answer_is_refused_and_nothing_saved(case: str) -> None:
    w = _due_world()
    _answering(w.emulator, BAD_TOKEN_ANSWERS[case])
    tokens = MemoryTokenStore()
    with w.connect(token_store=tokens) as store:
        w.clock.advance(3600 - 300)
        with pytest.raises(TokenRefreshError) as err:
            store.orders.get(next(iter(w.emulator.orders)))
        kept = store.adapter.token  # type: ignore[attr-defined]
        assert kept.access_token.reveal() == w.settings["access_token"]
        assert store.adapter.refresh_count == 0  # type: ignore[attr-defined]
    assert tokens.saved == []
    assert "tök" not in str(err.value) and "Evil" not in str(err.value)
    assert not isinstance(err.value.__cause__, OverflowError | OSError)
    # Infinity is not JSON: a body that cannot be read at all is taken as mangled on the
    # way and asked again, like a 5xx, within the retry budget (4 attempts here).
    assert w.emulator.refreshes == (4 if case == "infinite expireTime" else 1)


def test_unreachable_token_endpoint_fails_a_write_as_not_sent_after_backoff() -> None:
    w = _due_world()
    w.emulator.inject(Fault(kind="drop_before", path="/admin/oauth/token/refresh", times=100))
    statuses = record_statuses(w.emulator)
    customers = len(w.emulator.customers)
    with w.connect() as store:
        w.clock.advance(3600 - 300)
        with pytest.raises(TokenRefreshError) as err:
            store.customers.create(CustomerDraft(email="kari@example.com"))
    # A refresh failure, not an unknown outcome: the write never left, which the message says.
    assert not isinstance(err.value, OutcomeUnknown | TransportError)
    assert "no answer" in str(err.value) and "was not sent" in str(err.value)
    assert len(w.emulator.customers) == customers
    assert statuses == []  # every attempt was a token call that got no answer
    assert len(w.sleeps) == 3  # four attempts, capped exponential backoff between them
    assert w.sleeps == sorted(w.sleeps) and max(w.sleeps) <= 8.0


def test_a_401_does_not_switch_to_a_stored_token_that_expired_too(tmp_path: Path) -> None:
    """With the configured token's expiry unknown, a 401 took any other token the store
    held, even one past its own expiry: the call failed instead of refreshing."""
    from datetime import UTC, datetime

    from storebridge import FileTokenStore, Token
    from storebridge_shopline._auth import token_store_key
    from storebridge_shopline.emulator.wire import ALL_SCOPES

    w = world(orders=3, rate_limit=False, token_lifetime=3600.0)
    del w.settings["token_expires_at"]
    path = tmp_path / "tokens.json"
    with w.connect(token_store=FileTokenStore(path)) as probe:
        key = token_store_key(probe.adapter.settings)
    earlier = w.emulator.tokens.issue(
        app_key=w.emulator.app_key, private=False, scope=ALL_SCOPES, now=w.clock.now(),
        lifetime=3600.0,
    )  # fmt: skip
    issued = datetime.fromtimestamp(w.clock.now(), UTC)
    expires = datetime.fromtimestamp(w.clock.now() + 3600, UTC)
    FileTokenStore(path).save(key, Token(access_token=earlier.value, expires_at=expires,
                                         issued_at=issued))  # fmt: skip
    w.clock.advance(4000)  # both the configured and the stored token are past their time
    with w.connect(token_store=FileTokenStore(path)) as store:
        assert len(list(store.orders.list())) == 3
    assert w.emulator.refreshes == 1
