"""A delivery still being handled is never acknowledged: the platform's re-delivery of it is
answered 503 (``asgi_app``) or raises DeliveryInProgress (``receive``) until the first handler
finished (then 200 duplicate / None) or failed, was cancelled, or died (then it is handled
again). Through the sandboxes' webhook senders over 127.0.0.1, a real crashed process, and
the seen-stores themselves."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge.errors import ValidationError
from storebridge.model import Change, CustomerUpdate
from storebridge.registry import adapter_class
from storebridge.sandbox import Emulator
from storebridge.sandbox.webhooks import WebhookOptions
from storebridge.webhooks import (
    DeliveryInProgress,
    DeliveryState,
    MemorySeenStore,
    SeenStore,
    SQLiteSeenStore,
    WebhookRejected,
    asgi_app,
    receive,
    serve,
)

PLATFORMS = {"29next": "https://acme.29next.store", "shopline": "https://acme.myshopline.com"}
LIMITS: dict[str, dict[str, Any]] = {"29next": {"rate_limit": None},
                                     "shopline": {"rate_limit": False}}  # fmt: skip
FAST = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
"""The stores' own pace, matching their sandboxes' (no limit): at 29 Next's documented 4
requests a second, one at a time, each test waited a quarter of a second a request to set up
a delivery, and these tests are about deliveries."""


@contextmanager
def served_sandbox(platform: str, **options: Any) -> Iterator[tuple[storebridge.Store, Emulator]]:
    """A store on a sandbox served on its own loopback port, sending real webhooks."""
    kit = adapter_class(platform).sandbox(orders=3, **LIMITS[platform], **options)
    with (
        kit.emulator.serve() as url,
        storebridge.connect(platform, options=FAST, **kit.settings(url)) as store,
    ):
        try:
            yield store, kit.emulator
        finally:
            if kit.emulator.webhooks is not None:
                kit.emulator.webhooks.close()


def _statuses(emulator: Emulator) -> list[int | None]:
    assert emulator.webhooks is not None
    return [a.status for a in emulator.webhooks.attempts]


def _update_a_customer(store: storebridge.Store, emulator: Emulator) -> str:
    customer = next(iter(store.customers.list()))
    store.customers.update(customer.ref, CustomerUpdate(last_name="Slow"))
    assert emulator.webhooks is not None and emulator.webhooks.flush(30)
    return customer.ref


# The ASGI app behind the sandboxes' senders ---------------------------------------------
@pytest.mark.parametrize("first_call_fails", [True, False], ids=["first-fails", "first-succeeds"])
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_redelivery_while_the_slow_first_attempt_runs_is_retried_not_acknowledged(
    platform: str, first_call_fails: bool
) -> None:
    """The platform stops waiting for a slow handler and delivers again. That re-delivery is
    answered 503 while the first call runs; after it raised the event is handled, after it
    returned the next delivery is a duplicate. It is never 200 before the event was handled."""
    calls: list[str] = []
    handled: list[Change] = []
    options = WebhookOptions(timeout=0.3, retry_delay=0.25, attempts=6)
    with served_sandbox(platform, webhooks=options) as (store, emulator):

        async def on_event(change: Change) -> None:
            calls.append(change.event_id or "")
            if len(calls) == 1:
                # Keep running until the platform re-delivered (at most 10 s).
                deadline = time.monotonic() + 10
                while len(_statuses(emulator)) < 2 and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                if first_call_fails:
                    raise RuntimeError("database down")
            handled.append(change)

        with serve(asgi_app(on_event, {"acme": store})) as receiver:
            store.webhooks.subscribe(["customers.updated"], f"{receiver}/acme")
            ref = _update_a_customer(store, emulator)
    statuses = _statuses(emulator)
    assert statuses[0] is None  # the platform gave up waiting for the first attempt
    assert statuses[1] == 503  # re-delivered while it ran: retried, not acknowledged
    assert statuses[-1] == 200 and set(statuses[1:-1]) <= {503}
    assert [c.ref for c in handled] == [ref]  # handled exactly once
    assert len(calls) == (2 if first_call_fails else 1)
    assert emulator.webhooks is not None
    assert {a.delivery.event_id for a in emulator.webhooks.attempts} == {handled[0].event_id}


@pytest.mark.parametrize(
    "interruption",
    [asyncio.CancelledError, KeyboardInterrupt, SystemExit],
    ids=["cancelled", "keyboard-interrupt", "system-exit"],
)
def test_a_cancelled_or_interrupted_handler_releases_its_claim(interruption: type) -> None:
    calls: list[str] = []
    handled: list[Change] = []

    async def on_event(change: Change) -> None:
        calls.append(change.event_id or "")
        if len(calls) == 1:
            raise interruption()
        handled.append(change)

    with served_sandbox("29next", webhooks=WebhookOptions(retry_delay=0.01)) as (
        store,
        emulator,
    ):
        with serve(asgi_app(on_event, {"acme": store})) as receiver:
            store.webhooks.subscribe(["customers.updated"], f"{receiver}/acme")
            ref = _update_a_customer(store, emulator)
    statuses = _statuses(emulator)
    assert statuses[0] != 200 and statuses[-1] == 200  # interrupted, then handled
    assert [c.ref for c in handled] == [ref] and len(calls) == 2


def test_the_in_progress_answer_is_a_retryable_503_with_retry_after() -> None:
    """Two requests at once for one delivery (two workers, or a platform retry): the second
    gets 503 with Retry-After, never 200; once the first finished, 200 duplicate."""
    started, release = threading.Event(), threading.Event()
    handled: list[Change] = []
    captured: list[_http.Request] = []

    def keep(request: _http.Request) -> _http.Response:
        captured.append(request)
        return _http.Response(200)

    kit = adapter_class("29next").sandbox(
        orders=3, rate_limit=None, webhooks=WebhookOptions(transport=_http.MockTransport(keep))
    )
    base = PLATFORMS["29next"]
    with storebridge.connect("29next", transport=kit.emulator.transport(), options=FAST,
                             **kit.settings(base)) as store:  # fmt: skip
        store.webhooks.subscribe(["customers.updated"], "https://hooks.example/acme")
        _update_a_customer(store, kit.emulator)

        async def on_event(change: Change) -> None:
            started.set()
            while not release.is_set():
                await asyncio.sleep(0.01)
            handled.append(change)

        request = captured[0]
        headers = {k: v for k, v in request.headers.items() if k != "content-length"}
        with serve(asgi_app(on_event, {"acme": store})) as receiver, _http.Client() as client:
            first: list[_http.Response] = []
            worker = threading.Thread(
                target=lambda: first.append(
                    client.post(f"{receiver}/acme", headers=headers, content=request.content)
                )
            )
            worker.start()
            assert started.wait(10)  # the first request holds the claim, its handler runs
            second = client.post(f"{receiver}/acme", headers=headers, content=request.content)
            assert second.status_code == 503, second.text
            assert int(second.headers["retry-after"]) > 0
            assert handled == []
            release.set()
            worker.join(10)
            third = client.post(f"{receiver}/acme", headers=headers, content=request.content)
    assert first[0].status_code == 200 and first[0].json() == {"status": "accepted"}
    assert third.status_code == 200 and third.json() == {"status": "duplicate"}
    assert len(handled) == 1


# receive(): a claim held by someone else is an error to retry, never None ----------------
def _captured_delivery(platform: str) -> tuple[storebridge.Store, dict[str, str], bytes]:
    """A store (in-process sandbox) and one delivery its sandbox signed and sent."""
    captured: list[_http.Request] = []

    def keep(request: _http.Request) -> _http.Response:
        captured.append(request)
        return _http.Response(200)

    kit = adapter_class(platform).sandbox(
        orders=3, **LIMITS[platform], webhooks=WebhookOptions(transport=_http.MockTransport(keep))
    )
    store = storebridge.connect(platform, transport=kit.emulator.transport(), options=FAST,
                                **kit.settings(PLATFORMS[platform]))  # fmt: skip
    store.webhooks.subscribe(["customers.updated"], "https://hooks.example/acme")
    _update_a_customer(store, kit.emulator)
    assert kit.emulator.webhooks is not None
    kit.emulator.webhooks.close()
    request = captured[0]
    return store, dict(request.headers.items()), request.content


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_receive_raises_delivery_in_progress_while_another_handler_runs(
    platform: str, tmp_path: Path
) -> None:
    store, headers, body = _captured_delivery(platform)
    seen = SQLiteSeenStore(tmp_path / "seen.sqlite")
    other_worker = SQLiteSeenStore(tmp_path / "seen.sqlite")
    handled: list[Change] = []
    during: list[BaseException] = []

    def slow(change: Change) -> None:
        # The platform's re-delivery reaches another worker while this one is handling it.
        try:
            receive(store, headers, body, handle=handled.append, seen=other_worker)
        except BaseException as exc:
            during.append(exc)
        raise RuntimeError("database down")

    with store, pytest.raises(RuntimeError, match="database down"):
        receive(store, headers, body, handle=slow, seen=seen)
    assert len(during) == 1 and isinstance(during[0], DeliveryInProgress)
    assert isinstance(during[0], WebhookRejected) and during[0].status == 503
    assert during[0].retry_after > 0 and "still being handled" in str(during[0])
    assert handled == []
    # The first handler failed: the next re-delivery is handled, the one after is a duplicate.
    assert receive(store, headers, body, handle=handled.append, seen=other_worker) is not None
    assert receive(store, headers, body, handle=handled.append, seen=seen) is None
    assert len(handled) == 1


CRASHING_WORKER = textwrap.dedent(
    """
    import json, os, sys
    import storebridge
    from storebridge import webhooks
    from storebridge_29next import TwentyNineNextAdapter

    headers, body, db = json.loads(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
    kit = TwentyNineNextAdapter.sandbox(rate_limit=None)
    store = storebridge.connect("29next", transport=kit.emulator.transport(),
                                **kit.settings("https://acme.29next.store"))

    def handle(change):
        os._exit(137)  # killed while handling: no release, no done

    webhooks.receive(store, headers, body, handle=handle, seen=webhooks.SQLiteSeenStore(db))
    sys.exit(0)
    """
)


def test_a_crashed_workers_claim_is_retried_until_it_expires_then_handled(
    tmp_path: Path,
) -> None:
    import json

    db = tmp_path / "seen.sqlite"
    store, headers, body = _captured_delivery("29next")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    code = subprocess.call(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", CRASHING_WORKER, json.dumps(headers), body.hex(), str(db)],
        env=env,
        timeout=120,
    )
    assert code == 137
    handled: list[Change] = []
    hold = 1.5
    with store:
        with pytest.raises(DeliveryInProgress):
            receive(store, headers, body, handle=handled.append, seen=SQLiteSeenStore(db, hold))
        app = asgi_app(handled.append, {"acme": store}, seen=SQLiteSeenStore(db, hold))
        post_headers = {k: v for k, v in headers.items() if k != "content-length"}
        with serve(app) as receiver, _http.Client() as client:
            answer = client.post(f"{receiver}/acme", headers=post_headers, content=body)
            assert answer.status_code == 503 and "retry-after" in answer.headers
            assert handled == []
            time.sleep(hold + 0.1)  # the dead worker's claim expires
            answer = client.post(f"{receiver}/acme", headers=post_headers, content=body)
            assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
            answer = client.post(f"{receiver}/acme", headers=post_headers, content=body)
            assert answer.json() == {"status": "duplicate"}
    assert len(handled) == 1


def test_receive_with_seen_needs_handle() -> None:
    """Without handle= receive() cannot know when the caller finished: it refuses, rather
    than mark the delivery handled and drop the platform's retry after the caller failed."""
    store, headers, body = _captured_delivery("29next")
    seen = MemorySeenStore()
    with store:
        with pytest.raises(ValidationError, match=r"handle=") as caught:
            receive(store, headers, body, seen=seen)
        assert caught.value.field == "handle"
        # Nothing was claimed: the caller's corrected call handles it.
        handled: list[Change] = []
        assert receive(store, headers, body, handle=handled.append, seen=seen) is not None
        assert receive(store, headers, body) is not None  # no seen: no handle needed
    assert len(handled) == 1


# The seen-stores' three states ----------------------------------------------------------
def _stores(tmp_path: Path, hold: float) -> list[SeenStore]:
    return [MemorySeenStore(hold=hold), SQLiteSeenStore(tmp_path / "seen.sqlite", hold=hold)]


@pytest.mark.parametrize("kind", [0, 1], ids=["memory", "sqlite"])
def test_claims_are_new_in_progress_or_done(kind: int, tmp_path: Path) -> None:
    seen = _stores(tmp_path, hold=0.3)[kind]
    assert seen.claim("a") is DeliveryState.NEW
    assert seen.claim("a") is DeliveryState.IN_PROGRESS
    seen.release("a")
    assert seen.claim("a") is DeliveryState.NEW
    seen.done("a")
    assert seen.claim("a") is DeliveryState.DONE
    seen.release("a")  # a late release does not undo a finished delivery
    assert seen.claim("a") is DeliveryState.DONE
    assert seen.claim("b") is DeliveryState.NEW
    time.sleep(0.35)  # the claim's holder never came back
    assert seen.claim("b") is DeliveryState.NEW
    assert seen.claim("b") is DeliveryState.IN_PROGRESS
    # Truthy only when the caller got the claim, as the bool it replaced.
    assert [bool(s) for s in DeliveryState] == [True, False, False]


def test_a_seen_store_returning_bools_is_still_served_and_never_loses_a_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Legacy:
        """A store written when claim() returned a bool."""

        def __init__(self) -> None:
            self.keys: dict[str, bool] = {}

        def claim(self, key: str) -> bool:
            if key in self.keys:
                return False
            self.keys[key] = False
            return True

        def done(self, key: str) -> None:
            self.keys[key] = True

        def release(self, key: str) -> None:
            self.keys.pop(key, None)

    store, headers, body = _captured_delivery("29next")
    handled: list[Change] = []
    legacy = Legacy()
    assert isinstance(legacy, SeenStore)
    with store:
        assert receive(store, headers, body, handle=handled.append, seen=legacy) is not None
        # False cannot tell "finished" from "still running": retried, not acknowledged.
        with pytest.raises(DeliveryInProgress):
            receive(store, headers, body, handle=handled.append, seen=legacy)
    assert len(handled) == 1 and "DeliveryState" in caplog.text


def test_a_full_memory_store_never_forgets_a_delivery_still_being_handled() -> None:
    """Past its capacity the store forgot its oldest entry even while that delivery's
    handler still ran: the platform's re-delivery then came back NEW and was handled
    beside it."""
    from storebridge.webhooks import DeliveryState, MemorySeenStore

    seen = MemorySeenStore(capacity=2)
    assert seen.claim("slow") is DeliveryState.NEW  # its handler is still running
    for key in ("a", "b", "c"):
        assert seen.claim(key) is DeliveryState.NEW
        seen.done(key)
    assert seen.claim("slow") is DeliveryState.IN_PROGRESS
    assert seen.claim("a") is DeliveryState.NEW  # finished ones make room, oldest first
    seen.done("slow")
    assert seen.claim("slow") is DeliveryState.DONE
