"""Shared by the migration scale benchmarks (not a benchmark itself).

The sandboxes are served on loopback by the benchmark process; each migration runs in a
child process of its own, so its peak RSS is the migration's alone and it can be killed
with SIGKILL like a real crash. 29 Next -> SHOPLINE, rate limits off on both sides.

The child's peak is the kernel's ``VmHWM`` (Linux): ``ru_maxrss`` would not do, as a
child starts its count from its parent's RSS at the fork, and the parent holds the
sandboxes' stores, which grow with the number of orders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, storebridge
source, target, ledger, options = (json.loads(a) for a in sys.argv[1:5])
limit = storebridge.RateLimit(10_000, 10_000)
fast = storebridge.StoreOptions(rate_limit=limit, **options.pop("store_options", {}))

def peak_kb():
    with open("/proc/self/status", encoding="ascii") as status:
        return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

def progress(event):
    if event.phase == "verify" and event.done == 0:
        print("verify", peak_kb(), flush=True)

with storebridge.connect(options=fast, **source) as s, \\
     storebridge.connect(options=fast, **target) as t:
    report = storebridge.migrate(s, t, ledger=ledger, progress=progress, **options)
print("done", report.status, peak_kb(), flush=True)
if report.status != "PASS":
    print(report.summary(), file=sys.stderr)
"""


def portable(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings a child process can receive as JSON (in-process clocks left out)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, bool | int | float | str):
            out[key] = value
    return out


@contextmanager
def served_pair(
    orders: int, seed: int = 11
) -> Iterator[tuple[Sandbox, Sandbox, dict[str, Any], dict[str, Any]]]:
    """A 29 Next store with ``orders`` orders (200 customers, 50 products) and an empty
    SHOPLINE store, served on loopback; yields the kits and their connect settings."""
    source = adapter_class("29next").sandbox(
        seed=seed, orders=orders, customers=200, products=50, rate_limit=None, page_size=100
    )
    target = adapter_class("shopline").sandbox(
        seed=seed, orders=0, customers=0, products=0, currency="USD", rate_limit=False
    )
    with source.emulator.serve() as src_url, target.emulator.serve() as dst_url:
        src = {"platform": "29next", **portable(source.settings(src_url))}
        dst = {"platform": "shopline", **portable(target.settings(dst_url))}
        yield source, target, src, dst


def requests(kit: Sandbox) -> int:
    with kit.emulator.lock:
        return len(kit.emulator.requests)


class Child:
    """One migration in a child process; watches its output."""

    def __init__(
        self,
        source: dict[str, Any],
        target: dict[str, Any],
        ledger: Path,
        on_verify: Callable[[], None] | None = None,
        **options: Any,
    ) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = [json.dumps(source), json.dumps(target), json.dumps(str(ledger)),
                json.dumps(options)]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", CHILD, *args],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.status: str | None = None
        self.rss_kb = 0
        self.rss_before_verify_kb = 0
        self._on_verify = on_verify
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            words = line.split()
            if words[:1] == ["verify"]:
                self.rss_before_verify_kb = int(words[1])
                if self._on_verify is not None:
                    self._on_verify()
            elif words[:1] == ["done"]:
                self.status, self.rss_kb = words[1], int(words[2])

    def wait(self) -> int:
        code = self.process.wait()
        self._reader.join()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.wait()
