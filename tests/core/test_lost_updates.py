"""A write of absolute values whose answer is lost is sent again only when nobody else wrote
the same fields meanwhile (``kit.reconciled_update``), on SHOPLINE and 29 Next.

Caller A's update is processed and its answer lost; caller B updates the same field and is
told it succeeded; A reads back, sees B's value, and once took that for "not applied": A
was sent again and B's acknowledged write was undone with no error anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import storebridge
from storebridge import Address, CustomerUpdate, OutcomeUnknown
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import world
from tests.adapters.twentyninenext.support.sandbox import Sandbox

WHAT = ["customer", "address"]


@dataclass
class Shop:
    """One platform's sandbox: how to connect, what a write is, and where it lands."""

    connect: Callable[[Any], storebridge.Store]
    inner: Any
    method: str
    value: Callable[[str], object]
    writes: Callable[[], int]
    customer: str
    order: str


def shop(platform: str) -> Shop:
    if platform == "shopline":
        w = world(orders=3, rate_limit=False)
        customer, order = next(iter(w.emulator.customers)), next(iter(w.emulator.orders))

        def shopline_value(what: str) -> object:
            if what == "customer":
                return w.emulator.customers[customer]["last_name"]
            return (w.emulator.orders[order]["shipping_address"] or {}).get("address1")

        return Shop(
            connect=lambda t: w.connect(transport=t) if t else w.connect(),
            inner=w.emulator.transport(), method="PUT", value=shopline_value,
            writes=lambda: sum(r.method == "PUT" for r in w.emulator.requests),
            customer=customer, order=order,
        )  # fmt: skip
    sb = Sandbox(orders=5)

    def next_value(what: str) -> object:
        if what == "customer":
            return sb.emulator.state.users[100]["last_name"]
        return (sb.emulator.state.orders["100001"].shipping_address or {}).get("line1")

    return Shop(
        connect=lambda t: sb.connect(t), inner=sb.emulator.transport(), method="PATCH",
        value=next_value, writes=lambda: sum(r.method == "PATCH" for r in sb.emulator.requests),
        customer="100", order="100001",
    )  # fmt: skip


def write(store: storebridge.Store, s: Shop, what: str, who: str) -> Any:
    if what == "customer":
        return store.customers.update(s.customer, CustomerUpdate(last_name=who))
    address = Address(first_name="K", line1=f"{who} Street 1", city="Oslo", country="NO")
    return store.orders.update_shipping_address(s.order, address)


def written(what: str, who: str) -> str:
    return who if what == "customer" else f"{who} Street 1"


@pytest.mark.parametrize("what", WHAT)
@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_lost_update_is_not_sent_over_another_callers_acknowledged_write(
    platform: str, what: str
) -> None:
    s = shop(platform)
    state: dict[str, Any] = {"lost": False, "b": None}

    def script(_n: int, request: Any) -> str | None:
        if request.method == s.method and not state["lost"]:
            state["lost"] = True
            return "reset_after"  # A's write is processed, its answer lost
        if state["lost"] and request.method == "GET" and state["b"] is None:
            with s.connect(None) as other:  # B writes before A reads back, and is told so
                write(other, s, what, "B")
            state["b"] = s.value(what)
        return None

    with s.connect(FaultTransport(s.inner, script=script)) as store:
        with pytest.raises(OutcomeUnknown, match="someone else wrote"):
            write(store, s, what, "A")
    assert state["b"] == written(what, "B")
    assert s.value(what) == written(what, "B")  # B's write stands
    assert s.writes() == 2  # A once, B once


@pytest.mark.parametrize("what", WHAT)
@pytest.mark.parametrize("platform", ["shopline", "29next"])
@pytest.mark.parametrize("kind", ["reset_after", "timeout_after", "lost_502", "server_error"])
def test_a_lost_update_alone_is_settled_or_sent_again_once(
    platform: str, what: str, kind: str
) -> None:
    """Processed and lost: the read-back shows it, nothing is sent again. Never processed
    (a 5xx before the server): the record is as it was, and the write is sent again."""
    s = shop(platform)
    done: list[bool] = []

    def script(_n: int, request: Any) -> str | None:
        if request.method == s.method and not done:
            done.append(True)
            return kind
        return None

    with s.connect(FaultTransport(s.inner, script=script)) as store:
        result = write(store, s, what, "A")
    assert s.value(what) == written(what, "A")
    assert s.writes() == 1  # the server got it once: settled by reading, or sent again
    if what == "customer":
        assert result.last_name == "A"
    else:
        assert result.shipping_address is not None
        assert result.shipping_address.line1 == "A Street 1"


@pytest.mark.parametrize(
    "update",
    [
        CustomerUpdate(note=""),
        CustomerUpdate(phone=""),
        CustomerUpdate(first_name=""),
        CustomerUpdate(tags=(" vip",)),
        CustomerUpdate(email="WEI.BERG.1@EXAMPLE.COM"),
    ],
    ids=["blank note", "blank phone", "blank name", "tag with a space", "e-mail in capitals"],
)
def test_a_lost_update_the_store_normalises_is_recognised(update: CustomerUpdate) -> None:
    """SHOPLINE gives a blank field back as none and strips tags: the read-back after a
    lost answer once saw neither the value sent nor the one before, and reported another
    caller's write (OutcomeUnknown) for a write that had landed."""
    w = world(orders=3, rate_limit=False)
    ref, row = next(iter(w.emulator.customers.items()))
    row.update(note="hello", phone="+4712345678", tags="old")
    done: list[bool] = []

    def script(_n: int, request: Any) -> str | None:
        if request.method == "PUT" and not done:
            done.append(True)
            return "reset_after"
        return None

    with w.connect(transport=FaultTransport(w.emulator.transport(), script=script)) as store:
        store.customers.update(ref, update)
    assert done and sum(r.method == "PUT" for r in w.emulator.requests) == 1
