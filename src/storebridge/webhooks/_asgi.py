"""An ASGI application receiving webhook deliveries for many stores (Starlette)."""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storebridge.model.changes import Change
from storebridge.store import AsyncStore, Store
from storebridge.webhooks._receive import (
    RETRY_AFTER,
    WebhookEndpoint,
    WebhookRejected,
    dedupe_key,
    endpoint,
    parse,
)
from storebridge.webhooks._seen import Claim, DeliveryState, MemorySeenStore, SeenStore
from storebridge.webhooks._setup import Setups

log = logging.getLogger("storebridge.webhooks")

Handler = Callable[[Change], Any | Awaitable[Any]]

MAX_BODY = 10 * 1024 * 1024
"""Bytes of a delivery's body ``asgi_app`` reads at most by default (larger: 413). Webhook
bodies are single records, far below it; the body is read before its signature can be
checked, so without a bound anyone could make the receiver hold any amount."""


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The request's body, or _TooLarge as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def asgi_app(
    on_event: Handler,
    stores: Iterable[Any] | Mapping[str, Any],
    *,
    seen: SeenStore | None = None,
    path: str = "/{store}",
    max_body: int = MAX_BODY,
) -> Starlette:
    """An ASGI app: ``POST {path}`` with ``{store}`` naming one of ``stores``.

    ``stores``: Stores, AsyncStores, adapters or :class:`WebhookEndpoint` objects (named by
    their store id), or a mapping of URL name to any of these. ``on_event`` (a function or a
    coroutine function) gets each new :class:`~storebridge.model.Change`; a delivery whose
    handling finished before (``seen``, in memory by default) is acknowledged and dropped.
    Answers: 200 accepted or duplicate (handled before), 401 bad signature, 400 unreadable
    body, 404 unknown store, 500 when ``on_event`` raised (the platform will deliver again;
    nothing was marked seen), 503 with ``Retry-After`` while another request is still
    handling the same delivery (it may yet fail: the platform must deliver again), 413 for a
    body over ``max_body`` bytes.

    Checking a signature and parsing a body (work on what anyone can send) run in a worker
    thread, as does an ``on_event`` that is a plain function: a large or slow one then holds
    up neither the other deliveries nor the event loop.
    """
    named: dict[str, WebhookEndpoint] = {}
    stores_of: dict[str, Store | AsyncStore] = {}
    items = stores.items() if isinstance(stores, Mapping) else ((None, s) for s in stores)
    for name, store in items:
        ep = endpoint(store, name=name)
        named[ep.name] = ep
        if isinstance(store, Store | AsyncStore):
            stores_of[ep.name] = store
    # What the stores' adapters must read before some deliveries can be (webhook_setup).
    setups = Setups(stores_of)
    memory = seen if seen is not None else MemorySeenStore()

    async def deliver(request: Request) -> JSONResponse:
        ep = named.get(request.path_params["store"])
        if ep is None:
            return JSONResponse({"error": "unknown store"}, status_code=404)
        try:
            body = await _body(request, max_body)
        except _TooLarge:
            log.warning("webhook for %s refused: its body is over %d bytes", ep.name, max_body)
            return JSONResponse({"error": f"body over {max_body} bytes"}, status_code=413)
        try:
            try:
                change = await run_in_threadpool(parse, ep, request.headers, body)
            except WebhookRejected as exc:
                if exc.status != 503 or not await setups.ready(ep.name):
                    raise
                # What it needed is read now.
                change = await run_in_threadpool(parse, ep, request.headers, body)
        except WebhookRejected as exc:
            log.warning("webhook for %s rejected: %s", ep.name, exc)
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        key = dedupe_key(change)
        claim = Claim.take(memory, key) if key is not None else None
        state = claim.state if claim is not None else DeliveryState.NEW
        if state is DeliveryState.DONE:
            return JSONResponse({"status": "duplicate"})
        if state is DeliveryState.IN_PROGRESS:
            # Not a duplicate yet: the handler holding the claim may still fail.
            log.info("webhook %s %s is still being handled; asked to retry", ep.name, key)
            return JSONResponse(
                {"error": "this delivery is still being handled; deliver it again later"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        try:
            if inspect.iscoroutinefunction(on_event):
                await on_event(change)
            else:
                result = await run_in_threadpool(on_event, change)
                if inspect.isawaitable(result):  # an object whose __call__ is async
                    await result
        except BaseException as exc:
            # Cancelled, interrupted or failed: nothing was handled, so a re-delivery must be.
            if claim is not None:
                claim.release()  # this request's claim only: another may hold a newer one
            if not isinstance(exc, Exception):
                raise
            log.exception("webhook handler failed for %s %s", ep.name, change.event_id)
            return JSONResponse({"error": "handler failed"}, status_code=500)
        if claim is not None:
            claim.done()
        return JSONResponse({"status": "accepted"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        setups.start_all()  # so the first delivery that needs them seldom waits
        yield

    return Starlette(routes=[Route(path, deliver, methods=["POST"])], lifespan=lifespan)


@contextlib.contextmanager
def serve(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yields its base URL; stops on exit.

    For tests, sandboxes and ``storebridge listen``. Binds loopback unless told otherwise.
    """
    import uvicorn

    # Lifespan on: an app from asgi_app starts its stores' setups (what deliveries need,
    # such as SHOPLINE's currency) when serving starts, so its first delivery seldom waits.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="storebridge-webhooks", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the webhook receiver could not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


__all__ = ["asgi_app", "serve"]
