"""Peak RSS of a migration at N and 4N orders: memory must not grow with the store.

29 Next -> SHOPLINE over loopback, no latency, rate limits off; each migration runs in a
child process whose own peak RSS (``VmHWM``, Linux) is printed, with the time it took. The
stores' data lives in this process (the sandboxes), not in the migration's. The peak is
given for the whole run and for the migration before its verification (which reads both
stores again, a page at a time).

Both stores are opened with ``max_concurrency`` (default 16): with the limits off, a
listing would otherwise read up to 64 pages ahead (the core's read-ahead follows rate
limit x latency), each a parsed page of 100 orders, which no real store's limit allows
and which measures the read-ahead rather than the migration. ``--max-concurrency 0``
leaves it unbounded.

    .venv/bin/python benchmarks/bench_migration_memory.py [--orders 5000]
        [--max-concurrency 16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_migration_common import Child, served_pair


def measure(orders: int, in_flight: int) -> tuple[str | None, int, int, float]:
    options: dict[str, Any] = {"store_options": {"max_concurrency": in_flight}} if in_flight else {}
    with served_pair(orders) as (_source, _target, src, dst), tempfile.TemporaryDirectory() as d:
        started = time.perf_counter()
        child = Child(src, dst, Path(d) / "ledger.sqlite", **options)
        child.wait()
        seconds = time.perf_counter() - started
        return child.status, child.rss_before_verify_kb, child.rss_kb, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--max-concurrency", type=int, default=16)
    args = parser.parse_args()
    results = {}
    for orders in (args.orders, 4 * args.orders):
        status, writing, rss, seconds = measure(orders, args.max_concurrency)
        results[orders] = (writing, rss)
        print(
            f"{orders:>6} orders: {status}, peak RSS {rss / 1024:.1f} MB (migrating, before "
            f"verification: {writing / 1024:.1f} MB), {seconds:.0f} s"
        )
    small, large = results[args.orders], results[4 * args.orders]
    print(
        f"4N / N peak RSS: {large[1] / small[1]:.3f} (migrating: {large[0] / small[0]:.3f}); "
        "target: within 1.15"
    )


if __name__ == "__main__":
    main()
