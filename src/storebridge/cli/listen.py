"""``storebridge listen``: print what changes in stores, as JSON lines, until stopped.

Stores whose platform sends webhooks get them on a local receiver (``POST /{store}``); the
others are polled through the change feed. Both give the same events, one JSON object per
line on stdout, so a pipeline reads them the same way whatever the platform.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storebridge.cli import logs
from storebridge.cli.interrupts import terminate_like_interrupt
from storebridge.cli.options import (
    ConfigOption,
    DebugOption,
    VerboseOption,
    apply_verbosity,
    open_store,
    profile_name,
    since_option,
)
from storebridge.cli.output import (
    EXIT_INTERRUPTED,
    CliError,
    error,
    note,
    usage_error,
    warning,
)
from storebridge.errors import (
    ConfigurationError,
    StorebridgeError,
    UnsupportedOperation,
    ValidationError,
)
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


class _Retry(Exception):
    """A pass failed for a reason that may heal: report it, wait, go on from the checkpoint."""


_BACKOFF_CAP = 300.0
"""The longest wait between tries of a failing store (unless --poll is longer)."""

_RESTART_HINT = (
    "point --state at the folder that holds this store's own checkpoints, or move {file} "
    "away to start this store afresh from --since (without --since: from now, and what "
    "changed since the last run is not printed)"
)


class _Follower:
    """One store's place in its change feed, and the --state file that keeps it.

    ``since`` is the checkpoint of the last change printed (or of the last pass); ``unsaved``
    says the state file does not have it yet, and then nothing more is read or printed
    until it does, so a restart never has more than one change to print again.
    """

    def __init__(
        self, store: Any, state: Path | None, start: Any, emit: Callable[[Change], None], label: str
    ) -> None:
        self.store = store
        self.state = state
        self.since: Any = start
        self.emit = emit
        self.label = label
        self.loaded = state is None
        self.unsaved = False

    def one_pass(self) -> None:
        """Load the checkpoint (once), read a pass of the feed, print and save each change."""
        self._load()
        if self.unsaved:
            self._save()
        try:
            feed = self.store.changes(since=self.since)
        except ValidationError as exc:
            if exc.field == "since" and self.state is not None:
                raise CliError(
                    f"{self.label}: cannot resume from the checkpoint in {self.state}: {exc}",
                    hint=_RESTART_HINT.format(file=self.state),
                ) from None
            raise
        for change in self._changes(feed):
            try:
                self.emit(change)
            except OSError as exc:
                raise CliError(
                    f"{self.label}: cannot print changes: stdout is closed or failing ({exc})",
                    hint="keep the reader of storebridge listen's output running; with --state "
                    "a new run resumes after the last change printed",
                ) from None
            self.since = change.checkpoint
            self._save()
        self.since = feed.checkpoint
        self._save()

    def _changes(self, feed: Any) -> Iterator[Change]:
        try:
            yield from feed
        except Exception:
            # The feed's checkpoint covers every change it handed out (each one printed
            # before the next was asked for) and what it had read without a change.
            self.since = feed.checkpoint
            self.unsaved = self.state is not None
            raise

    def _load(self) -> None:
        if self.loaded or self.state is None:
            return
        from storebridge.changes import Checkpoint

        try:
            text = self.state.read_bytes()
        except FileNotFoundError:
            self.loaded = True  # no checkpoint yet: from --since (or now)
            return
        except OSError as exc:
            raise _Retry(f"cannot read its checkpoint {self.state}: {_why(exc)}") from exc
        try:
            self.since = Checkpoint.from_json(text)
        except ValidationError as exc:
            raise CliError(
                f"{self.label}: cannot resume from {self.state}: {exc}",
                hint=_RESTART_HINT.format(file=self.state),
            ) from None
        self.loaded = True

    def _save(self) -> None:
        if self.state is None:
            return
        self.unsaved = True
        try:
            _save(self.state, self.since)
        except OSError as exc:
            raise _Retry(
                f"cannot save its checkpoint to {self.state}: {_why(exc)} (make sure the "
                f"--state folder {self.state.parent}{os.sep} exists and is writable; until "
                "then no more changes are printed for this store)"
            ) from exc
        self.unsaved = False

    def save_quietly(self) -> None:
        """Save a checkpoint not saved yet, if that works (listening is stopping)."""
        if self.unsaved:
            with contextlib.suppress(_Retry):
                self._save()


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _poll(
    store: Any,
    state: Path | None,
    interval: float,
    stop: threading.Event,
    start: Any,
    emit: Callable[[Change], None] = _emit,
    name: str | None = None,
) -> None:
    """Follow one store's change feed, saving its checkpoint after every change.

    A pass that fails for a reason that may heal (the platform down past the retries, the
    --state folder gone or full) is reported and tried again, waiting longer each time,
    from the last checkpoint, so nothing is skipped. One that cannot heal (a --state file
    that is not this store's checkpoint, stdout closed) raises CliError; anything else is
    a bug and raised as it is. A store closed under a pass because listening stops ends the
    loop quietly: stopping, not a failure to report.
    """
    label = f"{name} ({store.platform})" if name else str(store.platform)
    follower = _Follower(store, state, start, emit, label)
    failures = 0
    while not stop.is_set():
        try:
            follower.one_pass()
        except Exception as exc:
            if stop.is_set():
                follower.save_quietly()
                return
            reason = _retry_reason(exc, label)
            failures += 1
            wait = min(interval * 2 ** min(failures - 1, 16), max(interval, _BACKOFF_CAP))
            warning(f"{label} change feed: {reason}; trying again in {wait:g} s")
            stop.wait(wait)
            continue
        if failures:
            note(f"{label} change feed: working again, from its last checkpoint")
            failures = 0
        stop.wait(interval)


def _retry_reason(exc: Exception, label: str) -> str:
    """What to report of a failed pass that may heal; raises what cannot heal."""
    if isinstance(exc, _Retry):
        return str(exc)
    if isinstance(exc, ValidationError | UnsupportedOperation | ConfigurationError):
        raise CliError(f"{label}: {exc}") from None  # asking again gets the same answer
    if isinstance(exc, StorebridgeError | OSError):
        return str(exc)
    raise exc


def _follow(
    failures: list[CliError],
    stop: threading.Event,
    name: str,
    store: Any,
    state: Path | None,
    interval: float,
    start: Any,
    emit: Callable[[Change], None],
) -> None:
    """A poller thread: :func:`_poll`, and whatever ends it while listening goes on stops
    every store (``failures`` says why, for the main thread to report and exit on)."""
    try:
        _poll(store, state, interval, stop, start, emit, name)
    except CliError as exc:
        failures.append(exc)
    except BaseException as exc:  # a poller must never end unreported
        failures.append(_bug(f"{name} ({store.platform})", exc))
    else:
        if not stop.is_set():
            label = f"{name} ({store.platform})"
            failures.append(CliError(f"{label}: its change feed stopped", hint=_BUG_HINT))
    finally:
        stop.set()


_BUG_HINT = "this is a bug in storebridge; run again with --debug for the traceback"


def _bug(label: str, exc: BaseException) -> CliError:
    from storebridge._redact import registry as redactor

    hint = _BUG_HINT
    if logs.debugging():
        sys.stderr.write(redactor.redact("".join(traceback.format_exception(exc))))
        hint = "this is a bug in storebridge; please report it"
    text = redactor.redact(f"{type(exc).__name__}: {exc}")
    return CliError(f"{label} change feed: unexpected {text}", hint=hint)


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
    if not math.isfinite(poll) or poll <= 0:
        raise usage_error(f"--poll must be a positive number of seconds, got {poll}")
    start = since_option(since, allow_last_run=False)
    given: list[str | None] = list(store) if store else [os.environ.get(PROFILE_ENV)]
    names = [profile_name("--store", name, config) for name in given]
    stores = {name: open_store(name, config) for name in names}
    hooked = {n: s for n, s in stores.items() if not feed and "webhooks.receive" in s.capabilities}
    polled = {n: s for n, s in stores.items() if n not in hooked}
    if state is not None:
        try:
            state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise usage_error(
                f"--state {state}: cannot make it a folder ({exc.strerror or exc})",
                hint="give --state a folder path, or one that can be created",
            ) from None
    stop = threading.Event()
    emit = _emitter(stores)
    failures: list[CliError] = []
    pollers = []
    for n, s in polled.items():
        file = state / f"{n}.checkpoint.json" if state else None
        if start is not None and file is not None and file.exists():
            # The checkpoint wins: resuming from it loses nothing, --since could skip or
            # repeat changes. Said, since the option given is not the one used.
            warning(f"{n}: resuming from its checkpoint {file}, not from --since (which is "
                    "used only when the store has no checkpoint there yet)")  # fmt: skip
        args = (failures, stop, n, s, file, poll, start, emit)
        pollers.append(threading.Thread(target=_follow, args=args, name=f"poll-{n}", daemon=True))
    # SIGTERM (a service manager stopping it) ends it as Ctrl-C does: pollers stopped, the
    # checkpoints as saved, exit 130; it used to die at once with -15.
    with terminate_like_interrupt():
        return _listen(pollers, stop, stores, hooked, emit, failures, host, port)


def _listen(
    pollers: list[threading.Thread],
    stop: threading.Event,
    stores: dict[str, Any],
    hooked: dict[str, Any],
    emit: Callable[..., None],
    failures: list[CliError],
    host: str,
    port: int,
) -> int:
    try:
        for thread in pollers:
            thread.start()
        if hooked:
            try:
                from storebridge import webhooks

                app = webhooks.asgi_app(emit, hooked)
            except (ImportError, ConfigurationError) as exc:
                if isinstance(exc, ConfigurationError) and exc.setting != "webhooks":
                    raise
                raise CliError(
                    "receiving webhooks needs the webhooks extra",
                    hint="pip install 'storebridge[webhooks]', or poll every store with --feed",
                ) from None
            with webhooks.serve(app, host=host, port=port) as url:
                for name in hooked:
                    note(f"receiving {name} webhooks at {url}/{name}")
                # The platform sends nothing until it is told where: subscribing is left to
                # the user, since the address must be one the platform can reach.
                note(
                    "the platform delivers here only once subscribed: "
                    "store.webhooks.subscribe(TOPICS, URL) with each address above (or one "
                    "a tunnel forwards to it); stores already subscribed need nothing"
                )
                _wait_forever(stop, pollers)
        else:
            _wait_forever(stop, pollers)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED  # said once, by the command line: "interrupted"
    finally:
        stop.set()
        for thread in pollers:
            if thread.is_alive():
                thread.join(_JOIN_SECONDS)
        for s in stores.values():
            s.close()
    # Only a poller that ended gets here: listening must not go on without it.
    for failure in failures[1:]:
        error(failure.message, failure.hint)
    if failures:
        raise failures[0]
    raise CliError("a change feed stopped without saying why", hint=_BUG_HINT)


def _wait_forever(stop: threading.Event, pollers: list[threading.Thread]) -> None:
    """Until stopped, or until a poller ends (it stops the others: see :func:`_follow`)."""
    while not stop.is_set() and all(thread.is_alive() for thread in pollers):
        time.sleep(0.2)


__all__ = ["change_line", "listen_command"]
