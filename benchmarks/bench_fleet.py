"""Many stores at once: aggregate orders/s of a fleet, in one process and on a local cluster.

SHOPLINE sandboxes (documented limit 4 requests/s scaled x``--scale``, ``--latency``
seconds added to every answer) are served on loopback by a separate process, so the
client's CPU is measured apart from the emulators'. For each fleet size the benchmark reads
every order of every store

* in one process: ``fleet.orders.list()`` (every store on one event loop);
* on a Dask LocalCluster of ``--workers`` processes: one task per store, each listing its
  store with the same facade;

and prints aggregate orders/s against the sum of the stores' bounds (rate limit x page
size), with the client CPU seconds used (this process, plus the workers on the cluster)
and the emulators' CPU seconds (on a small machine they compete with the client for cores).
Figures vary with the machine; compare the ratios. Not part of the test suite.

    .venv/bin/python benchmarks/bench_fleet.py                 # 20 and 100 stores
    .venv/bin/python benchmarks/bench_fleet.py --quick         # smaller, about a minute
    .venv/bin/python benchmarks/bench_fleet.py --json fleet.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storebridge
from storebridge.cli.profile_toml import profile_lines, secret_settings
from storebridge.fleet import Job, JobResult, StoreSpec
from storebridge.registry import adapter_class

PLATFORM = "shopline"
DOCUMENTED_RATE = 4.0
PAGE_SIZE = 50


def host(count: int, orders: int, rate: float, latency: float, folder: str, conn: Any) -> None:
    """Serve ``count`` seeded SHOPLINE sandboxes on loopback until told to stop."""
    adapter = adapter_class(PLATFORM)
    lines: list[str] = []
    env: dict[str, str] = {}
    with ExitStack() as stack:
        for index in range(count):
            kit = adapter.sandbox(
                seed=index, orders=orders, customers=20, products=20, latency=latency,
                rate_limit=rate, bucket_size=max(1, int(rate)),
            )  # fmt: skip
            url = stack.enter_context(kit.emulator.serve())
            block, secrets = profile_lines(
                f"s{index:03d}", PLATFORM, kit.settings(url), secret_settings(adapter)
            )
            lines += [*block, ""]
            env.update(secrets)
        Path(folder, "storebridge.toml").write_text("\n".join(lines), "utf-8")
        conn.send(env)
        conn.recv()  # stop


def _set_environment(env: dict[str, str]) -> None:
    os.environ.update(env)


class CountOrders(Job):
    """List one store's orders with the async facade and count them (a benchmark job)."""

    def __init__(self, options: storebridge.StoreOptions) -> None:
        self.options = options

    async def arun(self, spec: StoreSpec) -> JobResult:
        count = 0
        async with spec.with_options(self.options).connect_async() as store:
            async for _ in store.orders.list(page_size=PAGE_SIZE):
                count += 1
        return JobResult(counts={"orders": count})


def _in_process(fleet: Any) -> tuple[int, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()

    async def read() -> int:
        count = 0
        async for batch in fleet.orders.list(page_size=PAGE_SIZE).batches():
            count += len(batch)
        return count

    orders = asyncio.run(read())
    return orders, time.perf_counter() - wall, time.process_time() - cpu


def _on_cluster(fleet: Any, client: Any, options: Any) -> tuple[int, float, float]:
    import psutil

    pids = list(client.run(os.getpid).values())
    procs = [psutil.Process(pid) for pid in pids] + [psutil.Process()]

    def cpu() -> float:
        return float(sum(p.cpu_times().user + p.cpu_times().system for p in procs))

    before, wall = cpu(), time.perf_counter()
    report = fleet.run(CountOrders(options), cluster=client)
    elapsed = time.perf_counter() - wall
    if not report.ok:
        raise SystemExit(report.summary())
    return report.totals["orders"], elapsed, cpu() - before


def measure(count: int, orders: int, args: argparse.Namespace, client: Any) -> dict[str, Any]:
    import psutil

    rate = DOCUMENTED_RATE * args.scale
    bound = count * rate * PAGE_SIZE
    with tempfile.TemporaryDirectory() as folder:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.Process(
            target=host, args=(count, orders, rate, args.latency, folder, child), daemon=True
        )
        server.start()
        env = parent.recv()
        os.environ.update(env)
        if client is not None:
            # Workers read secrets from their own environment; these started before the
            # sandboxes existed, so they are told now.
            client.run(_set_environment, env)
        try:
            options = storebridge.StoreOptions(
                rate_limit=storebridge.RateLimit(rate, max(1, int(rate)))
            )
            config = Path(folder, "storebridge.toml")
            fleet = storebridge.fleet(all_profiles=True, config=config, options=options)
            rows: dict[str, Any] = {"stores": count, "orders_per_store": orders, "bound": bound}
            emulators = psutil.Process(server.pid)
            for where in ("in_process", "cluster"):
                if where == "cluster" and client is None:
                    continue
                served = sum(emulators.cpu_times()[:2])
                if where == "in_process":
                    total, wall, cpu = _in_process(fleet)
                else:
                    total, wall, cpu = _on_cluster(fleet, client, options)
                served = sum(emulators.cpu_times()[:2]) - served
                assert total == count * orders, (total, count * orders)
                rows[where] = {
                    "orders_per_s": total / wall, "of_bound": total / wall / bound,
                    "wall_s": wall, "client_cpu_s": cpu, "cpu_per_order_us": cpu / total * 1e6,
                    "emulator_cpu_s": served,
                }  # fmt: skip
        finally:
            parent.send("stop")
            server.join(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="20,100", help="fleet sizes, comma-separated")
    parser.add_argument("--orders", type=int, default=1000, help="orders per store")
    parser.add_argument("--scale", type=float, default=10.0, help="rate-limit multiplier")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--workers", type=int, default=2, help="local cluster processes")
    parser.add_argument("--no-cluster", action="store_true", help="in-process only")
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(n) for n in args.stores.split(",")]
    if args.quick:
        sizes, args.orders = [5, 20], 200
    results = []
    with ExitStack() as stack:
        client = None
        if not args.no_cluster:
            from storebridge.fleet.dask import local_cluster

            client = stack.enter_context(local_cluster(workers=args.workers, threads_per_worker=8))
        for count in sizes:
            orders = args.orders if count <= 20 else max(100, args.orders // 4)
            results.append(measure(count, orders, args, client))
    print(f"{PLATFORM} sandboxes on loopback: {DOCUMENTED_RATE * args.scale:g} req/s each "
          f"(x{args.scale:g}), {args.latency * 1000:.0f} ms latency, {PAGE_SIZE} orders/page; "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"{'stores':>6} {'orders':>7} {'where':<10} {'orders/s':>9} {'bound/s':>9} "
          f"{'of bound':>8} {'wall s':>7} {'client CPU s':>12} {'CPU/order':>10} "
          f"{'emulators CPU s':>15}")  # fmt: skip
    for row in results:
        for where in ("in_process", "cluster"):
            if where not in row:
                continue
            fig = row[where]
            print(f"{row['stores']:>6} {row['stores'] * row['orders_per_store']:>7} "
                  f"{where:<10} {fig['orders_per_s']:>9.0f} {row['bound']:>9.0f} "
                  f"{fig['of_bound']:>8.2f} {fig['wall_s']:>7.2f} {fig['client_cpu_s']:>12.2f} "
                  f"{fig['cpu_per_order_us']:>8.0f}us {fig['emulator_cpu_s']:>15.2f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
