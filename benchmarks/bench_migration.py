"""Migration throughput against the target's rate limit.

29 Next sandbox -> SHOPLINE sandbox over loopback, both at their real limits (SHOPLINE: leaky
bucket, 4 requests/second, bucket 40). The target's limit is the bound, so the figure that
matters is how much of it the migration uses: the ratio of achieved to allowed request rate
(1.00 means every allowed request slot was used; the first 40 requests ride the bucket).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import storebridge
from storebridge.registry import adapter_class

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
LIMIT, BUCKET = 4.0, 40


def main() -> None:
    source_kit = adapter_class("29next").sandbox(seed=11, orders=ORDERS, rate_limit=1000.0)
    target_kit = adapter_class("shopline").sandbox(
        seed=11, orders=0, customers=0, products=0, currency="USD"
    )
    with (
        source_kit.emulator.serve() as src_url,
        target_kit.emulator.serve() as dst_url,
        storebridge.connect(
            "29next",
            options=storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000)),
            **source_kit.settings(src_url),
        ) as source,
        storebridge.connect("shopline", **target_kit.settings(dst_url)) as target,
        tempfile.TemporaryDirectory() as tmp,
    ):
        started = time.perf_counter()
        report = storebridge.migrate(source, target, ledger=Path(tmp) / "l.sqlite")
        elapsed = time.perf_counter() - started
    sent = len(target_kit.emulator.requests)
    allowed = BUCKET + LIMIT * elapsed
    print(f"migration {report.status}: {ORDERS} orders, {sent} target requests in {elapsed:.1f} s")
    print(f"target requests/s achieved: {sent / elapsed:.2f} (limit {LIMIT}/s, bucket {BUCKET})")
    print(f"used / allowed request slots ratio: {sent / allowed:.2f}")


if __name__ == "__main__":
    main()
