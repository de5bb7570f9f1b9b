"""Runs adapter flows over HTTP, sync or async: the I/O half of the facade.

Every decision about a request lives in :mod:`storebridge._policy`; the engines here carry
out its I/O and fan out: a :class:`~storebridge.flow.Batch` keeps the pacer's number of
requests in flight (threads or tasks), a :class:`~storebridge.flow.Parallel` step runs list
flows side by side and hands their pages on as they arrive, and the requests of a
:class:`~storebridge.flow.Start` go out in the background until the flow collects them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from storebridge import _http
from storebridge._inflight import (
    Cascade,
    Forgotten,
    Result,
    Running,
    SentTask,
    SentThread,
    Signal,
    closed_while_reading,
    failure_of,
    find,
    first_done,
    forget,
    retrieve,
    take,
    wait_first,
)
from storebridge._parts import side_by_side
from storebridge._policy import Policy, Sleep, StoreOptions, attempts
from storebridge._redact import Redactor, detach, scrub
from storebridge._to_the_end import stop_if_cancelling
from storebridge.adapter import Adapter
from storebridge.errors import StorebridgeError, StoreClosed
from storebridge.flow import (
    Batch,
    Collect,
    Concurrency,
    Done,
    Emit,
    First,
    FlowStepper,
    Forget,
    Parallel,
    Start,
    Ticket,
    Wait,
)


class _Finished(Protocol):
    """A request of a batch that has ended: a thread's Future or an asyncio Task."""

    def exception(self) -> BaseException | None: ...

    def result(self) -> Any: ...


def _settle(
    done: Iterable[_Finished], pending: dict[Any, int], results: list[Any], tolerant: bool
) -> BaseException | None:
    """Put the answers of a batch's ``done`` requests in their places (taking them out of
    ``pending``); the first failure the batch does not tolerate, if any."""
    failure: BaseException | None = None
    for sent in done:
        index = pending.pop(sent)
        # A thread's request cancelled by the store's closing: an error, not CancelledError.
        exc = failure_of(sent) if isinstance(sent, Future) else sent.exception()
        if exc is None:
            results[index] = sent.result()
        elif tolerant and isinstance(exc, StorebridgeError):
            results[index] = exc
        elif failure is None:
            failure = exc
    return failure


def _closed_store() -> StoreClosed:
    return StoreClosed("this store is closed: connect again to send requests")


