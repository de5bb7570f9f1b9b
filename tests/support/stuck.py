"""A transport whose guesses past a listing's end never answer while the store closes."""

from __future__ import annotations

import threading
from collections.abc import Callable

from storebridge.http import BaseTransport, Request, Response

__all__ = ["StuckPastTheEnd"]

_SAFETY = 60.0
"""Seconds a stuck request waits at most, so a failing test cannot hang the run."""


class StuckPastTheEnd(BaseTransport):
    """``inner``, except that list requests at offset ``end`` or beyond (guesses read ahead
    past the listing's last row) stay on the wire until ``release`` is set, and the page
    at offset ``last`` (the listing's last) answers only once such a guess is on the wire,
    so one is there when the listing ends. ``offset(request)`` is a list request's offset,
    None for any other request. ``at_close`` notes how many were on the wire each time the
    client closed the transport; ``closed`` is set then."""

    def __init__(
        self,
        inner: BaseTransport,
        offset: Callable[[Request], int | None],
        *,
        end: int,
        last: int,
    ) -> None:
        self.inner = inner
        self.offset = offset
        self.end = end
        self.last = last
        self.lock = threading.Lock()
        self.on_the_wire = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.closed = threading.Event()
        self.at_close: list[int] = []

    def handle_request(self, request: Request) -> Response:
        at = self.offset(request)
        if at is None or at < self.end:
            if at == self.last:
                self.entered.wait(timeout=_SAFETY)
            return self.inner.handle_request(request)
        with self.lock:
            self.on_the_wire += 1
        self.entered.set()
        try:
            self.release.wait(timeout=_SAFETY)
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.on_the_wire -= 1

    def close(self) -> None:
        with self.lock:
            self.at_close.append(self.on_the_wire)
        self.closed.set()
