"""Letting go of a listing read side by side never waits for its requests on the wire.

A listing's parts (29 Next's time slices, SHOPLINE's windows) run on threads. Closing the
listing used to join those threads, which wait for the answers of their requests. The
close runs wherever the listing is let go: a ``for`` loop left by an exception leaves the
generator to the garbage collector, which finalizes it on whichever thread allocates next,
a thread of the store's request pool or of a loopback sandbox server included. There the
join waited for requests that needed that very thread (a hung worker at exit), or held the
sandbox's lock while its requests timed out (an export failing with ReadTimeouts).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

import storebridge
from storebridge import _http
from storebridge._inflight import Cascade, Signal
from storebridge.registry import adapter_class

_SAFETY = 60.0
"""Seconds a held request waits at most, so a failing test cannot hang the run."""

IN_FLIGHT = 4


class HeldOnCue(_http.BaseTransport):
    """``inner``, except that once ``hold`` is set, a request a part sends on its own
    thread waits for ``release``, its first excepted (so each part hands the reader a page;
    the listing's requests off the parts, reading its first page and planning its parts,
    go through). ``arrived`` counts the requests that reached it."""

    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.hold = threading.Event()
        self.release = threading.Event()
        self.held = 0
        self.passed: set[int] = set()
        self.in_flight = 0
        self.closed_with: int | None = None
        """Requests on the wire when the client closed it (None: not closed yet)."""
        self.arrived = 0
        self.lock = threading.Lock()

    def handle_request(self, request: _http.Request) -> _http.Response:
        with self.lock:
            self.arrived += 1
            self.in_flight += 1
        try:
            return self._handle(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def close(self) -> None:
        with self.lock:
            self.closed_with = self.in_flight

    def _handle(self, request: _http.Request) -> _http.Response:
        if self.hold.is_set() and _in_a_part():
            with self.lock:
                hold = threading.get_ident() in self.passed
                self.passed.add(threading.get_ident())
                self.held += hold
            if hold:
                self.release.wait(timeout=_SAFETY)
        return self.inner.handle_request(request)


def _read_until_a_part_is_held(listing: Iterator[Any], held: HeldOnCue) -> None:
    held.hold.set()
    # Read on while no part's request is held. A part that is not reading waits for the
    # reader to take the pages read so far, so the next item is there; each page taken
    # lets a part read its next page, whose requests are held.
    for _ in range(1000):
        if _part_threads() and _within(0.05, lambda: held.held > 0):
            break
        assert next(listing).ref
    assert held.held > 0, "no part was still reading: the test proves nothing"


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    return condition()


def _in_a_part() -> bool:
    return threading.current_thread().name.startswith("storebridge-part")


def _part_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("storebridge-part")]


def _connect(platform: str, transport: HeldOnCue) -> storebridge.Store:
    kit = adapter_class(platform).sandbox(orders=2000, rate_limit=None)
    transport.inner = kit.emulator.transport()
    return storebridge.connect(
        platform,
        transport=transport,
        options=storebridge.StoreOptions(
            rate_limit=storebridge.RateLimit(1000, 1000), max_concurrency=IN_FLIGHT
        ),
        # 29 Next reads in parts only with day windows on (the store's setting).
        **{**kit.settings("https://shop.example"), **_windows_on(platform)},
    )


def _windows_on(platform: str) -> dict[str, Any]:
    return {"day_windows": True} if platform == "29next" else {}


@pytest.fixture
def held() -> Iterator[HeldOnCue]:
    transport = HeldOnCue(_http.MockTransport(lambda request: _http.Response(500)))
    try:
        yield transport
    finally:
        transport.release.set()


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_closing_a_listing_read_in_parts_does_not_wait_for_its_requests(
    platform: str, held: HeldOnCue
) -> None:
    # A part thread of an earlier test's abandoned listing may still be ending (a request
    # on the wire ends on its own, within the client's timeout): only this test's count.
    earlier = set(_part_threads())
    with _connect(platform, held) as store:
        listing = store.orders.list()
        assert isinstance(listing, Generator)
        assert next(listing).ref
        _read_until_a_part_is_held(listing, held)
        closer = threading.Thread(target=listing.close)
        closer.start()
        closer.join(timeout=10)
        assert not closer.is_alive(), "closing the listing waited for requests on the wire"
        arrived_at_close = held.arrived
        held.release.set()
        assert _within(30, lambda: not set(_part_threads()) - earlier), _part_threads()
        # Parts stop sending once the listing is let go: what reached the transport since
        # was already on its way (at most the requests in flight), not the rest of a page.
        assert held.arrived - arrived_at_close <= IN_FLIGHT


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_a_store_closed_after_a_listing_let_go_closes_its_client_after_the_parts(
    platform: str, held: HeldOnCue
) -> None:
    """A part sends on its own thread: the store's close hands the client's close to the
    last request running, the parts' included, instead of closing it under them."""
    store = _connect(platform, held)
    listing = store.orders.list()
    assert next(listing).ref
    _read_until_a_part_is_held(listing, held)
    listing.close()  # type: ignore[attr-defined]
    store.close()
    assert held.closed_with is None, "the client closed under a part's request"
    held.release.set()
    assert _within(30, lambda: held.closed_with is not None), "the client never closed"
    assert held.closed_with == 0


