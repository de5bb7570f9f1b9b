"""Payload path: conversion cost per record, per accessor, and for hostile numbers.

Rows come from each platform's seeded emulator (orders with lines, customers, products),
captured once through the real adapters, so the figures describe what an export converts.
Three tables:

1. conversion per record: ``json.loads`` of the row (the parse floor) vs the platform's
   wire converter turning the already-parsed row into a model object, with the number of
   Python function calls per record (deterministic: the figure that does not depend on
   how busy the machine is);
2. accessor cost: one ``Payload`` accessor call on a well-formed value, in ns;
3. hostile numbers: the slowest rejection of huge numbers and exponents (``"1e999999"``)
   through the numeric accessors, which must fail with a PayloadError in well under 10 ms.

Timings are CPU time of this process (so other load on the machine matters less), the best
of several rounds; compare figures from one machine only. ``--skip-hostile`` leaves out
table 3 (on code without the bounds it spins for minutes).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
import timeit
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storebridge
from storebridge import PayloadError, _http, registry
from storebridge.model import Customer, Order, Product
from storebridge.payload import Payload
from storebridge.sandbox import SandboxSize

ORDERS = 60


class _Recorder(_http.BaseTransport):
    """Keeps every response body the adapter reads."""

    def __init__(self, inner: _http.BaseTransport) -> None:
        self.inner = inner
        self.bodies: list[tuple[str, bytes]] = []

    def handle_request(self, request: _http.Request) -> _http.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.bodies.append((request.url.path, response.content))
        return response


def _capture(platform: str) -> list[tuple[str, bytes]]:
    sandbox = registry.adapter_class(platform).build_sandbox(SandboxSize(orders=ORDERS))
    recorder = _Recorder(sandbox.emulator.transport())
    settings = sandbox.settings("https://sandbox.test")
    with storebridge.connect(platform, **settings, transport=recorder) as store:
        for order in list(store.orders.list())[:20]:
            store.orders.get(order.ref)
        list(store.customers.list())
        list(store.products.list())
    return recorder.bodies


def _rows(
    bodies: list[tuple[str, bytes]], match: Callable[[str], bool], key: str | None
) -> list[Any]:
    rows: list[Any] = []
    for path, content in bodies:
        if not match(path):
            continue
        data = json.loads(content)
        rows.extend(data[key] if key else [data])
    return rows


def _samples() -> dict[str, dict[type, tuple[list[Any], Callable[[Any, type], Any]]]]:
    """Per platform, per model class: the rows and how that platform converts one."""
    from storebridge_24nettbutikk._converter import make_converter as nettbutikk
    from storebridge_29next import make_converter as twentyninenext
    from storebridge_shopline._converter import make_converter as shopline

    out: dict[str, dict[type, tuple[list[Any], Callable[[Any, type], Any]]]] = {}

    bodies = _capture("29next")
    conv = twentyninenext()
    detail = _rows(bodies, lambda p: p.rstrip("/").split("/")[-1].isdigit()
                   and "/orders/" in p, None)  # fmt: skip
    out["29next"] = {
        Order: (detail, conv.structure),
        Customer: (_rows(bodies, lambda p: p.endswith("/users/"), "results"), conv.structure),
        Product: (_rows(bodies, lambda p: p.endswith("/products/"), "results"), conv.structure),
    }

    bodies = _capture("shopline")
    conv = shopline("USD")

    def sl(row: Any, cls: type) -> Any:
        return conv.structure(Payload(row, "$", "shopline"), cls)

    out["shopline"] = {
        Order: (_rows(bodies, lambda p: p.endswith("/orders.json"), "orders"), sl),
        Customer: (_rows(bodies, lambda p: p.endswith("/customers.json"), "customers"), sl),
        Product: (_rows(bodies, lambda p: p.endswith("/products.json"), "products"), sl),
    }

    bodies = _capture("24nettbutikk")
    conv24 = nettbutikk(ZoneInfo("Europe/Oslo"), "NOK")

    def nb(row: Any, cls: type) -> Any:
        return conv24.structure(Payload(row, "$", "24nettbutikk"), cls)

    out["24nettbutikk"] = {
        Order: (_rows(bodies, lambda p: "/orders/" in p, "data"), nb),
        Customer: (_rows(bodies, lambda p: "/customers" in p, "data"), nb),
        Product: (_rows(bodies, lambda p: "/products" in p, "data"), nb),
    }
    return out


def _best_us(fn: Callable[[], object], per: int, rounds: int = 9) -> float:
    timer = timeit.Timer(fn, timer=time.process_time)
    loops, _ = timer.autorange()
    best = min(timer.repeat(repeat=rounds, number=loops))
    return best / loops / per * 1e6


def conversion_table() -> None:
    print("1. conversion per record (us): parse floor (json.loads) vs model conversion")
    head = f"{'platform':<14}{'record':<10}{'rows':>5}{'json.loads':>12}{'convert':>10}"
    print(f"   {head}{'ratio':>8}{'calls':>8}")
    for platform, kinds in _samples().items():
        for cls, (rows, convert) in kinds.items():
            if not rows:
                continue
            texts = [json.dumps(row) for row in rows]

            def parse_all(texts: list[str] = texts) -> None:
                for text in texts:
                    json.loads(text)

            parse = _best_us(parse_all, len(rows))

            def run(rows: list[Any] = rows, convert: Callable[[Any, type], Any] = convert,
                    cls: type = cls) -> None:  # fmt: skip
                for row in rows:
                    convert(row, cls)

            cost = _best_us(run, len(rows))
            profile = cProfile.Profile()
            profile.runcall(run)
            calls = pstats.Stats(profile).total_calls / len(rows)  # type: ignore[attr-defined]
            print(f"   {platform:<14}{cls.__name__:<10}{len(rows):>5}{parse:>12.1f}{cost:>10.1f}"
                  f"{cost / parse:>8.1f}{calls:>8.0f}")  # fmt: skip


def accessor_table() -> None:
    print("2. accessor cost on a well-formed value (ns per call)")
    p = Payload({
        "title": "T-shirt", "name": "Bjørn", "blank": "", "n": 3, "n_text": "12",
        "price": "59.99", "price_num": 59.99, "flag": "1", "when": "2026-03-01T12:00:00+00:00",
        "obj": {"a": 1}, "items": [{"a": 1}, {"a": 2}, {"a": 3}],
    }, "$", "bench")  # fmt: skip
    cases: list[tuple[str, Callable[[], object]]] = [
        ("opt_string ascii", lambda: p.opt_string("title")),
        ("opt_string non-ascii", lambda: p.opt_string("name")),
        ("opt_string missing", lambda: p.opt_string("nope")),
        ("string", lambda: p.string("title")),
        ("integer (int)", lambda: p.integer("n")),
        ("integer (text)", lambda: p.integer("n_text")),
        ("opt_integer (text)", lambda: p.opt_integer("n_text")),
        ("decimal (text)", lambda: p.decimal("price")),
        ("opt_decimal (float)", lambda: p.opt_decimal("price_num")),
        ("money", lambda: p.money("price", "USD")),
        ("opt_money", lambda: p.opt_money("price", "USD")),
        ("opt_bool (text)", lambda: p.opt_bool("flag")),
        ("opt_timestamp", lambda: p.opt_timestamp("when")),
        ("opt_obj", lambda: p.opt_obj("obj")),
        ("iter (3 items)", lambda: list(p.iter("items"))),
        ("Money(Decimal, 'USD')", lambda: storebridge.Money(Decimal("1.5"), "USD")),
    ]
    for name, fn in cases:
        print(f"   {name:<24}{_best_us(fn, 1) * 1000:>8.0f}")


def hostile_table() -> None:
    print("3. hostile numbers: slowest rejection through the numeric accessors (ms)")
    values: list[Any] = ["1e999999", "-1E+999999", "9" * 5000, "1e-999999", "0e999999",
                         1e308, 10**4000, "1" + "0" * 100000]  # fmt: skip
    accessors: list[tuple[str, Callable[[Payload], object]]] = [
        ("integer", lambda q: q.integer("v")),
        ("opt_integer", lambda q: q.opt_integer("v")),
        ("decimal", lambda q: q.decimal("v")),
        ("money", lambda q: q.money("v", "USD")),
    ]
    for name, read in accessors:
        worst, outcome = 0.0, "PayloadError"
        for value in values:
            start = time.perf_counter()
            try:
                read(Payload({"v": value}))
                result = "accepted"
            except PayloadError:
                result = "PayloadError"
            except Exception as exc:  # the benchmark reports what escapes
                result = type(exc).__name__
            elapsed = (time.perf_counter() - start) * 1000
            worst = max(worst, elapsed)
            if result != "PayloadError":
                outcome = f"{result} for {str(value)[:12]!r}"
            if elapsed > 1000:  # one pathological value is enough to make the point
                break
        print(f"   {name:<12}{worst:>10.3f}   {outcome}")


def main() -> None:
    conversion_table()
    accessor_table()
    if "--skip-hostile" not in sys.argv:
        hostile_table()


if __name__ == "__main__":
    main()