class SyncEngine:
    def __init__(
        self,
        adapter: Adapter,
        client: _http.Client,
        options: StoreOptions,
        redactor: Redactor,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.options = options
        self.policy = Policy(adapter, options, redactor)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._running = Running()
        self._closed = False

    def send(self, request: _http.Request, unwanted: Signal | None = None) -> _http.Response:
        """Send ``request`` as the policy says; a started request stops (``Forgotten``)
        at its next wait or send once ``unwanted`` is set.

        Counted while it runs, on whichever thread (a listing's part sends on its own): a
        store closed meanwhile closes its client after it, not under it."""
        with self._running.holding():
            return self._send(request, unwanted)

    def _send(self, request: _http.Request, unwanted: Signal | None) -> _http.Response:
        if self._closed or self.client.is_closed:  # refused now, as the client would
            raise _closed_store()
        stepper: FlowStepper[_http.Response] = FlowStepper(attempts(self.policy, request))
        try:
            step = stepper.advance()
            while not isinstance(step, Done):
                if isinstance(step, Sleep):
                    if unwanted is not None and self.options.sleep is time.sleep:
                        # A real wait (for the rate limit) ends once nobody wants the answer.
                        if unwanted.wait(step.seconds):
                            raise Forgotten
                    else:
                        self.options.sleep(step.seconds)
                    step = stepper.advance()
                    continue
                if unwanted is not None and unwanted.is_set():
                    raise Forgotten
                lost: _http.TransportError | None = None
                try:
                    answer = self.client.send(step.request, auth=self.adapter.auth)
                except _http.TransportError as exc:
                    if unwanted is not None and unwanted.is_set():
                        raise Forgotten from None  # not asked again: nobody is waiting
                    lost = exc
                if lost is not None:  # thrown in past the except block: see attempts()
                    step = stepper.advance(error=lost)
                    continue
                step = stepper.advance(answer)
            return step.value  # type: ignore[no-any-return]
        except StorebridgeError as exc:
            detach(exc)  # whoever raised it: no credentials reachable through its chain
            raise
        finally:
            # Its place in the send guard's line, if it waited there, is given up now,
            # not whenever the collector gets to a generator kept alive by a traceback.
            stepper.close()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._closed:
                # A closed store starts no threads (its pool would never be shut down).
                raise _closed_store()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.policy.cap, thread_name_prefix="storebridge"
                )
            return self._pool

    def _submit(
        self, request: _http.Request, unwanted: Signal | None = None
    ) -> Future[_http.Response]:
        """``request`` sent on a thread of the pool, counted until it ends (see close)."""
        return self._running.start(lambda: self._executor().submit(self._send, request, unwanted))

    def _send_batch(
        self,
        requests: Sequence[_http.Request],
        *,
        tolerant: bool = False,
        unwanted: Signal | None = None,
    ) -> list[Any]:
        """Send ``requests`` keeping the pacer's number in flight; answers in order.

        ``tolerant``: a failed request's StorebridgeError takes its place in the answers.
        ``unwanted``: once set, no more of them is sent (the batch raises Forgotten).
        """
        if len(requests) == 1 and not tolerant:
            return [self.send(requests[0], unwanted)]
        results: list[Any] = [None] * len(requests)
        pending: dict[Future[_http.Response], int] = {}
        upcoming = iter(enumerate(requests))
        failure: BaseException | None = None
        while True:
            while failure is None and len(pending) < self.policy.pacer.in_flight():
                if unwanted is not None and unwanted.is_set():
                    failure = Forgotten()
                    break
                nxt = next(upcoming, None)
                if nxt is None:
                    break
                pending[self._submit(nxt[1], unwanted)] = nxt[0]
            if not pending:
                break
            done = wait_first(pending)
            settled = _settle(done, pending, results, tolerant)  # always: empties `done`
            failure = failure or settled
        if failure is not None:
            raise failure
        return results

    def _start(
        self, requests: Sequence[_http.Request], started: dict[Ticket, SentThread]
    ) -> list[Ticket]:
        tickets = [Ticket(request) for request in requests]
        for ticket in tickets:
            unwanted = Signal()
            started[ticket] = SentThread(self._submit(ticket.request, unwanted), unwanted)
        return tickets

    @staticmethod
    def _collect(future: Future[_http.Response]) -> Any:
        exc = failure_of(future)
        if exc is None:
            return future.result()
        if isinstance(exc, StorebridgeError):
            return exc
        raise exc

    def _parallel(
        self, flows: Sequence[Any], unwanted: Cascade | None = None
    ) -> Iterator[Sequence[Any]]:
        """Pages of ``flows`` run side by side on threads, as they arrive."""
        pacer = self.policy.pacer
        return side_by_side(flows, self._pages, pacer.in_flight, self.policy.cap, unwanted)

    def _pages(
        self, flow: Any, unwanted: Cascade | None = None
    ) -> Generator[Sequence[Any], None, Any]:
        """Drive a flow, yielding each emitted page; returns the flow's return value.

        ``unwanted``: set once nobody reads the pages (a part of a listing let go); the
        flow's batches send nothing more from then on.
        """
        stepper: FlowStepper[Any] = FlowStepper(flow)
        started: dict[Ticket, SentThread] = {}
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    if step.items:
                        yield step.items
                    step = stepper.advance(None)
                    continue
                try:
                    if isinstance(step, Parallel):
                        yield from self._parallel(step.flows, unwanted)
                        result: Any = None
                    elif isinstance(step, Concurrency):
                        result = self.policy.pacer.in_flight()
                    elif isinstance(step, Wait):
                        self.options.sleep(step.seconds)
                        result = None
                    elif isinstance(step, Start):
                        result = self._start(step.requests, started)
                    elif isinstance(step, Collect):
                        result = self._collect(take(started, step.ticket).future)
                    elif isinstance(step, First):
                        futures = [find(started, ticket).future for ticket in step.tickets]
                        wait_first(futures)
                        result = first_done(step.tickets, futures)
                    elif isinstance(step, Forget):
                        forget(started, step.tickets)
                        result = None
                    elif isinstance(step, Batch):
                        result = self._send_batch(
                            step.requests, tolerant=step.tolerant, unwanted=unwanted
                        )
                    else:
                        result = self.send(step, unwanted)
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        except StorebridgeError as exc:
            scrub(exc, self.policy.redact)
            raise
        finally:
            # Answers nobody will collect: those not sent yet are not sent at all.
            for sent in started.values():
                sent.forget()
            stepper.close()
        return step.value

    def iterate(self, flow: Any) -> Iterator[Any]:
        """Drive a flow, yielding emitted items; the flow's return value ends iteration."""
        pages = self._pages(flow)
        try:
            while True:
                try:
                    page = next(pages)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
                yield from page
        finally:
            pages.close()

    def run(self, flow: Any) -> Any:
        pages = self._pages(flow)
        while True:
            try:
                next(pages)
            except StopIteration as stop:
                return stop.value

    def close(self, *, close_client: bool = True) -> None:
        with self._pool_lock:
            if close_client:
                if self._closed:
                    return  # closed once: the client's close is given to the last request
                self._closed = True  # no request from now on opens a new pool
            pool, self._pool = self._pool, None
        if pool is not None:
            # What still runs now was started and forgotten (read ahead past a listing's
            # end): those not picked up are never sent, those waiting for the rate limit
            # stop at once, and those on the wire are not waited for, since nobody wants
            # their answers.
            pool.shutdown(wait=False, cancel_futures=True)
        if close_client:
            # The client closes when the last of them has ended (at once if none runs):
            # closed under them, it would not stop them (see Running).
            self._running.then(self.client.close)


