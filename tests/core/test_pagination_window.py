"""Reading ahead with a sliding window: the pipe stays full, the listing stays exact.

``walk(..., ahead=)`` keeps the facade's number of page requests in flight: as each page
is taken, the next guess goes out (``Start``), instead of waiting for a whole round. These
tests drive the walk step by step to see what it keeps in flight, and run it through the
sync and async facades (whose engines send started requests in the background).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from storebridge import AsyncStore, NotFound, RateLimit, ServerError, Store, StoreOptions
from storebridge.errors import PaginationError
from storebridge.flow import (
    CONCURRENCY,
    Batch,
    Collect,
    Emit,
    First,
    Forget,
    ListFlow,
    Start,
    Ticket,
    build_request,
    drive,
    validate_answer,
)
from storebridge.http import MockTransport, Request, Response
from storebridge.pagination import BodyNextUrl, walk
from storebridge.testing import FakeTime
from tests.support.stuck import StuckPastTheEnd
from tests.support.toy import ToyAdapter

BASE = "https://x.example/r"


def _offset(request: Request) -> int:
    return int(request.url.params["offset"])


def _listing(total: int, size: int = 3) -> Callable[[Request], Response]:
    """Pages of ``size`` rows (ids from 0) up to ``total``; past the end, an empty page."""

    def respond(request: Request) -> Response:
        offset = _offset(request)
        rows = [{"id": i} for i in range(offset, min(offset + size, total))]
        nxt = f"{BASE}?offset={offset + size}" if offset + size < total else None
        return Response(200, json={"results": rows, "next": nxt}, request=request)

    return respond


def _ahead(size: int = 3) -> Callable[[Request, int], Request]:
    def ahead(request: Request, k: int) -> Request:
        return build_request("GET", f"{BASE}?offset={_offset(request) + size * k}",
                             operation="r.list")  # fmt: skip

    return ahead


def _walk(size: int = 3) -> ListFlow[Any]:
    first = build_request("GET", f"{BASE}?offset=0", operation="r.list")
    return walk(first, BodyNextUrl(), resource="r", platform="x",
                key=lambda row: row["id"], ahead=_ahead(size))  # fmt: skip


class _Recorder:
    """Runs a flow like the facade, answering started requests when they are collected, and
    notes how many were in flight at each collect. ``slow`` maps a page's offset to the
    number of other answers that come in before its own."""

    def __init__(
        self, respond: Callable[[Request], Response], width: int, slow: dict[int, int] | None = None
    ) -> None:
        self.respond = respond
        self.width = width
        self.slow = dict(slow or {})
        self.in_flight: set[Ticket] = set()
        self.at_collect: list[int] = []
        self.started: dict[int, int] = {}  # offset -> requests started when it was collected
        self.sent = 0
        self.most = 0
        self.items: list[Any] = []
        self.forgotten = 0

    def first(self, tickets: tuple[Ticket, ...]) -> Ticket:
        ready = [t for t in tickets if self.slow.get(_offset(t.request), 0) <= 0]
        return ready[0] if ready else tickets[0]

    def answer(self, request: Request) -> Any:
        response = self.respond(request)
        try:
            validate_answer(request, response)
        except PaginationError as exc:
            return exc
        return response

    def run(self, flow: ListFlow[Any]) -> None:
        value: Any = None
        while True:
            try:
                step = flow.send(value)
            except StopIteration:
                return
            value = None
            if step is CONCURRENCY:
                value = self.width
            elif isinstance(step, Start):
                value = [Ticket(r) for r in step.requests]
                self.sent += len(value)
                self.in_flight.update(value)
                self.most = max(self.most, len(self.in_flight))
            elif isinstance(step, First):
                value = self.first(step.tickets)
            elif isinstance(step, Collect):
                self.at_collect.append(len(self.in_flight))
                self.in_flight.remove(step.ticket)
                self.started[_offset(step.ticket.request)] = self.sent
                self.slow = {offset: n - 1 for offset, n in self.slow.items()}
                value = self.answer(step.ticket.request)
            elif isinstance(step, Forget):
                self.forgotten += len(step.tickets)
                self.in_flight.difference_update(step.tickets)
            elif isinstance(step, Emit):
                self.items.extend(step.items)
            else:
                raise AssertionError(f"the read-ahead walk yielded {step!r}")


def test_the_window_is_topped_up_as_each_page_is_taken() -> None:
    recorder = _Recorder(_listing(60), width=5)
    recorder.run(_walk())
    assert [row["id"] for row in recorder.items] == list(range(60))
    # 20 pages: every page but those of the last window was collected with the window full
    # (a round-by-round read would drain it to one before sending the next round).
    assert recorder.at_collect[:16] == [5] * 16
    assert recorder.most == 5  # never more than the width in flight: memory stays flat
    assert recorder.forgotten == 4  # the guesses past the last page
    assert not recorder.in_flight


def test_while_the_next_page_is_slow_the_window_holds_up_to_twice_its_width() -> None:
    # Page 4 (offset 9) answers after 8 others: the pages after it come in, and a new
    # request goes out for each, until 10 pages (4 to 13) are held or in flight.
    recorder = _Recorder(_listing(60), width=5, slow={9: 8})
    recorder.run(_walk())
    assert [row["id"] for row in recorder.items] == list(range(60))
    assert recorder.started[9] == 3 + 2 * 5  # pages 1-3 taken, then 10 held or in flight
    assert recorder.most == 5  # in flight: never more than the width
    assert not recorder.in_flight


def test_a_wrong_guess_is_forgotten_with_every_guess_after_it() -> None:
    # The platform pages by 2 although the guesses step by 3: only the first request of each
    # window is ever right, and the listing is still exact.
    recorder = _Recorder(_listing(11, size=2), width=4)
    recorder.run(_walk(size=3))
    assert [row["id"] for row in recorder.items] == list(range(11))
    assert recorder.forgotten > 0
    assert not recorder.in_flight


def test_a_combinator_that_answers_batches_itself_still_gets_an_exact_listing() -> None:
    """A wrapper that knows only Batch sends a Start's requests at once and answers a
    Collect with an empty batch: the walk takes the answers in place of tickets."""
    respond = _listing(31)
    seen: list[str] = []

    def answer(request: Request) -> Response:
        response = respond(request)
        validate_answer(request, response)
        return response

    flow = _walk()
    value: Any = None
    items: list[Any] = []
    while True:
        try:
            step = flow.send(value)
        except StopIteration:
            break
        value = None
        if step is CONCURRENCY:
            value = 3
        elif isinstance(step, Batch):
            seen.append(type(step).__name__)
            value = [answer(r) for r in step.requests]
        elif isinstance(step, Emit):
            items.extend(step.items)
    assert [row["id"] for row in items] == list(range(31))
    assert set(seen) == {"Start"}  # no tickets handed out: nothing to collect or forget


def test_an_error_on_the_page_the_links_lead_to_ends_the_listing_with_it() -> None:
    def respond(request: Request) -> Response:
        if _offset(request) == 9:
            return Response(500, json={"detail": "down"}, request=request)
        return _listing(30)(request)

    with pytest.raises(ServerError) as caught:
        drive(_walk(), respond, concurrency=4)
    assert caught.value.status == 500


def test_a_404_on_the_first_page_is_an_empty_listing_when_asked() -> None:
    first = build_request("GET", f"{BASE}?offset=0", operation="r.list")
    gone: ListFlow[Any] = walk(first, BodyNextUrl(), resource="r", platform="x", empty_on_404=True,
                ahead=_ahead())  # fmt: skip
    assert drive(gone, lambda r: Response(404, json={}), concurrency=4)[1] == []
    kept: ListFlow[Any] = walk(first, BodyNextUrl(), resource="r", platform="x", ahead=_ahead())
    with pytest.raises(NotFound):
        drive(kept, lambda r: Response(404, json={}), concurrency=4)


def test_a_guess_answered_stale_every_time_raises_instead_of_ending() -> None:
    def respond(request: Request) -> Response:
        offset = _offset(request)
        shown = 0 if offset >= 6 else offset  # page 3 and on repeat page 1
        rows = [{"id": i} for i in range(shown, shown + 3)]
        return Response(200, json={"results": rows, "next": f"{BASE}?offset={offset + 3}"})

    with pytest.raises(PaginationError, match="does not move the listing forward"):
        drive(_walk(), respond, concurrency=4)


# Through the facade's engines ------------------------------------------------------------


class _Shop:
    """A paged listing behind a MockTransport that notes the most requests in flight."""

    def __init__(self, total: int, *, fail: Callable[[int, int], bool] | None = None) -> None:
        self.respond = _listing(total)
        self.fail = fail or (lambda offset, n: False)
        self.lock = threading.Lock()
        self.asked: Counter[int] = Counter()

    def __call__(self, request: Request) -> Response:
        offset = _offset(request)
        with self.lock:
            self.asked[offset] += 1
            n = self.asked[offset]
        if self.fail(offset, n):
            return Response(503, json={"detail": "busy"}, request=request)
        return self.respond(request)


def _adapter() -> ToyAdapter:
    return ToyAdapter.from_settings(base_url="https://x.example", token="toy-token-0123456789")


@pytest.mark.parametrize("failing", [False, True], ids=["clean", "5xx-once-per-page"])
def test_the_sync_facade_reads_ahead_exactly(failing: bool) -> None:
    shop = _Shop(100, fail=(lambda offset, n: n == 1) if failing else None)
    with Store(_adapter(), options=FakeTime().options(), transport=MockTransport(shop)) as s:
        ids = [row["id"] for row in s.iterate(_walk())]
    assert ids == list(range(100))
    assert max(shop.asked) > 99  # guesses past the end went out too


def test_the_async_facade_reads_ahead_exactly() -> None:
    shop = _Shop(100, fail=lambda offset, n: n == 1 and offset % 2 == 0)

    async def main() -> list[int]:
        async with AsyncStore(_adapter(), options=FakeTime().options(),
                              transport=MockTransport(shop)) as store:  # fmt: skip
            return [row["id"] async for row in store.iterate(_walk())]

    assert asyncio.run(main()) == list(range(100))


def test_stopping_early_leaves_no_request_behind_sync_and_async() -> None:
    shop = _Shop(300)
    options = attrs.evolve(FakeTime().options(), max_concurrency=4)
    with Store(_adapter(), options=options, transport=MockTransport(shop)) as s:
        rows = s.iterate(_walk())
        assert [next(rows)["id"] for _ in range(4)] == [0, 1, 2, 3]
        rows.close()  # type: ignore[attr-defined]
    sync_asked = sum(shop.asked.values())

    async def main() -> None:
        async with AsyncStore(_adapter(), options=options,
                              transport=MockTransport(shop)) as store:  # fmt: skip
            rows = store.iterate(_walk())
            assert [(await anext(rows))["id"] for _ in range(4)] == [0, 1, 2, 3]
            await rows.aclose()

    asyncio.run(main())
    # Pages taken and the window of 4 after them were asked for, not the listing's 100.
    assert sync_asked <= 10
    assert sum(shop.asked.values()) - sync_asked <= 10


def test_guesses_still_waiting_for_the_rate_limit_when_the_listing_ends_are_never_sent() -> None:
    # Real time, a slow limit: the one-page listing ends while five guesses wait their turn.
    shop = _Shop(2)
    adapter = ToyAdapter.from_settings(base_url="https://x.example", token="toy-token-unsent-01")
    options = StoreOptions(rate_limit=RateLimit(per_second=10, burst=1), max_concurrency=6)
    with Store(adapter, options=options, transport=MockTransport(shop)) as store:
        assert [row["id"] for row in store.iterate(_walk())] == [0, 1]
    assert sum(shop.asked.values()) < 6


def test_closing_after_the_listing_does_not_wait_for_a_guess_on_the_wire_sync() -> None:
    # Two pages (offsets 0 and 3); the guesses at 6 and beyond stay on the wire.
    stuck = StuckPastTheEnd(MockTransport(_Shop(6)), _offset, end=6, last=3)
    options = attrs.evolve(FakeTime().options(), max_concurrency=4)
    ids: list[int] = []

    def read() -> None:
        with Store(_adapter(), options=options, transport=stuck) as store:
            ids.extend(row["id"] for row in store.iterate(_walk()))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        reader.join(timeout=30)
        assert not reader.is_alive(), "close() waited for a guess past the listing's end"
        assert ids == list(range(6))
        # The guess is still on the wire: the client is not closed under it.
        assert stuck.on_the_wire > 0
        assert not stuck.closed.is_set()
    finally:
        stuck.release.set()
        reader.join(timeout=30)
    # It is closed once the last request has ended, and not before.
    assert stuck.closed.wait(timeout=30)
    assert stuck.at_close == [0]


def test_closing_after_the_listing_cancels_a_guess_on_the_wire_async() -> None:
    shop = _Shop(3)
    on_the_wire: list[int] = [0]
    cut: list[int] = []
    at_close: list[int] = []

    async def main() -> list[int]:
        entered, never = asyncio.Event(), asyncio.Event()

        async def stuck(request: Request) -> Response:
            if _offset(request) < 3:
                await entered.wait()  # a guess is on the wire when the listing ends
                return shop(request)
            on_the_wire[0] += 1
            entered.set()
            try:
                await never.wait()
                return shop(request)
            except asyncio.CancelledError:
                cut.append(_offset(request))
                raise
            finally:
                on_the_wire[0] -= 1

        class Watched(MockTransport):
            async def aclose(self) -> None:
                at_close.append(on_the_wire[0])

        # A timeout longer than the bound below: a close that waited would not end in it.
        options = StoreOptions(max_concurrency=6, timeout=600)
        async with AsyncStore(_adapter(), options=options, transport=Watched(stuck)) as store:
            return [row["id"] async for row in store.iterate(_walk())]

    async def bounded() -> list[int]:
        return await asyncio.wait_for(main(), timeout=30)

    assert asyncio.run(bounded()) == [0, 1, 2]
    assert cut  # the guesses past the end went out, and were cut off at close
    assert at_close == [0]  # every one had ended before the client closed
