"""Conformance: a listing's filters keep exactly the records they name.

The bounds come from the records themselves, read without a filter: for ``updated_*`` and
``created_*``, the time of a record in the middle is used as the bound, and every record
at or after it (``since``) or at or before it (``until``) must come back, bounds included;
one clearly outside must not. For orders, each status some orders have (and others not)
must bring back every order with it and no other. A filter the adapter refuses before any
request (``ValidationError``, ``UnsupportedOperation``) passes: refusing is honest, and
ignoring it is what this check catches.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storebridge.adapter import Adapter
from storebridge.errors import UnsupportedOperation, ValidationError
from storebridge.store import Store
from storebridge.testing.conformance_support import SIZES, sandbox_store

SLACK = timedelta(hours=1, seconds=1)
"""A record this close outside a bound may come back: platforms that keep local wall time
read a time of the repeated autumn hour both ways, and most keep whole seconds."""
_TIMES = (("updated_at", "updated"), ("created_at", "created"))


def _refs(store: Store, resource: str, **query: Any) -> set[str] | None:
    """The refs the filtered listing returns; None when the adapter refuses the filter."""
    try:
        return {str(item.ref) for item in getattr(store, resource).list(**query)}
    except (ValidationError, UnsupportedOperation):
        return None


def _check_window(store: Store, resource: str, records: list[Any], attr: str, name: str) -> int:
    timed = [(getattr(r, attr), str(r.ref)) for r in records if getattr(r, attr) is not None]
    moments = sorted({moment for moment, _ in timed})
    if len(moments) < 3:
        return 0
    bound: datetime = moments[len(moments) // 2]
    checked = 0
    for side in ("since", "until"):
        argument = f"{name}_{side}"
        got = _refs(store, resource, **{argument: bound})
        if got is None:
            continue
        wanted = {ref for moment, ref in timed if _inside(moment, bound, side)}
        lost = sorted(wanted - got)
        if lost:
            raise AssertionError(
                f"{resource}.list({argument}={bound.isoformat()}) left out {lost}, whose "
                f"{attr} is in the window: bounds are included, and nothing inside may be "
                "left out"
            )
        outside = {
            ref for moment, ref in timed
            if (moment < bound - SLACK if side == "since" else moment > bound + SLACK)
        }  # fmt: skip
        kept = sorted(outside & got)
        if kept:
            raise AssertionError(
                f"{resource}.list({argument}={bound.isoformat()}) returned {kept}, whose "
                f"{attr} is well outside the window: is {argument} applied?"
            )
        checked += 1
    return checked


def _inside(moment: datetime, bound: datetime, side: str) -> bool:
    return moment >= bound if side == "since" else moment <= bound


def _check_statuses(store: Store, orders: list[Any]) -> int:
    statuses = {str(order.status) for order in orders}
    checked = 0
    for status in sorted(statuses):
        having = {str(o.ref) for o in orders if str(o.status) == status}
        if len(having) == len(orders):
            continue  # every order has it: the filter cannot be told from no filter
        got = _refs(store, "orders", status=status)
        if got is None:
            continue
        others = {str(o.ref) for o in orders if str(o.ref) in got and str(o.status) != status}
        if got != having and (having - got or others):
            raise AssertionError(
                f"orders.list(status={status!r}) returned {len(got)} orders for the "
                f"{len(having)} with that status (left out {sorted(having - got)}, others "
                f"{sorted(others)}): is the status filter applied, and mapped to the "
                "platform's own values?"
            )
        checked += 1
    return checked


def check_filters(adapter_cls: type[Adapter]) -> dict[str, int]:
    """Each listing's time windows and the orders' status filter keep exactly their records
    (or are refused); returns how many filters were checked per resource."""
    counts: dict[str, int] = {}
    connected, _, _ = sandbox_store(adapter_cls, SIZES)
    with connected as store:
        for resource in SIZES:
            if f"{resource}.list" not in store.capabilities:
                continue
            records = list(getattr(store, resource).list())
            checked = sum(_check_window(store, resource, records, a, n) for a, n in _TIMES)
            if resource == "orders":
                checked += _check_statuses(store, records)
            counts[resource] = checked
    return counts


__all__ = ["SLACK", "check_filters"]