class AsyncEngine:
    def __init__(
        self,
        adapter: Adapter,
        client: _http.AsyncClient,
        options: StoreOptions,
        redactor: Redactor,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.options = options
        self.policy = Policy(adapter, options, redactor)
        self._background: dict[asyncio.Task[Any], SentTask] = {}

    async def send(self, request: _http.Request, sent: SentTask | None = None) -> _http.Response:
        """Send ``request`` as the policy says; a started request (``sent``) stops
        (``Forgotten``) before its next send once it is unwanted."""
        if self.client.is_closed:  # the same error as a closed sync store's
            raise _closed_store()
        stepper: FlowStepper[_http.Response] = FlowStepper(attempts(self.policy, request))
        try:
            step = stepper.advance()
            while not isinstance(step, Done):
                if isinstance(step, Sleep):
                    await self.options.async_sleep(step.seconds)
                    step = stepper.advance()
                    continue
                if sent is not None and sent.unwanted:
                    raise Forgotten
                lost: _http.TransportError | None = None
                try:
                    if sent is not None:
                        sent.on_the_wire = True
                    answer = await self.client.send(step.request, auth=self.adapter.auth)
                except _http.TransportError as exc:
                    lost = exc
                finally:
                    if sent is not None:
                        sent.on_the_wire = False
                if lost is not None:  # past the except block, as in the sync engine
                    step = stepper.advance(error=lost)
                    continue
                step = stepper.advance(answer)
            return step.value  # type: ignore[no-any-return]
        except StorebridgeError as exc:
            detach(exc)  # as in the sync engine: no credentials reachable through its chain
            raise
        finally:
            stepper.close()  # as in the sync engine: a place in the guard's line is given up

    async def _send_batch(
        self, requests: Sequence[_http.Request], *, tolerant: bool = False
    ) -> list[Any]:
        if len(requests) == 1 and not tolerant:
            return [await self.send(requests[0])]
        results: list[Any] = [None] * len(requests)
        pending: dict[asyncio.Task[_http.Response], int] = {}
        upcoming = iter(enumerate(requests))
        failure: BaseException | None = None
        try:
            while True:
                while failure is None and len(pending) < self.policy.pacer.in_flight():
                    nxt = next(upcoming, None)
                    if nxt is None:
                        break
                    pending[asyncio.ensure_future(self.send(nxt[1]))] = nxt[0]
                if not pending:
                    break
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                settled = _settle(done, pending, results, tolerant)  # always: empties `done`
                failure = failure or settled
        finally:
            if pending:
                # Cancelled while waiting (a listing closed mid-batch): its requests stop
                # with it, before the store can close under them, and none is left for
                # the loop to report as an exception never retrieved.
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        if failure is not None:
            raise failure
        return results

    def _start(
        self, requests: Sequence[_http.Request], started: dict[Ticket, SentTask]
    ) -> list[Ticket]:
        tickets = [Ticket(request) for request in requests]
        for ticket in tickets:
            sent = SentTask()
            sent.task = asyncio.ensure_future(self.send(ticket.request, sent))
            sent.task.add_done_callback(retrieve)
            self._background[sent.task] = sent
            sent.task.add_done_callback(self._finished)
            started[ticket] = sent
        return tickets

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.pop(task, None)

    @staticmethod
    async def _collect(task: asyncio.Task[_http.Response]) -> Any:
        try:
            return await task
        except StorebridgeError as exc:
            return exc
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise  # this listing's own task was cancelled: that goes on up
            # The request was cancelled by someone else: the store closing, hurried, while
            # this listing (in another task) still reads. A cancellation escaping into a
            # task nobody cancelled reads as a clean end in a TaskGroup: raise instead.
            return closed_while_reading()

    async def _parallel(self, flows: Sequence[Any]) -> AsyncGenerator[Sequence[Any], None]:
        if not flows:
            return
        # As in the sync engine, what is held follows the requests in flight, not the
        # number of flows: a larger store cut into more or longer windows holds no more.
        held = min(len(flows), self.policy.pacer.in_flight()) + 2
        pages: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=held)
        active = 0
        changed = asyncio.Condition()

        async def worker(flow: Any) -> None:
            nonlocal active
            try:
                async with changed:
                    await changed.wait_for(lambda: active < self.policy.pacer.in_flight())
                    active += 1
                try:
                    # Closed when this worker is cancelled, so the flow's own requests stop
                    # before the listing's close returns (``async for`` alone leaves it).
                    async with contextlib.aclosing(self._pages(flow)) as flow_pages:
                        async for page in flow_pages:
                            if isinstance(page, Result):
                                break
                            await pages.put(("page", page))
                finally:
                    async with changed:
                        active -= 1
                        changed.notify_all()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to the reading task
                stop_if_cancelling(exc)  # the listing closed, then this part's close failed
                await pages.put(("error", exc))
            finally:
                if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    await pages.put(("done", None))

        tasks = [asyncio.ensure_future(worker(flow)) for flow in flows]
        try:
            finished = 0
            while finished < len(flows):
                kind, value = await pages.get()
                if kind == "page":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    finished += 1
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for flow in flows:
                flow.close()

    async def _pages(self, flow: Any) -> AsyncGenerator[Sequence[Any] | Result, None]:
        stepper: FlowStepper[Any] = FlowStepper(flow)
        started: dict[Ticket, SentTask] = {}
        step = stepper.advance()
        try:
            while not isinstance(step, Done):
                if isinstance(step, Emit):
                    if step.items:
                        yield step.items
                    step = stepper.advance(None)
                    continue
                try:
                    if isinstance(step, Parallel):
                        async with contextlib.aclosing(self._parallel(step.flows)) as parts:
                            async for page in parts:
                                yield page
                        result: Any = None
                    elif isinstance(step, Concurrency):
                        result = self.policy.pacer.in_flight()
                    elif isinstance(step, Wait):
                        await self.options.async_sleep(step.seconds)
                        result = None
                    elif isinstance(step, Start):
                        result = self._start(step.requests, started)
                    elif isinstance(step, Collect):
                        result = await self._collect(take(started, step.ticket).task)
                    elif isinstance(step, First):
                        tasks = [find(started, ticket).task for ticket in step.tickets]
                        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                        result = first_done(step.tickets, tasks)
                    elif isinstance(step, Forget):
                        forget(started, step.tickets)
                        result = None
                    elif isinstance(step, Batch):
                        result = await self._send_batch(step.requests, tolerant=step.tolerant)
                    else:
                        result = await self.send(step)
                except StorebridgeError as exc:
                    step = stepper.advance(error=exc)
                    continue
                step = stepper.advance(result)
        except StorebridgeError as exc:
            scrub(exc, self.policy.redact)
            raise
        finally:
            for sent in started.values():
                sent.forget()
            # Requests on the wire finish (a cancelled one would leave its connection
            # unclosed); the others were cancelled or stop before they are sent. With none
            # left running, nothing is awaited: a listing left open is closed at the loop's
            # shutdown alongside this generator, which must not be found mid-await then.
            running = [s.task for s in started.values() if not s.task.done()]
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            stepper.close()
        # An async generator cannot return a value: hand it over as a last, marked page.
        yield Result(step.value)

    async def iterate(self, flow: Any) -> AsyncGenerator[Any, None]:
        pages = self._pages(flow)
        try:
            async for page in pages:
                if isinstance(page, Result):
                    return
                for item in page:
                    yield item
        finally:
            await pages.aclose()

    async def run(self, flow: Any) -> Any:
        pages = self._pages(flow)
        try:
            async for page in pages:
                if isinstance(page, Result):
                    return page.value
        finally:
            await pages.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    def hurry(self) -> None:
        """Cancel every request started in the background (all of them reads ahead), so
        that a close cancelled while it waits for them ends in moments, not a timeout."""
        for sent in self._background.values():
            sent.task.cancel()

    async def aclose(self, *, close_client: bool = True) -> None:
        if self._background:
            # Started and forgotten (read ahead past a listing's end): those waiting for
            # the rate limit were cancelled; those on the wire are cancelled now rather
            # than waited for, since nobody wants their answers (the HTTP library closes
            # the connection of a request cancelled before its answer is read). Each has
            # ended before the client closes.
            for sent in self._background.values():
                if sent.unwanted:
                    sent.task.cancel()
            await asyncio.wait(set(self._background), timeout=self.options.timeout)
        if close_client:
            await self.client.aclose()


__all__ = ["AsyncEngine", "StoreOptions", "SyncEngine"]
