"""Facade overhead: listing orders through Store vs the same pages with a bare HTTP client.

Both read the same in-process emulator, so the ratio isolates what storebridge adds (flows,
retries bookkeeping, rate-limit reservations, model building). Prints a ratio; lower is better.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.toy import ToyAdapter, ToyEmulator

import storebridge
from storebridge import _http

TOKEN = "toy-secret-token-123"
ORDERS = 3000


def bare(emu: ToyEmulator) -> int:
    count = 0
    with _http.Client(transport=emu.transport()) as client:
        url: str | None = "https://toy.example/orders?limit=100"
        while url:
            body = client.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).json()
            count += len(body["results"])
            url = body["next"]
    return count


def facade(emu: ToyEmulator) -> int:
    options = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1e9, 10**9))
    with storebridge.connect(
        "toy", base_url="https://toy.example", token=TOKEN, page_size=100,
        transport=emu.transport(), options=options,
    ) as store:  # fmt: skip
        return sum(1 for _ in store.orders.list())


def timed(fn: object, emu: ToyEmulator, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        assert fn(emu) == ORDERS  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    storebridge.register_adapter(ToyAdapter)
    emu = ToyEmulator(orders=ORDERS)
    t_bare = timed(bare, emu)
    t_facade = timed(facade, emu)
    print(f"orders listed per run: {ORDERS}")
    print(f"bare client:  {t_bare * 1e6 / ORDERS:8.1f} us/order")
    print(f"facade:       {t_facade * 1e6 / ORDERS:8.1f} us/order")
    print(f"facade / bare time ratio: {t_facade / t_bare:.2f}")


if __name__ == "__main__":
    main()
