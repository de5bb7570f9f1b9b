"""Requests in flight for the engines: gates, tickets of background requests, and how a
request nobody wants any more is told so."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Protocol, TypeVar

import attrs

from storebridge import _http
from storebridge.errors import TransportError
from storebridge.flow import Ticket, request_meta


class Gate:
    """At most ``limit()`` holders at once, where the limit may change between acquisitions."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._active = 0
        self._cond = threading.Condition()

    def __enter__(self) -> None:
        with self._cond:
            while self._active >= self._limit():
                self._cond.wait(timeout=0.05)
            self._active += 1

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


@attrs.frozen
class Result:
    value: Any


class Signal:
    """A flag request threads wait on (``threading.Event``'s interface), safe to set from
    a finalizer.

    The garbage collector runs a let-go listing's finalizer, which sets these, on whichever
    thread allocates: a request thread inside ``wait`` of this very signal included, since
    ``Condition.wait`` allocates while holding its lock. An Event's lock is not reentrant,
    so its ``set`` would wait there for its own thread forever; this one's is. A wakeup
    missed that way costs at most the wait's timeout, which is why one is required.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Whether the signal is set, waiting up to ``timeout`` seconds for it."""
        with self._cond:
            if not self._flag:
                self._cond.wait(timeout)
            return self._flag


class Cascade(Signal):
    """A signal that is also set when its parent is: the stop of a listing's parts, which
    reaches the parts of a part (a window cut again) as soon as the listing is let go."""

    def __init__(self, parent: Cascade | None = None) -> None:
        super().__init__()
        self._children: list[Cascade] = []
        self._children_lock = threading.RLock()  # reentrant for the same reason
        if parent is not None:
            parent._adopt(self)

    def _adopt(self, child: Cascade) -> None:
        with self._children_lock:
            self._children.append(child)
            already = self.is_set()
        if already:
            child.set()

    def set(self) -> None:
        super().set()
        with self._children_lock:
            children, self._children = self._children, []
        for child in children:
            child.set()


class Forgotten(Exception):
    """A started request whose answer nobody wants any more: it is not sent (again)."""


@attrs.frozen
class SentThread:
    """A started request on a thread, and how to tell it its answer is not wanted."""

    future: Future[_http.Response]
    unwanted: Signal

    def forget(self) -> None:
        self.unwanted.set()
        self.future.cancel()


T = TypeVar("T")


class Running:
    """The requests an engine has handed to its threads, and what waits for the last one.

    A closing store does not wait for answers nobody wants (guesses read ahead past a
    listing's end are on the wire for one more latency): it gives the client's close to
    whichever of them ends last, so the client closes after its last request. Closing it
    under them would not stop them: a thread blocked reading a socket is not woken when
    the socket is closed, it waits for the answer all the same and then fails."""

    def __init__(self) -> None:
        # Reentrant: a let-go listing's finalizer, run by the garbage collector on a thread
        # that holds this lock, cancels queued requests whose ends are counted under it.
        self._lock = threading.RLock()
        self._futures: set[Future[Any]] = set()
        self._starting = 0
        self._then: list[Callable[[], None]] = []

    def start(self, submit: Callable[[], Future[T]]) -> Future[T]:
        """``submit()``'s future, counted from before it is submitted until it ends: a
        close on another thread in between waits for it too."""
        with self._lock:
            self._starting += 1
        try:
            future = submit()
        except BaseException:
            self._settle(None)
            raise
        with self._lock:
            self._futures.add(future)
        self._settle(None)
        # Outside the lock: a future already done runs the callback here, at once.
        future.add_done_callback(self._settle)
        return future

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """A request sent on this very thread, counted while it runs."""
        with self._lock:
            self._starting += 1
        try:
            yield
        finally:
            self._settle(None)

    def then(self, action: Callable[[], None]) -> None:
        """Run ``action`` once no request runs any more: now, if none does."""
        with self._lock:
            if self._futures or self._starting:
                self._then.append(action)
                return
        action()

    def _settle(self, future: Future[Any] | None) -> None:
        """One request has ended (``future``), or one has been handed over (None): run
        what waits once none runs and none is being handed over."""
        with self._lock:
            if future is None:
                self._starting -= 1
            else:
                self._futures.discard(future)
            if self._futures or self._starting:
                return
            due, self._then = self._then, []
        for action in due:  # outside the lock: an action may take a while (closing sockets)
            action()


def take(started: dict[Ticket, T], ticket: Ticket) -> T:
    """The request in flight for ``ticket``, which is then no longer the flow's to collect."""
    found = find(started, ticket)
    del started[ticket]
    return found


class _Forgettable(Protocol):
    def forget(self) -> None: ...


F = TypeVar("F", bound=_Forgettable)


def forget(started: dict[Ticket, F], tickets: Sequence[Ticket]) -> None:
    """Tell the requests of ``tickets`` still in ``started`` that their answers are unwanted
    (tickets already collected or forgotten are let be)."""
    for ticket in tickets:
        sent = started.pop(ticket, None)
        if sent is not None:
            sent.forget()


def find(started: dict[Ticket, T], ticket: Ticket) -> T:
    try:
        return started[ticket]
    except KeyError:
        operation = request_meta(ticket.request).operation
        raise ValueError(
            f"flow bug: a ticket ({operation}) that this flow did not start, or collected or "
            "forgot already"
        ) from None


class SentTask:
    """A started request's task, and whether its answer is still wanted."""

    task: asyncio.Task[_http.Response]

    def __init__(self) -> None:
        self.unwanted = False
        self.on_the_wire = False

    def forget(self) -> None:
        # Waiting (for the rate limit) is cut short; a request on the wire is left to end.
        self.unwanted = True
        if not self.on_the_wire:
            self.task.cancel()


_POLL = 0.25
"""Seconds between looks for a future the pool cancelled (see :func:`wait_first`)."""


def wait_first(futures: Iterable[Future[Any]]) -> set[Future[Any]]:
    """Those of ``futures`` that are done, once one is.

    A future cancelled by the pool's shutdown (the store closed while another thread still
    reads) counts as done, though ``concurrent.futures.wait`` never wakes for one: a
    reader waiting on it would wait forever.
    """
    pending = list(futures)
    if not pending:
        return set()
    while True:
        done, _ = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
        if done:
            return done
        cancelled = {future for future in pending if future.cancelled()}
        if cancelled:
            return cancelled


def closed_while_reading() -> TransportError:
    """What a reader gets for a request the store's closing cancelled."""
    return TransportError(
        "the store was closed while this listing was still reading: a request it read "
        "ahead was cancelled (close the store after its listings, not during)"
    )


def failure_of(future: Future[Any]) -> BaseException | None:
    """``future.exception()``; for a future the store's closing cancelled, the
    TransportError of :func:`closed_while_reading` (never a bare CancelledError)."""
    if future.cancelled():
        return closed_while_reading()
    return future.exception()


def first_done(
    tickets: Sequence[Ticket], waits: Sequence[Future[Any] | asyncio.Task[Any]]
) -> Ticket:
    return next(t for t, w in zip(tickets, waits, strict=True) if w.done())


def retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a started task's failure as seen (a forgotten one's is of no interest)."""
    if not task.cancelled():
        task.exception()


__all__ = [
    "Cascade",
    "Forgotten",
    "Gate",
    "Result",
    "Running",
    "SentTask",
    "SentThread",
    "Signal",
    "closed_while_reading",
    "failure_of",
    "find",
    "first_done",
    "forget",
    "retrieve",
    "take",
    "wait_first",
]
