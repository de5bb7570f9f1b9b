"""The pipes of a migration: the source read ahead of the writers, and the writers.

* :func:`listing`: a store's records, complete, refusing a listing that repeats a record;
* :class:`ReadAhead`: a listing read on a thread, a bounded number of records ahead;
* :class:`WritePool`: writes on threads, as many in flight as the target's pacer allows now,
  started as a :class:`WriteBudget` just inside the target's rate limit allows.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from storebridge._handoff import put_unless_stopped
from storebridge._ratelimit import BURST_MARGIN, CLIENT_SHARE, TokenBucket, client_limit
from storebridge.adapter import RateLimit
from storebridge.errors import PaginationError, StorebridgeError
from storebridge.flow import in_turn
from storebridge.store import Customers, Orders, Products, Store

MAX_WRITERS = 64
"""Writer threads at most; how many are busy follows the target's pacer."""
WRITE_SHARE = CLIENT_SHARE
"""Writes start at this share of the target's declared rate limit (the share every client
bucket keeps to), so the target never has to answer 429."""
RECENT = 10_000
"""How many of the latest refs a listing remembers to notice a record coming back."""
READ_AHEAD = 200
"""Records read ahead of the writers, at most (memory stays flat; writers never wait)."""


def count_of(store: Store, resource: str, **filters: Any) -> int | None:
    """The platform's count of ``resource`` records matching ``filters``, where it has one."""
    api = getattr(store, resource)
    count = getattr(api, "count", None)
    if count is None or f"{resource}.count" not in store.capabilities:
        return None
    try:
        value = count(**filters)
    except (StorebridgeError, TypeError):
        return None
    return value if isinstance(value, int) else None


