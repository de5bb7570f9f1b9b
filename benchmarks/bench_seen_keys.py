"""A listing's memory of the keys it yielded: a plain set against ``SeenKeys``, side by side.

For ids that count up (24Nettbutikk, 29 Next order numbers) and for scattered ids (long
random numbers), each key a fresh text as a parsed row's is: bytes held per key once all
are in (tracemalloc, so exact and independent of load) and CPU per key added (best of 3).

    .venv/bin/python benchmarks/bench_seen_keys.py [--keys 1000000]
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable

from storebridge._seen import SeenKeys


def _with_set(texts: list[str]) -> object:
    store: set[str] = set()
    for text in texts:
        store.add(text)
    return store


def _with_seen(texts: list[str]) -> object:
    store = SeenKeys()
    for text in texts:
        store.add_new(text)
    return store


def measure(numbers: list[int], fill: Callable[[list[str]], object]) -> tuple[float, float]:
    """Bytes per key held, and microseconds per key added."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    texts = [str(number) for number in numbers]
    store = fill(texts)
    del texts  # the rows are gone; what the store keeps alive is what it costs
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del store
    best = float("inf")
    for _ in range(3):
        texts = [str(number) for number in numbers]
        started = time.process_time()
        fill(texts)
        best = min(best, time.process_time() - started)
    return held / len(numbers), best / len(numbers) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    count = parser.parse_args().keys
    cases = {
        "ids counting up": list(range(100_000, 100_000 + count)),
        "scattered ids": random.Random(7).sample(range(10**13, 10**14), count),
    }
    header = f"{'set B/key':>10} {'SeenKeys B/key':>15} {'set us':>7} {'Seen us':>8}"
    print(f"{f'{count:,} keys':<16} {header}")
    for name, numbers in cases.items():
        set_bytes, set_us = measure(numbers, _with_set)
        seen_bytes, seen_us = measure(numbers, _with_seen)
        print(f"{name:<16} {set_bytes:>10.1f} {seen_bytes:>15.2f} {set_us:>7.2f} {seen_us:>8.2f}")


if __name__ == "__main__":
    main()
