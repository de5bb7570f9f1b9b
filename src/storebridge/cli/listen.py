"""``storebridge listen``: print what changes in stores, as JSON lines, until stopped.

Stores whose platform sends webhooks get them on a local receiver (``POST /{store}``); the
others are polled through the change feed. Both give the same events, one JSON object per
line on stdout, so a pipeline reads them the same way whatever the platform.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    VerboseOption,
    apply_verbosity,
    open_store,
    profile_name,
    since_option,
)
from storebridge.cli.output import EXIT_INTERRUPTED, CliError, note, usage_error, warning
from storebridge.errors import StorebridgeError
from storebridge.profiles import PROFILE_ENV

if TYPE_CHECKING:
    # The change feed and the model load when listening starts, not with every command line.
    from storebridge.changes import Checkpoint
    from storebridge.model import Change

_print_lock = threading.Lock()


def change_line(change: Change, profile: str | None = None) -> str:
    """One change as a line of JSON (the record as the unified model, raw payload left out);
    ``profile``: the name of the store's profile, as ``export`` names stores."""
    record = change.object.to_dict() if hasattr(change.object, "to_dict") else None
    return json.dumps(
        {
            "profile": profile,
            "store": change.store,
            "platform": change.platform,
            "resource": change.resource,
            "kind": change.kind.value,
            "ref": change.ref,
            "occurred_at": change.occurred_at.isoformat() if change.occurred_at else None,
            "source": change.source,
            "event_id": change.event_id,
            "topic": change.topic,
            "object": record,
        },
        ensure_ascii=False,
        default=str,
    )


def _emit(change: Change, profile: str | None = None) -> None:
    with _print_lock:
        sys.stdout.write(change_line(change, profile) + "\n")
        sys.stdout.flush()


def _emitter(stores: dict[str, Any]) -> Callable[[Change], None]:
    """``_emit`` naming each change's profile (found by its platform and store)."""
    names = {(s.platform, s.adapter.store_id): name for name, s in stores.items()}

    def emit(change: Change) -> None:
        _emit(change, names.get((change.platform, change.store)))

    return emit


def _save(state: Path | None, checkpoint: Checkpoint) -> None:
    """Write the checkpoint whole or not at all: a kill mid-write leaves the previous one."""
    if state is None:
        return
    partial = state.with_name(state.name + ".partial")
    partial.write_text(checkpoint.to_json(), encoding="utf-8")
    os.replace(partial, state)


def _poll(
    store: Any,
    state: Path | None,
    interval: float,
    stop: threading.Event,
    start: Any,
    emit: Callable[[Change], None] = _emit,
) -> None:
    """Follow one store's change feed, saving its checkpoint after every change.

    A failed pass (the platform down past the retries) is reported and tried again on the
    next interval from the last checkpoint, so nothing is skipped. A store closed under a
    pass because listening stops ends the loop quietly: stopping, not a failure to report.
    """
    from storebridge.changes import Checkpoint

    since: Any = start
    if state is not None and state.exists():
        since = Checkpoint.from_json(state.read_text(encoding="utf-8"))
    try:
        while not stop.is_set():
            feed = store.changes(since=since)
            try:
                for change in feed:
                    emit(change)
                    since = change.checkpoint
                    _save(state, since)
                since = feed.checkpoint
                _save(state, since)
            except StorebridgeError as exc:
                # Go on from where the failed pass stood, not from a new "now": the feed's
                # checkpoint covers what it started from, so changes made meanwhile still
                # come.
                since = feed.checkpoint
                _save(state, since)
                if stop.is_set():
                    return
                warning(f"{store.platform} change feed: {exc}; trying again in {interval:g} s")
            stop.wait(interval)
    except Exception:
        if stop.is_set():
            return
        raise


_JOIN_SECONDS = 1.0
"""How long stopping waits for a pass in progress to end before closing its store."""


def listen_command(
    store: Annotated[
        list[str] | None,
        typer.Option(
            "--store", "-s", help=f"A profile to listen to (repeat; default ${PROFILE_ENV})."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address the webhook receiver binds.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the webhook receiver (0: a free one).")] = 0,
    poll: Annotated[
        float, typer.Option(help="Seconds between change-feed passes for stores without webhooks.")
    ] = 60.0,
    state: Annotated[
        Path | None,
        typer.Option(help="Folder for change-feed checkpoints, so a restart resumes."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Polled stores: changes since this ISO time (default: from now)."),
    ] = None,
    feed: Annotated[
        bool,
        typer.Option(
            "--feed", help="Poll every store through the change feed, even those with webhooks."
        ),
    ] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> int:
    """Print every change of the stores as a JSON line (webhooks where the platform sends
    them, the change feed elsewhere) until interrupted."""
    apply_verbosity(verbose, debug)
    if not 0 <= port <= 65535:
        raise usage_error(f"--port {port} is not a port number (0-65535)")
    if poll <= 0:
        raise usage_error("--poll must be a positive number of seconds")
    start = since_option(since, allow_last_run=False)
    given: list[str | None] = list(store) if store else [os.environ.get(PROFILE_ENV)]
    names = [profile_name("--store", name, config) for name in given]
    stores = {name: open_store(name, config) for name in names}
    hooked = {n: s for n, s in stores.items() if not feed and "webhooks.receive" in s.capabilities}
    polled = {n: s for n, s in stores.items() if n not in hooked}
    if state is not None:
        state.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    emit = _emitter(stores)
    pollers = [
        threading.Thread(
            target=_poll,
            args=(s, state / f"{n}.checkpoint.json" if state else None, poll, stop, start, emit),
            name=f"poll-{n}",
            daemon=True,
        )
        for n, s in polled.items()
    ]
    try:
        for thread in pollers:
            thread.start()
        if hooked:
            try:
                from storebridge import webhooks

                app = webhooks.asgi_app(emit, hooked)
            except ImportError:
                raise CliError(
                    "receiving webhooks needs the webhooks extra",
                    hint="pip install 'storebridge[webhooks]', or poll every store with --feed",
                ) from None
            with webhooks.serve(app, host=host, port=port) as url:
                for name in hooked:
                    note(f"receiving {name} webhooks at {url}/{name}")
                _wait_forever(stop)
        else:
            _wait_forever(stop)
    except KeyboardInterrupt:
        note("stopped")
        return EXIT_INTERRUPTED
    finally:
        stop.set()
        for thread in pollers:
            if thread.is_alive():
                thread.join(_JOIN_SECONDS)
        for s in stores.values():
            s.close()
    return 0


def _wait_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        time.sleep(0.2)


__all__ = ["change_line", "listen_command"]
