"""One refresh lock per credential in the process, shared by threads and event loops.

A sync :class:`~storebridge.Store` and an :class:`~storebridge.AsyncStore` on one adapter
(or two stores on one credential) must not refresh the same token at once. The lock is a
plain thread lock; coroutines take it without blocking their event loop (queued behind a
per-loop asyncio lock, so one task per loop polls it).

Do not call a sync store from inside a coroutine while an async refresh may be running on
that loop: the sync call would block the loop that has to finish the refresh.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

_POLL_FIRST = 0.002
_POLL_MAX = 0.05


class CredentialLock:
    """The refresh lock of one credential."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def acquire(self) -> None:
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()

    async def acquire_async(self) -> None:
        loop_lock = self._loop_lock()
        await loop_lock.acquire()
        try:
            pause = _POLL_FIRST
            while not self._lock.acquire(blocking=False):
                await asyncio.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)
        except BaseException:
            loop_lock.release()
            raise

    def release_async(self) -> None:
        self._lock.release()
        self._loop_lock().release()

    def _loop_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; keep one per running loop.
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock


_LOCKS: weakref.WeakValueDictionary[str, CredentialLock] = weakref.WeakValueDictionary()
_LOCKS_GUARD = threading.Lock()


def credential_lock(key: str) -> CredentialLock:
    """The process's refresh lock for credential ``key`` (kept while anything uses it)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = CredentialLock()
        return lock


__all__ = ["CredentialLock", "credential_lock"]
