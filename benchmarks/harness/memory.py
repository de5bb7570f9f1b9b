"""Section 3: peak RSS of ``storebridge export`` at N and 4N orders.

The command line's own entry point in a subprocess, reading a profile file written for a
loopback sandbox (no latency), so what is measured is what a user's export costs: the
interpreter, the imports, the listing and the writer. The peak is the kernel's high-water
mark for the process (``VmHWM``), not a sample.

24Nettbutikk with its defaults (customers and SKUs joined) is the platform measured: its
joins keep per-run maps, the likeliest place for memory to grow with the store, and its
profile can carry the client's rate (the others declare 4 requests/second, which would make
a 4N export minutes long).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness.config import emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec, Served

from storebridge.cli.profile_toml import profile_lines, secret_settings
from storebridge.registry import adapter_class

__all__ = ["PLATFORM", "measure_memory", "peak_rss"]

PLATFORM = "24nettbutikk"
_PROFILE = "bench"
_CLIENT_RATE = {"requests_per_second": 10_000.0, "burst": 100}
"""No latency and no server limit: the client's own pace is the only one left to lift."""


_PEAK_AT_EXIT = """
import atexit, sys

def write_peak(path=sys.argv[1]):
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(path, "w", encoding="ascii") as out:
        out.write(peak)

atexit.register(write_peak)
sys.argv = ["storebridge", *sys.argv[2:]]
from storebridge.cli import main
main()
"""
"""The console script's own entry point, with the process's peak RSS written at exit.

The kernel's peak for this process alone is ``VmHWM``; ``wait4``'s ``ru_maxrss`` would not
do, as a child starts its count from its parent's (a benchmark process of 100 MiB would
hide any export smaller than that)."""


def peak_rss(arguments: list[str], env: dict[str, str], tmp: Path) -> tuple[float, float]:
    """Run ``storebridge ARGUMENTS`` (exit code checked): its peak RSS in MiB and CPU seconds."""
    log, peak = tmp / "stderr.txt", tmp / "peak.txt"
    peak.unlink(missing_ok=True)
    started = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("wb") as err:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-c", _PEAK_AT_EXIT, str(peak), *arguments],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            check=False,
        )  # fmt: skip
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(
            f"storebridge {' '.join(arguments)} exited {done.returncode}:\n"
            + log.read_text(errors="replace")[-2000:]
        )
    cpu = (ended.ru_utime - started.ru_utime) + (ended.ru_stime - started.ru_stime)
    return int(peak.read_text(encoding="ascii")) / 1024, cpu


def _export(served: Served, orders: int, tmp: Path) -> dict[str, Any]:
    settings = {**served.settings, **_CLIENT_RATE}
    lines, secrets = profile_lines(
        _PROFILE, PLATFORM, settings, secret_settings(adapter_class(PLATFORM))
    )
    config = tmp / "storebridge.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp / "orders.jsonl"
    arguments = [
        "export", "orders", "--store", _PROFILE, "--config", str(config),
        "-o", str(output), "--quiet",
    ]  # fmt: skip
    mib, cpu = peak_rss(arguments, {**os.environ, **secrets}, tmp)
    with output.open("rb") as exported:
        written = sum(1 for _ in exported)
    output.unlink()
    if written != orders:
        raise RuntimeError(f"storebridge export wrote {written} of {orders} orders")
    return {"orders": orders, "peak_rss_mib": round(mib, 1), "cpu_s": round(cpu, 2)}


def measure_memory(orders: int) -> dict[str, Any]:
    """Peak RSS of the import floor (``storebridge platforms``), and of exports at N and 4N."""
    sizes = {"n": orders, "4n": orders * 4}
    specs = {
        name: SandboxSpec(PLATFORM, size, options=emulator_limit(PLATFORM, None))
        for name, size in sizes.items()
    }
    with tempfile.TemporaryDirectory() as name, SandboxHost(specs) as host:
        tmp = Path(name)
        floor, _ = peak_rss(["platforms"], dict(os.environ), tmp)
        small, large = (_export(host.served[n], size, tmp) for n, size in sizes.items())
    return {
        "platform": PLATFORM,
        "floor_rss_mib": round(floor, 1),
        "n": small,
        "4n": large,
        "growth_4n_over_n": round(large["peak_rss_mib"] / small["peak_rss_mib"], 3),
    }
