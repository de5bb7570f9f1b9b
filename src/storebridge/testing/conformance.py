"""The conformance kit: checks any adapter can run against its own sandbox.

    from storebridge.testing.conformance import check_adapter
    check_adapter(MyAdapter)            # raises AssertionError naming what is wrong

It connects through the public facade (sync and async) to ``MyAdapter.sandbox()`` in-process
and checks the model conventions every storebridge user relies on: refs are non-empty
strings, money is Decimal + ISO currency, datetimes are aware, every object carries its
platform and raw payload, listings end, ``get`` agrees with ``list``, and every operation the
adapter does not support raises UnsupportedOperation before any request is sent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from storebridge.adapter import Adapter
from storebridge.errors import UnsupportedOperation
from storebridge.model import Money, RefundLine
from storebridge.store import AsyncStore, Store

_GETTERS = {"orders": "orders.get", "customers": "customers.get", "products": "products.get"}


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise AssertionError(f"{where} is a float; money and amounts must be Decimal")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise AssertionError(f"{where} is a naive datetime")
    if isinstance(value, Money):
        _require(isinstance(value.amount, Decimal), where)
    if attrs.has(type(value)):
        _check_object(value, where)
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")


def _check_object(obj: Any, where: str) -> None:
    for field in attrs.fields(type(obj)):
        if field.name == "raw":
            continue
        _check_value(getattr(obj, field.name), f"{where}.{field.name}")


def _require(condition: object, message: str) -> None:
    # Explicit raises, not asserts: the kit must work under python -O too.
    if not condition:
        raise AssertionError(message)


def check_record(record: Any, platform: str, where: str) -> None:
    _require(record.platform == platform, f"{where}.platform is {record.platform!r}")
    _require(isinstance(record.ref, str) and record.ref, f"{where}.ref must be a non-empty str")
    _require(record.raw, f"{where}.raw must keep the platform payload")
    _check_object(record, where)


def check_adapter(adapter_cls: type[Adapter], *, orders: int = 6) -> dict[str, int]:
    """Run the checks; returns how many records of each kind were checked."""
    kit = adapter_cls.sandbox(seed=3, orders=orders)
    settings = kit.settings("https://sandbox.invalid")
    adapter = adapter_cls.from_settings(**settings)
    counts: dict[str, int] = {}
    with Store(adapter, transport=kit.emulator.transport()) as store:
        for resource, op in _GETTERS.items():
            if f"{resource}.list" not in store.capabilities:
                continue
            records = list(getattr(store, resource).list())
            _require(records, f"{adapter_cls.name} sandbox has no {resource}")
            refs = [r.ref for r in records]
            _require(len(refs) == len(set(refs)), f"{resource} listing repeats records")
            for i, record in enumerate(records):
                check_record(record, adapter_cls.name, f"{resource}[{i}]")
            if op in store.capabilities:
                one = getattr(store, resource).get(records[0].ref)
                check_record(one, adapter_cls.name, f"{resource}.get")
                _require(one.ref == records[0].ref, f"{op} returned another record")
            counts[resource] = len(records)
        _check_unsupported(store, kit.emulator)

    async def async_list() -> int:
        async with AsyncStore(adapter, transport=kit.emulator.transport()) as astore:
            return len([o async for o in astore.orders.list()])

    if "orders.list" in adapter.capabilities:
        _require(asyncio.run(async_list()) == counts["orders"], "async listing differs from sync")
    return counts


def _check_unsupported(store: Store, emulator: Any) -> None:
    before = len(emulator.requests)
    calls: dict[str, Any] = {
        "refunds.calculate": lambda: store.refunds.calculate(
            "1", lines=[RefundLine(line_ref="1", quantity=1)]
        ),
        "orders.cancel": lambda: store.orders.cancel("1"),
    }
    for op, call in calls.items():
        if op in store.capabilities:
            continue
        try:
            call()
        except UnsupportedOperation as exc:
            _require(store.adapter.display_name in str(exc) and op in str(exc), str(exc))
        else:
            raise AssertionError(f"{op} is not a capability but did not raise")
    _require(len(emulator.requests) == before, "an unsupported operation sent a request")
