"""Section 2: CPU per order from page bytes to Orders, against ``orjson.loads`` of the same
bodies (``benchmarks/bench_conversion.py`` does the measuring; minimum of the repeats).

Measured in a fresh interpreter, as ``bench_conversion.py`` run by hand is: by this point
the benchmark's own process holds everything the export section imported and left behind
(dlt among it), and Python's garbage collector walks all of that on its full collections,
which would charge the conversion for the benchmark's own baggage.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.bench_conversion import PLATFORMS

__all__ = ["measure_conversion"]

_ROOT = Path(__file__).resolve().parents[2]


def measure_conversion(orders: int, repeat: int) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "conversion.json"
        arguments = ["--orders", str(orders), "--repeat", str(repeat), "--json", str(out)]
        for platform in PLATFORMS:
            arguments += ["--platform", platform]
        subprocess.run(  # noqa: S603 - this interpreter, our own script, fixed arguments
            [sys.executable, "-m", "benchmarks.bench_conversion", *arguments],
            cwd=_ROOT, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        found: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return found
