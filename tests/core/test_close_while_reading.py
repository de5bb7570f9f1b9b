"""Closing a store while other threads read listings from it ends every reader with an
error; none waits forever.

Closing shuts the store's thread pool down with its queued requests cancelled, and
``concurrent.futures.wait`` never wakes for a future cancelled that way: a reader waiting
on its batch (or on the first of its read-ahead pages) waited forever, or got a bare
``CancelledError``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from storebridge import _http
from storebridge.errors import TransportError
from tests.migrate.support import connect, sandbox


class Slow(_http.BaseTransport):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: _http.Request) -> _http.Response:
        time.sleep(0.2)
        response: _http.Response = self.inner.handle_request(request)
        return response


def test_closing_a_store_ends_every_reader_with_an_error() -> None:
    kit = sandbox("29next", seed=3, orders=400, page_size=5)
    store = connect(kit, "a", transport=Slow(kit.emulator.transport()), max_concurrency=2)
    outcome: dict[str, BaseException | int] = {}

    def read(name: str) -> None:
        try:
            listing = getattr(store, name).list(**({"detail": True} if name == "orders" else {}))
            outcome[name] = sum(1 for _ in listing)
        except BaseException as exc:  # what the reader gets is the point of the test
            outcome[name] = exc

    readers = [threading.Thread(target=read, args=(name,), daemon=True)
               for name in ("orders", "customers", "products")]  # fmt: skip
    for reader in readers:
        reader.start()
    time.sleep(0.8)
    store.close()
    for reader in readers:
        reader.join(20)
    assert not [r.name for r in readers if r.is_alive()], "a reader still waits"
    for name, got in outcome.items():
        # The store's own closed-store error, or the read-ahead cancelled by the close.
        assert isinstance(got, TransportError | RuntimeError), (name, got)
        assert "closed" in str(got), (name, got)
