"""Section 5: migration writes per second against the target's limit.

A seeded 29 Next sandbox migrated into an empty SHOPLINE sandbox with ``storebridge.migrate``
and its defaults; both sandboxes have the injected latency, the target the scaled limit
(given to the client the same way), the source no limit and pages of 100, so reading
never holds the writers up. Verification is left out: it reads, and what is measured here
is how much of the target's write allowance the migration uses.

Writes per second are taken over the write span (first to last write the target answered);
``used_over_allowed`` counts every target request over the whole call against what the
limit allowed in that time (the first ``burst`` requests ride the bucket).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness.config import Config, emulator_limit
from benchmarks.harness.host import SandboxHost, SandboxSpec

import storebridge

__all__ = ["measure_migration"]

SOURCE, TARGET = "29next", "shopline"
_UNLIMITED = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(10_000, 10_000))


def measure_migration(config: Config) -> dict[str, Any]:
    limit = config.limit(TARGET)
    specs = {
        "source": SandboxSpec(
            SOURCE, config.migration_orders, seed=11, latency=config.latency,
            options={**emulator_limit(SOURCE, None), "page_size": 100},
        ),
        "target": SandboxSpec(
            TARGET, 0, seed=11, customers=0, products=0, latency=config.latency,
            options={**emulator_limit(TARGET, limit), "currency": "USD"},
        ),
    }  # fmt: skip
    scaled = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(limit.per_second, limit.burst)
    )
    with (
        SandboxHost(specs) as host,
        storebridge.connect(SOURCE, options=_UNLIMITED, **host.served["source"].settings) as src,
        storebridge.connect(TARGET, options=scaled, **host.served["target"].settings) as dst,
        tempfile.TemporaryDirectory() as tmp,
    ):
        host.take("target")
        started = time.perf_counter()
        report = storebridge.migrate(src, dst, ledger=Path(tmp) / "ledger.sqlite", verify=False)
        seconds = time.perf_counter() - started
        answers = host.take("target")
    if report.status != "PASS":
        raise RuntimeError(f"the migration did not pass:\n{report.summary()}")
    span = (answers.last_write or 0.0) - (answers.first_write or 0.0)
    writes_per_s = answers.writes / span if span > 0 else 0.0
    return {
        "source": SOURCE,
        "target": TARGET,
        "orders": config.migration_orders,
        "limit_per_second": limit.per_second,
        "burst": limit.burst,
        "seconds": round(seconds, 3),
        "target_requests": answers.served,
        "writes": answers.writes,
        "write_span_s": round(span, 3),
        "writes_per_s": round(writes_per_s, 2),
        "writes_over_limit": round(writes_per_s / limit.per_second, 3),
        "used_over_allowed": round(answers.served / (limit.burst + limit.per_second * seconds), 3),
        "too_many": answers.too_many,
    }