@pytest.mark.parametrize("kind", [Signal, Cascade])
def test_a_signal_set_inside_its_own_wait_on_that_thread_does_not_hang(
    kind: type[Signal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Condition.wait`` allocates its waiter lock while holding the condition's lock: a
    collection starting at that allocation runs a let-go listing's finalizer there, which
    sets the signal this thread waits on (a part's stop, a read-ahead's "unwanted")."""
    signal = kind()
    real_allocate = threading._allocate_lock  # type: ignore[attr-defined]

    def allocate() -> Any:
        monkeypatch.setattr(threading, "_allocate_lock", real_allocate)
        signal.set()  # what the finalizer does, on this thread, at this allocation
        return real_allocate()

    outcome: list[bool] = []

    def waiter() -> None:
        monkeypatch.setattr(threading, "_allocate_lock", allocate)
        outcome.append(signal.wait(0.2))

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "setting the signal waited for its own thread"
    assert outcome == [True] and signal.is_set()


@pytest.mark.parametrize("platform", ["29next", "shopline"])
def test_an_async_listing_read_in_parts_sends_nothing_once_closed(platform: str) -> None:
    """Closing an async listing closes its parts before the close returns: ``async for``
    over them alone left them to the event loop's finalizer, a few turns later, and they
    went on sending meanwhile."""
    kit = adapter_class(platform).sandbox(orders=2000, rate_limit=None)
    inner = kit.emulator.transport()
    sent: list[str] = []

    async def answer(request: _http.Request) -> _http.Response:
        sent.append(str(request.url))
        await asyncio.sleep(0.001)  # parts interleave, as over a network
        return await inner.handle_async_request(request)

    async def main() -> tuple[int, int]:
        async with storebridge.connect_async(
            platform,
            transport=_http.MockTransport(answer),
            options=storebridge.StoreOptions(
                rate_limit=storebridge.RateLimit(1000, 1000), max_concurrency=IN_FLIGHT
            ),
            **kit.settings("https://shop.example"),
        ) as store:
            listing = store.orders.list()
            for _ in range(120):  # into the parts: past the first page
                await anext(listing)
            await listing.aclose()
            at_close = len(sent)
            for _ in range(50):
                await asyncio.sleep(0.002)
            return at_close, len(sent)

    at_close, later = asyncio.run(main())
    assert later == at_close, f"{later - at_close} requests sent after the listing closed"


def test_a_part_whose_close_fails_does_not_hang_the_listing_close() -> None:
    """A part's flow that raises as it is closed: its worker, cancelled, used to hand the
    error to a queue nobody read any more, and the listing's close waited forever."""
    from storebridge._engine import AsyncEngine
    from storebridge.flow import Emit

    def part(number: int) -> Any:
        try:
            for page in range(100):
                yield Emit([f"{number}-{page}"])
        finally:
            raise RuntimeError(f"part {number} failed to clean up")

    async def main() -> list[str]:
        engine = AsyncEngine.__new__(AsyncEngine)
        engine.policy = _OnePacer()  # type: ignore[assignment]
        got: list[str] = []
        pages = engine._parallel([part(n) for n in range(3)])
        async for page in pages:
            got.extend(page)
            if len(got) >= 5:
                break
        await asyncio.wait_for(pages.aclose(), timeout=10)
        return got

    assert len(asyncio.run(main())) >= 5


class _OnePacer:
    class pacer:
        @staticmethod
        def in_flight() -> int:
            return 3
