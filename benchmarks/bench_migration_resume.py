"""Kill -9 at 90% of a migration, then resume: how much of the source does the resume read?

29 Next -> SHOPLINE over loopback, no latency, rate limits off, each run in a child
process. First a full run on fresh stores counts the source requests a whole migration
needs. Then, on fresh stores again, a run is killed (SIGKILL) once the target has taken 90%
of the orders, and a resume finishes it. Printed: source requests of the full run and of
the resume, both before verification (the migration's own reads) and with it (verification
always lists the whole source again), and whether the target ended exact.

    .venv/bin/python benchmarks/bench_migration_resume.py [--orders 20000] [--at 0.9]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_migration_common import Child, requests, served_pair

import storebridge
from storebridge.sandbox import Sandbox


def order_posts(kit: Sandbox) -> int:
    with kit.emulator.lock:
        return sum(
            1 for r in kit.emulator.requests if r.method == "POST" and "orders" in r.url.path
        )


def run(orders: int, *, kill_at: float | None) -> dict[str, object]:
    with served_pair(orders) as (source, target, src, dst), tempfile.TemporaryDirectory() as d:
        ledger = Path(d) / "ledger.sqlite"
        killed_after = None
        if kill_at is not None:
            child = Child(src, dst, ledger)
            while child.process.poll() is None and order_posts(target) < kill_at * orders:
                time.sleep(0.01)
            killed_after = order_posts(target)
            child.kill()
        before = requests(source)
        at_verify: list[int] = []
        child = Child(src, dst, ledger, on_verify=lambda: at_verify.append(requests(source)))
        child.wait()
        after = requests(source)
        fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
        with storebridge.connect(options=fast, **dst) as t:
            tags = Counter(
                tag for o in t.orders.list() for tag in o.tags if tag.startswith("sb:")
            )  # fmt: skip
        return {
            "status": child.status,
            "killed_after": killed_after,
            "reads": (at_verify[0] if at_verify else after) - before,
            "with_verify": after - before,
            "exact": len(tags) == orders and set(tags.values()) == {1},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--at", type=float, default=0.9)
    args = parser.parse_args()
    full = run(args.orders, kill_at=None)
    print(
        f"full run, {args.orders} orders: {full['status']}, source requests "
        f"{full['reads']} (with verification {full['with_verify']}), exact {full['exact']}"
    )
    resumed = run(args.orders, kill_at=args.at)
    share = int(resumed["reads"]) / int(full["reads"])  # type: ignore[call-overload]
    share_v = int(resumed["with_verify"]) / int(full["with_verify"])  # type: ignore[call-overload]
    print(
        f"killed after {resumed['killed_after']} orders written; resume: {resumed['status']}, "
        f"source requests {resumed['reads']} = {share:.3f} of a full run's "
        f"(with verification {resumed['with_verify']} = {share_v:.3f}), exact {resumed['exact']}"
    )


if __name__ == "__main__":
    main()
