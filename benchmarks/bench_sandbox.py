"""Sandbox scale: start time and per-page emulator time at N orders, and loopback latency.

Per platform and size: how long ``Adapter.sandbox(orders=N)`` takes to seed and index the
store, and the median (and slowest) time the emulator spends answering one page of the
order listing while a reader walks every page by following the platform's own paging
(in-process, no injected latency, rate limits off). Wall and CPU seconds both: on a shared
machine the CPU figure is the steadier one. The seeded store is held out of the garbage
collector's passes first, as ``storebridge sandbox serve`` holds it
(:func:`~storebridge.sandbox.hold_for_serving`): otherwise the slowest page is a full
collection over the whole store (1.3 s at 100,000 SHOPLINE orders), which a served sandbox
never pays. Then the loopback server: median time of
one sequential request on a kept-alive connection, and how long stopping a server takes.

    .venv/bin/python benchmarks/bench_sandbox.py                  # 5,000 and 100,000 orders
    .venv/bin/python benchmarks/bench_sandbox.py --sizes 2000 --budget 20

``--budget`` bounds the seconds spent walking one listing; a walk cut short says so.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import re
import statistics
import time
from typing import Any

from storebridge import _http
from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox, hold_for_serving

ORIGIN = "https://bench.example"
PLATFORMS = ("29next", "shopline", "24nettbutikk")
NO_LIMIT: dict[str, dict[str, Any]] = {
    "29next": {"rate_limit": None},
    "shopline": {"rate_limit": False},
    "24nettbutikk": {"rate_limit": None},
}
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _auth(platform: str, kit: Sandbox) -> dict[str, str]:
    settings = kit.settings(ORIGIN)
    if platform == "24nettbutikk":
        raw = base64.b64encode(f"{settings['token']}:".encode()).decode()
        return {"Authorization": f"Basic {raw}"}
    return {"Authorization": f"Bearer {settings['access_token']}"}


def _first_url(platform: str) -> str:
    if platform == "29next":
        return f"{ORIGIN}/api/admin/orders/"
    if platform == "shopline":
        return f"{ORIGIN}/admin/openapi/v20260301/orders.json?status=any&limit=100"
    return f"{ORIGIN}/api/v1/orders/100/0"


def _next_url(platform: str, response: _http.Response) -> tuple[int, str | None]:
    """Rows on the page and the next page's URL (None on the last page)."""
    body = json.loads(response.content)
    if platform == "29next":
        return len(body["results"]), body["next"]
    if platform == "shopline":
        found = _LINK_NEXT.search(response.headers.get("link", ""))
        return len(body["orders"]), found.group(1) if found else None
    paging = body["paging"]
    return len(body["data"]), paging.get("next") if isinstance(paging, dict) else None


def walk(platform: str, kit: Sandbox, budget: float) -> tuple[list[float], list[float], int, bool]:
    """Per-page emulator seconds (wall and CPU), rows seen, and whether the walk ended."""
    headers = _auth(platform, kit)
    url: str | None = _first_url(platform)
    walls: list[float] = []
    cpus: list[float] = []
    rows = 0
    deadline = time.perf_counter() + budget
    while url is not None:
        if time.perf_counter() > deadline:
            return walls, cpus, rows, False
        request = _http.Request("GET", url, headers=headers)
        started, cpu = time.perf_counter(), time.process_time()
        response = kit.emulator.handle(request)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        if response.status_code != 200:
            raise SystemExit(f"{platform}: {url} answered {response.status_code}")
        count, url = _next_url(platform, response)
        rows += count
    return walls, cpus, rows, True


def scale(sizes: list[int], platforms: list[str], budget: float) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        for platform in platforms:
            gc.collect()  # the previous sandbox's records go now, not inside a timing
            started, cpu = time.perf_counter(), time.process_time()
            kit = adapter_class(platform).sandbox(seed=1, orders=size, **NO_LIMIT[platform])
            start_s, start_cpu = time.perf_counter() - started, time.process_time() - cpu
            hold_for_serving()
            try:
                walls, cpus, rows, complete = walk(platform, kit, budget)
            finally:
                gc.unfreeze()  # the next size's store is held alone
            row = {
                "platform": platform,
                "orders": size,
                "start_s": round(start_s, 3),
                "start_cpu_s": round(start_cpu, 3),
                "pages": len(walls),
                "rows": rows,
                "complete": complete,
                "page_median_ms": round(statistics.median(walls) * 1000, 3),
                "page_median_cpu_ms": round(statistics.median(cpus) * 1000, 3),
                "page_max_ms": round(max(walls) * 1000, 3),
            }
            results.append(row)
            note = "" if complete else f"  (stopped after {budget:.0f} s: budget)"
            print(
                f"{platform:>13} {size:>7} orders: start {start_s:6.2f} s "
                f"(cpu {start_cpu:6.2f} s) | {row['pages']:>5} pages, median "
                f"{row['page_median_ms']:8.3f} ms (cpu {row['page_median_cpu_ms']:8.3f}), "
                f"max {row['page_max_ms']:9.3f} ms{note}",
                flush=True,
            )
            del kit
    return results


def loopback(requests: int) -> dict[str, float]:
    kit = adapter_class("29next").sandbox(seed=1, orders=5, rate_limit=None)
    headers = _auth("29next", kit)
    served = kit.emulator.serve()
    url = served.__enter__()
    try:
        with _http.Client(base_url=url, headers=headers) as client:
            client.get("/api/admin/orders/1/")  # open the connection
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get("/api/admin/locations/")
                samples.append(time.perf_counter() - started)
    finally:
        stopping = time.perf_counter()
        served.__exit__(None, None, None)
        stop_s = time.perf_counter() - stopping
    median_ms = statistics.median(samples) * 1000
    print(f"loopback: median sequential request {median_ms:.2f} ms; stop {stop_s * 1000:.1f} ms")
    return {"request_median_ms": round(median_ms, 3), "stop_ms": round(stop_s * 1000, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5000,100000", help="comma-separated order counts")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="comma-separated")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per listing walk")
    parser.add_argument("--requests", type=int, default=200, help="sequential loopback requests")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    report: dict[str, Any] = {"loopback": loopback(args.requests)}
    report["scale"] = scale(sizes, args.platforms.split(","), args.budget)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
