"""Sandboxes served on 127.0.0.1 from a child process, with every answer counted there.

The client under test gets the benchmark process to itself: the emulators render pages
and sleep their injected latency in another process (on another core of a small
machine), so neither takes the GIL from the other and the client's CPU time is its own.
429s are counted where they are given, on the emulator side, whoever provoked them.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Mapping
from contextlib import ExitStack
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import attrs

from storebridge.registry import adapter_class
from storebridge.sandbox import hold_for_serving
from storebridge.sandbox.emulator import SAFE_METHODS, Emulator

__all__ = ["Answers", "SandboxHost", "SandboxSpec", "Served"]

_START_TIMEOUT = 600.0
"""Seconds the child may take to seed and start every sandbox (20 stores seed in ~10 s)."""


@attrs.frozen
class SandboxSpec:
    """``Adapter.sandbox(seed=, orders=, ..., latency=, **options)`` for one platform."""

    platform: str
    orders: int
    seed: int = 1
    latency: float = 0.0
    customers: int | None = None
    products: int | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Served:
    """Where a sandbox listens and the ``storebridge.connect`` settings that reach it."""

    platform: str
    url: str
    settings: Mapping[str, Any]


@attrs.frozen
class Answers:
    """Answers a sandbox gave: reads and writes it served, 429s, other refusals; when the
    first and the last write were answered (``time.monotonic``, one clock for every
    process of the machine)."""

    reads: int = 0
    writes: int = 0
    too_many: int = 0
    errors: int = 0
    first_write: float | None = None
    last_write: float | None = None

    @property
    def served(self) -> int:
        return self.reads + self.writes


class _Counter:
    def __init__(self, emulator: Emulator) -> None:
        self._lock = threading.Lock()
        self.answers = Answers()
        handle = emulator.handle

        def counted(request: Any) -> Any:
            response = handle(request)
            status = response.status_code
            with self._lock:
                a = self.answers
                if status == 429:
                    a = attrs.evolve(a, too_many=a.too_many + 1)
                elif status >= 400:
                    a = attrs.evolve(a, errors=a.errors + 1)
                elif request.method in SAFE_METHODS:
                    a = attrs.evolve(a, reads=a.reads + 1)
                else:
                    now = time.monotonic()
                    a = attrs.evolve(
                        a, writes=a.writes + 1, first_write=a.first_write or now, last_write=now
                    )
                self.answers = a
            return response

        # The loopback server calls emulator.handle, so the instance attribute wins.
        emulator.handle = counted  # type: ignore[method-assign]

    def take(self) -> Answers:
        with self._lock:
            answers, self.answers = self.answers, Answers()
        return answers


def _serve(specs: Mapping[str, SandboxSpec], conn: Connection) -> None:
    """The child: seed and serve every sandbox, then answer the parent's questions."""
    with ExitStack() as stack:
        try:
            counters: dict[str, _Counter] = {}
            served: dict[str, Served] = {}
            for name, spec in specs.items():
                kit = adapter_class(spec.platform).sandbox(
                    seed=spec.seed, orders=spec.orders, customers=spec.customers,
                    products=spec.products, latency=spec.latency, **spec.options,
                )  # fmt: skip
                counters[name] = _Counter(kit.emulator)
                url = stack.enter_context(kit.emulator.serve())
                served[name] = Served(spec.platform, url, kit.settings(url))
        except Exception:
            conn.send(("error", traceback.format_exc()))
            return
        hold_for_serving()  # a collector pass over the stores would stall every sandbox
        conn.send(("ok", served))
        while True:
            command, name = conn.recv()
            if command == "stop":
                break
            if command == "take":
                conn.send(counters[name].take())
            elif command == "cpu":
                conn.send(time.process_time())
    conn.send("stopped")


class SandboxHost:
    """``with SandboxHost({"shop": SandboxSpec(...)}) as host: host.served["shop"].url``.

    ``take(name)`` returns the answers counted since the last ``take`` and starts a new
    count; ``cpu()`` is the child's CPU seconds so far (how busy the emulators were).
    """

    def __init__(self, specs: Mapping[str, SandboxSpec]) -> None:
        self.specs = dict(specs)
        self.served: dict[str, Served] = {}
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.specs, child), name="benchmark-sandboxes", daemon=True
        )

    def __enter__(self) -> SandboxHost:
        self._process.start()
        if not self._conn.poll(_START_TIMEOUT):
            self._end()
            raise RuntimeError(f"the sandboxes did not start within {_START_TIMEOUT:.0f} s")
        status, payload = self._conn.recv()
        if status != "ok":
            self._end()
            raise RuntimeError(f"the sandboxes did not start:\n{payload}")
        self.served = payload
        return self

    def take(self, name: str) -> Answers:
        self._conn.send(("take", name))
        answers: Answers = self._conn.recv()
        return answers

    def cpu(self) -> float:
        self._conn.send(("cpu", None))
        seconds: float = self._conn.recv()
        return seconds

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end()

    def _end(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(("stop", None))
                if self._conn.poll(10):
                    self._conn.recv()
            except (BrokenPipeError, EOFError, OSError):
                pass
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()  # our own child, stuck: end it rather than hang
            self._process.join(timeout=5)
        self._conn.close()
