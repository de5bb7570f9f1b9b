"""Migration writes against the target's rate limit, with the default concurrency.

29 Next sandbox -> SHOPLINE sandbox over loopback, both with the same injected latency.
SHOPLINE's limit is scaled (default 40 requests/second, leaky bucket of 40) and declared
to the client the same way, so the target's limit is the bound; the source is unlimited
and pages 100 orders, so reading never holds the writers up. The migration runs with its
defaults: writes in flight follow ``target.concurrency`` (rate limit x observed latency).

Printed per latency: writes per second from the first write to the last and their ratio
to the limit (the figure that matters: the migration's use of the write budget, phase
changes included), the same over the orders phase alone (steady state), every target
request over the whole run against the allowed slots (the first ``bucket`` requests may
ride the bucket, so allowed slots are ``bucket + limit x seconds``), and the 429 answers
the target had to give (must be 0).

    .venv/bin/python benchmarks/bench_migration.py [--orders 600] [--limit 40]
        [--latency 0.025 0.25]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import storebridge
from storebridge.migrate import ProgressEvent
from storebridge.registry import adapter_class


class Watch:
    """Times the phases and counts the target's answers (429s included)."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.started: dict[str, tuple[float, int]] = {}
        self.finished: dict[str, tuple[float, int]] = {}
        self.too_many = 0
        self.writes: list[float] = []
        self._lock = threading.Lock()
        handle = emulator.handle

        def counted(request: Any) -> Any:
            response = handle(request)
            with self._lock:
                if response.status_code == 429:
                    self.too_many += 1
                elif request.method == "POST":
                    self.writes.append(time.perf_counter())
            return response

        emulator.handle = counted

    def requests(self) -> int:
        with self.emulator.lock:
            return len(self.emulator.requests)

    def __call__(self, event: ProgressEvent) -> None:
        now = time.perf_counter()
        with self._lock:
            self.started.setdefault(event.phase, (now, self.requests()))
            if event.finished:
                self.finished[event.phase] = (now, self.requests())


def run(orders: int, latency: float, limit: float, bucket: int) -> dict[str, float]:
    source_kit = adapter_class("29next").sandbox(
        seed=11, orders=orders, rate_limit=None, latency=latency, page_size=100
    )
    target_kit = adapter_class("shopline").sandbox(
        seed=11, orders=0, customers=0, products=0, currency="USD", latency=latency,
        rate_limit=limit, bucket_size=bucket,
    )  # fmt: skip
    watch = Watch(target_kit.emulator)
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))
    scaled = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(limit, bucket))
    with (
        source_kit.emulator.serve() as src_url,
        target_kit.emulator.serve() as dst_url,
        storebridge.connect("29next", options=fast, **source_kit.settings(src_url)) as source,
        storebridge.connect("shopline", options=scaled, **target_kit.settings(dst_url)) as target,
        tempfile.TemporaryDirectory() as tmp,
    ):
        report = storebridge.migrate(
            source, target, ledger=Path(tmp) / "l.sqlite", progress=watch, verify=False
        )
        peak = target.concurrency
    assert report.status == "PASS", report.summary()
    first, first_count = watch.started["customers"]
    last, last_count = watch.finished["orders"]
    span = last - first
    sent = last_count - first_count
    o_start, o_first = watch.started["orders"]
    o_seconds = last - o_start
    o_sent = last_count - o_first
    writes = sorted(watch.writes)
    write_span = writes[-1] - writes[0]
    return {
        "writes": len(writes),
        "writes_rate": (len(writes) - 1) / write_span,
        "writes_ratio": (len(writes) - 1) / (limit * write_span),
        "span": span,
        "sent": sent,
        "rate": sent / span,
        "ratio": sent / (bucket + limit * span),
        "orders_rate": o_sent / o_seconds,
        "orders_ratio": o_sent / (limit * o_seconds),
        "too_many": watch.too_many,
        "in_flight": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--limit", type=float, default=40.0)
    parser.add_argument("--bucket", type=int, default=40)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.025, 0.25])
    args = parser.parse_args()
    print(f"29next -> shopline, {args.orders} orders, target limit {args.limit}/s "
          f"(bucket {args.bucket}), default concurrency")  # fmt: skip
    for latency in args.latency:
        r = run(args.orders, latency, args.limit, args.bucket)
        print(
            f"latency {latency * 1000:>4.0f} ms: {r['writes']:.0f} writes at "
            f"{r['writes_rate']:.1f}/s from the first to the last = {r['writes_ratio']:.2f} of "
            f"the limit; orders phase {r['orders_rate']:.1f}/s = {r['orders_ratio']:.2f}; all "
            f"{r['sent']:.0f} target requests in {r['span']:.1f} s, used/allowed slots "
            f"{r['ratio']:.2f}; 429s {r['too_many']:.0f}; in flight at the end "
            f"{r['in_flight']:.0f}"
        )


if __name__ == "__main__":
    main()
