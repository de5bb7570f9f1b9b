"""What an adapter must read before it can read deliveries (``Adapter.webhook_setup``).

SHOPLINE's product deliveries carry no currency: the store's is read once, with the Store
the receiver was given. Deliveries never wait for it unless they need it (their parse asked
for a retry with 503), and then for at most :data:`WAIT` seconds; the reading runs once at
a time per store, and again after a failure, so a store that cannot be reached now costs
its product deliveries a 503 (the platform delivers them again), never the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Mapping
from concurrent.futures import Future

from storebridge.adapter import Adapter
from storebridge.store import AsyncStore, Store

log = logging.getLogger("storebridge.webhooks")

WAIT = 10.0
"""Seconds a delivery that needs the setup waits for it before being answered 503."""


def set_up(store: Store) -> bool:
    """Run ``store``'s :meth:`~storebridge.adapter.Adapter.webhook_setup`; False, logged,
    when it failed (whatever the reason: deliveries that need it are answered 503)."""
    try:
        store.run(store.adapter.webhook_setup())
    except Exception as exc:  # any failure leaves the deliveries that need it retried
        _failed(store.adapter, exc)
        return False
    return True


_RUNNING: weakref.WeakKeyDictionary[Store, Future[bool]] = weakref.WeakKeyDictionary()
_RUNNING_LOCK = threading.Lock()


def _started(store: Store) -> Future[bool] | None:
    """``store``'s reading under way, or a new one: one at a time per store however many
    deliveries ask, in a daemon thread of its own (so a store that hangs holds up no other
    store and never keeps the program from exiting). None when no thread could start."""
    with _RUNNING_LOCK:
        running = _RUNNING.get(store)
        if running is None or running.done():
            running = Future()
            thread = threading.Thread(target=_run_into, args=(store, running), daemon=True,
                                      name="storebridge-webhook-setup")  # fmt: skip
            try:
                thread.start()
            except RuntimeError as exc:  # no thread to be had: this delivery is retried
                _failed(store.adapter, exc)
                return None
            _RUNNING[store] = running
    return running


def set_up_within(store: Store) -> bool:
    """Whether ``store``'s reading succeeded, waiting for it at most :data:`WAIT` seconds
    (for ``receive()``; it goes on in the background and serves a later delivery)."""
    running = _started(store)
    if running is None:
        return False
    try:
        return running.result(timeout=WAIT)
    except TimeoutError:
        return False


def _run_into(store: Store, result: Future[bool]) -> None:
    done = False
    try:
        done = set_up(store)
    finally:  # whatever ends it, the next delivery may start another
        if not result.done():  # nothing cancels it (see Setups._run); never raise here
            result.set_result(done)


async def set_up_async(store: AsyncStore) -> bool:
    """:func:`set_up` for an AsyncStore (on the loop it was made on, or it fails: logged)."""
    try:
        await store.run(store.adapter.webhook_setup())
    except Exception as exc:  # as in set_up
        _failed(store.adapter, exc)
        return False
    return True


def _failed(adapter: Adapter, exc: Exception) -> None:
    log.warning(
        "webhooks for %s: could not read what deliveries need (%s: %s); those that need it "
        "are answered 503 until it can be read",
        adapter.store_id,
        type(exc).__name__,
        exc,
    )


class Setups:
    """The stores of an ASGI app whose setup is still to succeed, by URL name."""

    def __init__(self, stores: Mapping[str, Store | AsyncStore]) -> None:
        self._pending = dict(stores)
        self._running: dict[str, asyncio.Future[bool]] = {}

    def start_all(self) -> None:
        """Start every pending setup in the background (when the app starts serving)."""
        for name in list(self._pending):
            self._start(name)

    async def ready(self, name: str) -> bool:
        """Whether ``name``'s setup is done, waiting for it at most :data:`WAIT` seconds
        (it goes on in the background after that)."""
        if name not in self._pending:
            return True
        running = self._start(name)
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(asyncio.shield(running), WAIT)
        return False

    def _start(self, name: str) -> asyncio.Future[bool]:
        running = self._running.get(name)
        if running is None or running.done():
            running = self._running[name] = asyncio.ensure_future(self._run(name))
        return running

    async def _run(self, name: str) -> bool:
        store = self._pending.get(name)
        if store is None:
            return True
        if isinstance(store, AsyncStore):
            done = await set_up_async(store)
        else:  # the same reading receive() waits for, if one is under way
            running = _started(store)
            # Shielded: an app shutting down cancels this wait, never the reading that
            # receive() calls in other threads may be waiting for too.
            done = running is not None and await asyncio.shield(asyncio.wrap_future(running))
        if done:
            self._pending.pop(name, None)
        return done


__all__ = ["WAIT", "Setups", "set_up", "set_up_async", "set_up_within"]
