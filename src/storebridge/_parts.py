"""A listing's parts read side by side on threads, for the sync engine.

A :class:`~storebridge.flow.Parallel` step (29 Next's time slices, SHOPLINE's windows)
hands the reader its parts' pages as they arrive. Letting the listing go stops the parts
without waiting for them: see :func:`side_by_side`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from storebridge._inflight import Cascade, Gate

Pages = Callable[[Any, Cascade], Generator[Sequence[Any], None, Any]]
"""Drives one flow, yielding its pages; the flow's requests stop once the event is set."""


def side_by_side(
    flows: Sequence[Any],
    pages_of: Pages,
    in_flight: Callable[[], int],
    cap: int,
    unwanted: Cascade | None = None,
) -> Iterator[Sequence[Any]]:
    """Pages of ``flows`` (each driven by ``pages_of``) as they arrive, from at most
    ``in_flight()`` parts reading at once on up to ``cap`` threads.

    ``unwanted`` is the stop of the listing these flows are a part of (a window cut
    again): once it is set, these parts stop too.
    """
    if not flows:  # a Parallel of nothing (say, an empty date range) has no pages
        return
    # Unbounded so "done" and "error" always get through; pages are held back by ``room``
    # instead, so fast workers wait for a slow reader (memory stays flat). A worker takes
    # room before it reads its next page, and room follows the requests in flight, not the
    # number of flows: a listing cut into more windows because the store is larger holds no
    # more pages (a page of orders with details is megabytes).
    inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    room = threading.Semaphore(min(len(flows), in_flight()) + 2)
    stop = Cascade(unwanted)
    gate = Gate(in_flight)

    def reserve() -> bool:
        while not room.acquire(timeout=0.05):
            if stop.is_set():
                return False
        return not stop.is_set()

    def worker(flow: Any) -> None:
        try:
            with gate:
                pages = pages_of(flow, stop)
                try:
                    while reserve():
                        page = next(pages, None)
                        if page is None:
                            room.release()
                            return
                        inbox.put(("page", page))
                except BaseException:
                    room.release()
                    raise
                finally:
                    pages.close()
        except BaseException as exc:  # handed to the reading thread
            inbox.put(("error", exc))
        finally:
            flow.close()  # its pages may never have started
            inbox.put(("done", None))

    workers = ThreadPoolExecutor(
        max_workers=min(len(flows), cap), thread_name_prefix="storebridge-part"
    )
    submitted: list[tuple[Future[None], Any]] = []
    try:
        for flow in flows:
            submitted.append((workers.submit(worker, flow), flow))
        finished = 0
        failure: BaseException | None = None
        while finished < len(flows):
            kind, value = inbox.get()
            if kind == "page":
                room.release()
                if failure is None:
                    yield value
            elif kind == "error":
                failure = failure or value
                stop.set()
            else:
                finished += 1
        if failure is not None:
            raise failure
    finally:
        stop.set()
        # Never wait for the workers here. This runs wherever the listing is let go: the
        # garbage collector finalizes an abandoned generator on whichever thread allocates,
        # one of the request pool's (whose requests a worker may be waiting for) or a
        # loopback sandbox's (holding its lock) included. Running workers end on their own
        # once ``stop`` is set: they send nothing more and close their flow.
        workers.shutdown(wait=False, cancel_futures=True)
        for future, flow in submitted:
            if future.cancelled():  # never started: no worker will close it
                flow.close()


__all__ = ["Pages", "side_by_side"]