class _InTurn:
    """Runs a store's listings with their side-by-side windows one after the other."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def run(self, flow: Any) -> Any:
        return self._store.run(flow)

    def iterate(self, flow: Any) -> Any:
        return self._store.iterate(in_turn(flow))


def listing(
    store: Store, resource: str, *, slim: bool = False, in_order: bool = False, **filters: Any
) -> Iterator[Any]:
    """Every ``resource`` record of ``store`` matching ``filters``: complete (orders with
    lines, products with their description), or as the listing gives them with ``slim``
    (enough for refs).

    ``in_order`` reads windows a listing would read side by side one after the other, so
    records come in the platform's order and a checkpoint can say where the read got to
    (each page's details are still fetched together).

    A record that comes back twice within the last :data:`RECENT` records is a stale or
    repeated page the listing did not catch (it may also have ended early): that raises
    :class:`~storebridge.errors.PaginationError` rather than let a short read pass, and it
    keeps a record from being written twice.
    """
    api = getattr(store, resource)
    if in_order:
        kinds = {"customers": Customers, "products": Products, "orders": Orders}
        api = kinds[resource](store.adapter, _InTurn(store))
    # Complete records: orders with lines, products with their description (29 Next's
    # list rows leave both out).
    detail = {"detail": True} if resource in ("orders", "products") and not slim else {}
    records = api.list(**detail, **filters)
    recent: deque[str] = deque()
    seen: set[str] = set()
    for record in records:
        ref = record.ref
        if ref in seen:
            raise PaginationError(
                f"the {resource} listing returned {ref} twice: a stale or repeated page, so "
                "it cannot be trusted to be complete (a migration continues from its "
                "checkpoint when run again)",
                resource=resource,
                platform=store.adapter.display_name,
            )
        seen.add(ref)
        recent.append(ref)
        if len(recent) > RECENT:
            seen.discard(recent.popleft())
        yield record


class ReadAhead:
    """``records``, read on a thread up to ``size`` ahead of whoever iterates.

    The next page arrives while the writers work on this one (and the next phase's first
    page while this phase's last writes finish), so a source as fast as the target on
    average never leaves the writers idle; at most ``size`` records wait.
    """

    def __init__(self, records: Iterator[Any], size: int) -> None:
        self._records = records
        self._buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._owner = threading.get_ident()
        self._thread = threading.Thread(target=self._produce, name="storebridge-read", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[str, Any]) -> bool:
        return put_unless_stopped(self._buffer, item, self._stop)

    def _produce(self) -> None:
        try:
            for record in self._records:
                if not self._put(("record", record)):
                    return
        except BaseException as exc:  # handed to the reading thread
            self._put(("error", exc))
            return
        finally:
            close = getattr(self._records, "close", None)
            if close is not None:
                close()
        self._put(("end", None))

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                kind, value = self._buffer.get()
                if kind == "record":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        # The migration waits for the reader to let go of the source store before it goes
        # on. Closed elsewhere (the garbage collector finalizes an abandoned iterator on
        # whichever thread allocates, one of the source store's request threads included,
        # which the reader may be waiting for), it only tells the reader to stop.
        if threading.get_ident() == self._owner:
            self._thread.join()


class WriteBudget:
    """When writes may start: the core's token bucket, a little inside the target's limit.

    It keeps to :func:`~storebridge._ratelimit.client_limit` (:data:`WRITE_SHARE` of the
    target's rate, a burst :data:`BURST_MARGIN` short of its own), so the target's bucket
    drains a little every second instead of staying at the brim, where network jitter alone
    would make it answer 429. It paces write operations, each of which may send reads too;
    one budget serves every phase of a run.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bucket = TokenBucket(client_limit(RateLimit(per_second=rate, burst=burst)), clock)
        self.sleep = sleep
        """How a start waits for its turn: the target store's ``sleep`` option."""

    def take(self) -> float:
        """Reserve the next start; returns how long to wait for it (seconds)."""
        return self._bucket.reserve()


class WritePool:
    """Runs writes on threads, at most ``limit()`` at once (re-read for every write),
    started when ``budget`` allows.

    :meth:`submit` blocks while the limit is reached: that is the back-pressure that keeps
    the reader from running ahead.
    """

    def __init__(
        self, limit: Callable[[], int], budget: WriteBudget | None = None, cap: int = MAX_WRITERS
    ) -> None:
        self._limit = limit
        self._budget = budget
        self._cap = cap
        self._pool = ThreadPoolExecutor(max_workers=cap, thread_name_prefix="storebridge-write")
        self._cond = threading.Condition()
        self._active = 0
        self._failure: BaseException | None = None

    def submit(self, job: Callable[[], None]) -> None:
        with self._cond:
            while self._active >= max(1, min(self._cap, self._limit())):
                self._cond.wait(timeout=0.05)
            if self._failure is not None:
                raise self._failure
            self._active += 1
        if self._budget is not None:
            wait = self._budget.take()
            if wait > 0:
                self._budget.sleep(wait)
        self._pool.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # handed to the reader, which stops the run
            with self._cond:
                self._failure = self._failure or exc
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def drain(self, tick: Callable[[], None] | None = None, every: float = 0.25) -> None:
        """Wait for every write; re-raise an unexpected error one of them met.

        ``tick`` runs every ``every`` seconds meanwhile (on this thread): the last writes
        of a listing can take a while, and a run killed then should resume from them.
        """
        last = time.monotonic()
        while True:
            with self._cond:
                if not self._active:
                    failure = self._failure
                    break
                self._cond.wait(timeout=0.05)
            if tick is not None and time.monotonic() - last >= every:
                tick()
                last = time.monotonic()
        if failure is not None:
            raise failure

    def close(self) -> None:
        self._pool.shutdown(wait=True)


__all__ = [
    "BURST_MARGIN",
    "MAX_WRITERS",
    "READ_AHEAD",
    "RECENT",
    "WRITE_SHARE",
    "ReadAhead",
    "WriteBudget",
    "WritePool",
    "count_of",
    "listing",
]
