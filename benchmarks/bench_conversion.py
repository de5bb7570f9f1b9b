"""CPU per order: page bytes -> Order objects, against the JSON-parse floor (orjson.loads).

For each platform, the full order listing of a seeded sandbox is recorded once (answers by
URL); then the adapter's listing flow is driven against the recorded answers with no HTTP at
all, so what is timed is exactly what storebridge adds per order: parsing, the paging walk,
conversion into the model. The floor is ``orjson.loads`` of the same bodies. Both sides
drop what they made as they go, as an export does (keeping every order alive would charge
the conversion for the garbage collector walking them, which the floor is not charged).
Both are CPU time of this process (other load on a shared machine then matters less than
with a wall clock), the minimum of ``--repeat`` runs; ratios are what to compare across
machines.

``models`` is what the model classes' own constructors cost to build the same orders again
from the values they hold (validators and converters, no reading). ``stored`` is the same
objects built by only storing their fields (:func:`storebridge.kit.plain_model`, what the
fast readers use for values they have already checked): every converter into these classes
pays at least that on top of the parse, so ``floor`` = (orjson + stored) / orjson is the
lowest ratio reachable without changing the model.

    .venv/bin/python benchmarks/bench_conversion.py [--orders 2000] [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Generator
from typing import Any

import attrs
import orjson

from storebridge import OrderQuery
from storebridge.flow import Emit, drive, relay
from storebridge.http import Request, Response
from storebridge.kit import plain_model
from storebridge.registry import adapter_class

PLATFORMS = ("29next", "shopline", "24nettbutikk")


def record(platform: str, orders: int) -> tuple[Any, dict[str, tuple[int, bytes, Any]]]:
    """The adapter and every answer its full order listing needed, by URL."""
    cls = adapter_class(platform)
    sandbox = (
        cls.sandbox(orders=orders, seed=5, rate_limit=None)
        if platform != "shopline"
        else (cls.sandbox(orders=orders, seed=5, rate_limit=False))
    )
    adapter = cls.from_settings(**sandbox.settings("https://bench.example"))
    transport = sandbox.emulator.transport()
    answers: dict[str, tuple[int, bytes, Any]] = {}

    def respond(request: Request) -> Response:
        key = str(request.url)
        if key not in answers:
            response = transport.handle_request(request)
            response.read()
            answers[key] = (response.status_code, response.content, response.headers)
        status, content, headers = answers[key]
        return Response(status, content=content, headers=headers, request=request)

    _, items = drive(adapter.list_orders(OrderQuery()), _authed(adapter, respond))
    assert len(items) == orders, (platform, len(items))
    return adapter, answers


def _authed(adapter: Any, respond: Callable[[Request], Response]) -> Callable[[Request], Response]:
    auth = adapter.auth

    def send(request: Request) -> Response:
        if auth is not None:
            flow = auth.sync_auth_flow(request)
            request = next(flow)
        return respond(request)

    return send


def _counted(flow: Generator[Any, Any, Any], seen: list[int]) -> Generator[Any, Any, Any]:
    """``flow`` with each page counted into ``seen[0]`` and dropped, as a consumer would
    (pages of flows run side by side too: :func:`relay` passes them through ``count``)."""

    def count(page: Emit[Any]) -> Generator[Any, Any, Emit[Any] | None]:
        seen[0] += len(page.items)
        return None
        yield  # pragma: no cover - makes this a generator

    return relay(flow, count)


Recipe = tuple[str, Any, Any]
"""How to build a value again: ("model", class, [(argument, recipe)...]), ("tuple",
[recipes]), ("list", [recipes]) or ("value", the value itself)."""


def _recipe(value: Any, arguments: dict[type, list[tuple[str, str]]]) -> Recipe:
    cls = type(value)
    if attrs.has(cls):
        if cls not in arguments:
            arguments[cls] = [(a.name, a.alias) for a in attrs.fields(cls) if a.init]
        fields = arguments[cls]
        parts = [(alias, _recipe(getattr(value, name), arguments)) for name, alias in fields]
        return ("model", cls, parts)
    if cls is tuple or cls is list:
        return (cls.__name__, None, [_recipe(item, arguments) for item in value])
    return ("value", None, value)


def _build(recipe: Recipe) -> Any:
    kind, cls, parts = recipe
    if kind == "model":
        return cls(**{alias: _build(part) for alias, part in parts})
    if kind == "tuple":
        return tuple(_build(part) for part in parts)
    if kind == "list":
        return [_build(part) for part in parts]
    return parts


def _storing(recipe: Recipe, builders: dict[type, Callable[..., Any]]) -> Recipe:
    """``recipe`` with each model class replaced by a builder that only stores its fields
    (the class itself where it cannot have one)."""
    kind, cls, parts = recipe
    if kind == "model":
        if cls not in builders:
            try:
                builders[cls] = plain_model(cls)
            except TypeError:  # converted or aliased fields: only the constructor builds it
                builders[cls] = cls
        return (kind, builders[cls], [(alias, _storing(part, builders)) for alias, part in parts])
    if kind in ("tuple", "list"):
        return (kind, cls, [_storing(part, builders) for part in parts])
    return recipe


def _walk(recipe: Recipe) -> Any:
    """What :func:`_build` does but call the classes: its own cost, taken off its time."""
    kind, _, parts = recipe
    if kind == "model":
        return {alias: _walk(part) for alias, part in parts}
    if kind in ("tuple", "list"):
        return [_walk(part) for part in parts]
    return parts


def model_floor(orders: list[Any], repeat: int) -> tuple[float, float]:
    """CPU seconds to build ``orders`` again from the values they hold (no reading at all):
    with the model's own constructors (validators and converters included), and by only
    storing the fields, what any converter into these classes pays on top of the parse."""
    arguments: dict[type, list[tuple[str, str]]] = {}
    recipes = [_recipe(order, arguments) for order in orders]
    builders: dict[type, Callable[..., Any]] = {}
    stored_recipes = [_storing(recipe, builders) for recipe in recipes]
    built = stored = walked = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for recipe in recipes:
            _build(recipe)
        built = min(built, time.process_time() - started)
        started = time.process_time()
        for recipe in stored_recipes:
            _build(recipe)
        stored = min(stored, time.process_time() - started)
        started = time.process_time()
        for recipe in recipes:
            _walk(recipe)
        walked = min(walked, time.process_time() - started)
    return max(0.0, built - walked), max(0.0, stored - walked)


def measure(platform: str, orders: int, repeat: int) -> dict[str, float]:
    adapter, answers = record(platform, orders)

    def replay(request: Request) -> Response:
        status, content, headers = answers[str(request.url)]
        return Response(status, content=content, headers=headers, request=request)

    send = _authed(adapter, replay)
    bodies = [content for _, content, _ in answers.values()]
    convert = floor = float("inf")
    for _ in range(repeat):
        seen = [0]
        started = time.process_time()
        drive(_counted(adapter.list_orders(OrderQuery()), seen), send)
        convert = min(convert, time.process_time() - started)
        assert seen[0] == orders, (platform, seen[0])
        started = time.process_time()
        for body in bodies:
            orjson.loads(body)
        floor = min(floor, time.process_time() - started)
    _, made = drive(adapter.list_orders(OrderQuery()), send)
    models, stored = model_floor(made, repeat)
    del made
    per_order = convert / orders * 1e6
    floor_per_order = floor / orders * 1e6
    stored_per_order = stored / orders * 1e6
    return {
        "us_per_order": round(per_order, 1),
        "orjson_us_per_order": round(floor_per_order, 1),
        "ratio": round(per_order / floor_per_order, 2),
        "models_us_per_order": round(models / orders * 1e6, 1),
        "stored_us_per_order": round(stored_per_order, 1),
        "floor_ratio": round((floor_per_order + stored_per_order) / floor_per_order, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--platform", action="append")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = {p: measure(p, args.orders, args.repeat) for p in (args.platform or PLATFORMS)}
    print(f"{'platform':<14} {'us/order':>9} {'orjson':>8} {'ratio':>6} {'models':>7} "
          f"{'stored':>7} {'floor':>6}")  # fmt: skip
    for platform, r in results.items():
        print(f"{platform:<14} {r['us_per_order']:>9} {r['orjson_us_per_order']:>8} "
              f"{r['ratio']:>5}x {r['models_us_per_order']:>7} {r['stored_us_per_order']:>7} "
              f"{r['floor_ratio']:>5}x")  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
