"""Ctrl-C stops ``fleet.run`` and ``fleet.map`` called from a thread that runs an event loop
(a notebook, an ASGI app), where the fleet's work runs on a loop in a helper thread. The
interrupt reached the caller while the job went on in that thread: 88 more requests, and
export files appeared afterwards. Each case runs in a process of its own, which the test
interrupts with a real SIGINT, under both ways of running a loop: ``asyncio.run`` turns
Ctrl-C into a cancellation of its main task, which the fleet call did not notice."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap

import pytest

from tests.support.paths import REPO_ROOT

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, pathlib, signal, sys, tempfile, threading, time
    import storebridge
    from storebridge.fleet import ExportJob, StoreSpec
    from storebridge.registry import adapter_class

    # 96 requests of 20 ms: 2 s of work when not stopped. (The in-process sandbox answers on
    # the fleet's loop: the requests queued when Ctrl-C comes still run before it stops.)
    kit = adapter_class("29next").sandbox(seed=1, orders=40, rate_limit=None, latency=0.02)
    specs = [StoreSpec(f"s{i}", platform="29next", settings=kit.settings("https://x.example"),
                       transport=kit.emulator.transport()) for i in range(2)]
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
    fleet = storebridge.fleet(specs, options=fast)
    out = pathlib.Path(tempfile.mkdtemp())

    ticks = []

    async def tick(store):
        for _ in range(200):  # 4 s of work per store, unless stopped
            await asyncio.sleep(0.02)
            ticks.append(1)

    async def main():
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        if sys.argv[1] == "run":
            fleet.run(ExportJob("orders", out))
        else:
            fleet.map(tick)

    try:
        if sys.argv[2] == "asyncio.run":  # its own Ctrl-C handler cancels the main task
            asyncio.run(main())
        else:
            asyncio.new_event_loop().run_until_complete(main())
    except KeyboardInterrupt:
        sent, ticked = len(kit.emulator.requests), len(ticks)
        helpers = [t for t in threading.enumerate() if t.name == "storebridge-fleet"]
        time.sleep(0.5)  # what still ran would have sent or ticked by now (every 20 ms)
        # Alive after that: a helper that ended its work may take a moment more to exit.
        alive = [t.name for t in helpers if t.is_alive()]
        print("after", len(kit.emulator.requests) - sent + len(ticks) - ticked,
              "alive", len(alive), "files", len(list(out.iterdir())),
              "whole", len(ticks) == 400)  # every store's work done: not stopped at all
    else:
        print("not interrupted")
    """
)


@pytest.mark.parametrize("runner", ["asyncio.run", "run_until_complete"])
@pytest.mark.parametrize("call", ["run", "map"])
def test_ctrl_c_in_a_thread_running_a_loop_stops_the_fleet_work(call: str, runner: str) -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SCRIPT, call, runner], cwd=REPO_ROOT, capture_output=True,
        text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.stdout.strip() == "after 0 alive 0 files 0 whole False", (done.stdout, done.stderr)


def test_a_cancellation_already_handled_does_not_cut_a_later_fleet_call_short() -> None:
    """A task that caught a cancellation (or cleans up after one) still counts it in
    ``cancelling()``: a fleet call it makes afterwards must run to its end, as an ``await``
    there does, not stop after its first look at the task."""
    from storebridge.fleet._bridge import run_blocking

    ticks: list[int] = []

    async def work() -> str:
        for _ in range(10):
            await asyncio.sleep(0.02)
            ticks.append(1)
        return "complete"

    async def caller() -> str:
        # Handled here, and not uncancelled: cancelling() stays 1.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)
        return run_blocking(work)

    async def main() -> str:
        task = asyncio.create_task(caller())
        await asyncio.sleep(0.05)
        task.cancel()
        return await task

    assert asyncio.run(main()) == "complete"
    assert len(ticks) == 10
