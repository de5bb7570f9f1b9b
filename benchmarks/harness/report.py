"""The figures as text: one block per section, ratios next to the seconds they come from."""

from __future__ import annotations

from typing import Any

from benchmarks.harness.config import Config

__all__ = ["configuration", "conversion", "exports", "many_stores", "memory", "migration"]


def configuration(config: Config, machine: dict[str, Any]) -> str:
    limits = ", ".join(
        f"{p} {lim.per_second:g}/s (burst {lim.burst})"
        for p, lim in ((p, config.limit(p)) for p in ("29next", "shopline", "24nettbutikk"))
    )
    load = "/".join(f"{x:.1f}" for x in machine["load_average"])
    return "\n".join([
        f"storebridge {machine['storebridge']} benchmark ({config.mode}) on {machine['cpus']} "
        f"CPUs, load average {load}, Python {machine['python']}",
        f"latency {config.latency * 1000:g} ms; documented limits x{config.scale:g}, on the "
        f"emulators and given to the clients: {limits}",
        f"storebridge: median of {config.repeat} run(s) per case; naive loop and dlt: "
        f"{config.baseline_repeat} run(s) each",
    ])  # fmt: skip


def exports(rows: list[dict[str, Any]]) -> str:
    lines = [
        "1. Export: seconds to read every order (ratios above 1: storebridge is faster; "
        "bound/sb 1.00: at the rate limit)",
        f"{'case':<33} {'orders':>6} {'reqs':>5} {'bound':>6} {'sb':>7} {'naive':>7} "
        f"{'dlt':>7} | {'bound/sb':>8} {'naive/sb':>8} {'dlt/sb':>6} | 429s sb/naive/dlt",
    ]
    for r in rows:
        t = r["too_many"]
        lines.append(
            f"{r['case']:<33} {r['orders']:>6} {r['requests_needed']:>5} {r['bound_s']:>6.2f} "
            f"{r['storebridge_s']:>7.2f} {r['naive_s']:>7.2f} {r['dlt_s']:>7.2f} | "
            f"{r['bound_over_storebridge']:>8.2f} {r['naive_over_storebridge']:>8.2f} "
            f"{r['dlt_over_storebridge']:>6.2f} | {t['storebridge']}/{t['naive']}/{t['dlt']}"
        )
    return "\n".join(lines)


def conversion(results: dict[str, dict[str, Any]], orders: int, repeat: int) -> str:
    lines = [
        f"2. Conversion: CPU us per order, page bytes -> Orders ({orders} orders, min of {repeat})",
        f"{'platform':<14} {'storebridge':>11} {'orjson.loads':>12} {'ratio':>6} "
        f"{'models':>7} {'stored':>7} {'floor':>6}",
    ]
    for platform, r in results.items():
        lines.append(
            f"{platform:<14} {r['us_per_order']:>11.1f} {r['orjson_us_per_order']:>12.1f} "
            f"{r['ratio']:>5.2f}x {r['models_us_per_order']:>7.1f} "
            f"{r['stored_us_per_order']:>7.1f} {r['floor_ratio']:>5.2f}x"
        )
    lines.append(
        "   models: the model classes' constructors alone; stored: the same objects with"
        " their fields only stored; floor: (orjson + stored) / orjson"
    )
    return "\n".join(lines)


def memory(r: dict[str, Any]) -> str:
    n, big = r["n"], r["4n"]
    return (
        f"3. Memory: peak RSS of `storebridge export orders` ({r['platform']}, no latency)\n"
        f"import floor {r['floor_rss_mib']:.1f} MiB; N={n['orders']}: {n['peak_rss_mib']:.1f} "
        f"MiB; 4N={big['orders']}: {big['peak_rss_mib']:.1f} MiB; 4N/N "
        f"{r['growth_4n_over_n']:.2f}"
    )


def many_stores(r: dict[str, Any]) -> str:
    return (
        f"4. Many stores: {r['stores']} {r['platform']} stores x {r['orders_per_store']} "
        f"orders, async, one process\n"
        f"{r['orders_per_s']:.0f} orders/s vs a sum of bounds of "
        f"{r['bounds_sum_orders_per_s']:.0f}/s ({r['rate_over_bounds']:.2f}); client CPU "
        f"{r['client_cpu_s']:.2f} s for {r['wall_s']:.2f} s wall ({r['client_cpu_over_wall']:.2f}"
        f", {r['client_cpu_us_per_order']:.0f} us/order, of which garbage collection "
        f"{r['client_gc_s']:.2f} s); sandboxes' CPU "
        f"{r['sandbox_cpu_s']:.2f} s; 429s {r['too_many']}\n"
        f"with gc.set_threshold(50_000, 20, 100) (docs/fleet.md): "
        f"{r['tuned_gc_orders_per_s']:.0f} orders/s, client CPU "
        f"{r['tuned_gc_client_cpu_s']:.2f} s for {r['tuned_gc_wall_s']:.2f} s wall "
        f"({r['tuned_gc_client_cpu_over_wall']:.2f})"
    )


def migration(r: dict[str, Any]) -> str:
    return (
        f"5. Migration {r['source']} -> {r['target']}: {r['orders']} orders, "
        f"{r['writes']} writes, {r['target_requests']} target requests in {r['seconds']:.1f} s\n"
        f"writes {r['writes_per_s']:.1f}/s over {r['write_span_s']:.1f} s vs limit "
        f"{r['limit_per_second']:g}/s ({r['writes_over_limit']:.2f}); target requests used/"
        f"allowed {r['used_over_allowed']:.2f}; 429s {r['too_many']}"
    )
