"""Conformance: ``orders.cancel`` cancels the order asked for, and only that one.

A cancel that reports one order while cancelling another (an index off by one, a ref read
from the wrong field) leaves a merchant's order cancelled that nobody asked to cancel, and
the one asked about still open, with the call reporting success. The check cancels an
order of the sandbox the platform lets be cancelled, then reads every order again: the
one asked for is cancelled, the call returned it, and no other order's status changed.
"""

from __future__ import annotations

from storebridge.adapter import Adapter
from storebridge.errors import APIError, OutcomeUnknown, ValidationError
from storebridge.model import OrderStatus
from storebridge.testing.conformance_support import sandbox_store

ORDERS = 8


def check_cancel(adapter_cls: type[Adapter]) -> str | None:
    """The ref of the order cancelled (None when the adapter cannot cancel orders)."""
    connected, _, _ = sandbox_store(adapter_cls, {"orders": ORDERS})
    with connected as store:
        if "orders.cancel" not in store.capabilities:
            return None
        before = {str(o.ref): o.status for o in store.orders.list()}
        for ref, status in before.items():
            if status is OrderStatus.CANCELLED:
                continue
            try:
                returned = store.orders.cancel(ref, reason="conformance check")
            except OutcomeUnknown as exc:  # the facade found another order in the answer
                raise AssertionError(
                    f"orders.cancel({ref!r}) answered with another order: it must return the "
                    f"order it cancelled, the one asked for ({exc})"
                ) from exc
            except (APIError, ValidationError):
                continue  # the platform refuses this one (fulfilled, paid...): the next
            after = {str(o.ref): o.status for o in store.orders.list()}
            if str(returned.ref) != ref:
                raise AssertionError(
                    f"orders.cancel({ref!r}) returned order {returned.ref}: it must return "
                    "the order it cancelled, the one asked for"
                )
            if after.get(ref) is not OrderStatus.CANCELLED:
                raise AssertionError(
                    f"orders.cancel({ref!r}) returned, but the order reads {after.get(ref)} "
                    "afterwards: was another order cancelled?"
                )
            changed = sorted(r for r, s in after.items() if r != ref and s != before.get(r))
            if changed:
                raise AssertionError(
                    f"orders.cancel({ref!r}) also changed the status of {changed}: only the "
                    "order asked for may change"
                )
            return ref
    raise AssertionError("orders.cancel refused every order of the sandbox; seed one it can cancel")


__all__ = ["check_cancel"]
