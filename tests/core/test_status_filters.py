"""Status filter values: a value no order can match is refused before any request, and a
unified value keeps exactly the orders that show it.

A platform answers a filter value it does not know with no orders (or the library, where
it filters itself, matches none), so ``status="opn"`` would list nothing in silence. On
29 Next a unified value stands for every platform value the converter reads as it
(``financial_status="authorized"`` is ``payment_status=authorized&payment_status=expiring``).
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge.errors import StorebridgeError, ValidationError
from storebridge.testing import FaultTransport
from tests.support.counting import Counting
from tests.support.fake_time_store import Kit
from tests.support.fake_time_store import kit as sandbox_kit

PLATFORMS = ("29next", "shopline", "24nettbutikk")


def _kit(platform: str, orders: int = 30) -> Kit:
    return sandbox_kit(platform, orders=orders, customers=5, products=5)


@pytest.mark.parametrize(
    ("platform", "given", "meant"),
    [
        ("29next", {"status": "opn"}, "open"),
        ("29next", {"status": "Cancelled"}, "cancelled"),
        ("29next", {"financial_status": "piad"}, "paid"),
        ("29next", {"fulfillment_status": "unfulfiled"}, "unfulfilled"),
        ("29next", {"payment_status": "refundd"}, "refunded"),
        ("29next", {"delivery_status": ["delivered", "in_transt"]}, "in_transit"),
        ("shopline", {"status": "canceled"}, "cancelled"),
        ("shopline", {"financial_status": "piad"}, "paid"),
        ("24nettbutikk", {"status": "canceled"}, "cancelled"),
        ("24nettbutikk", {"financial_status": "pending "}, "pending"),
        ("24nettbutikk", {"fulfillment_status": "fulfiled"}, "fulfilled"),
    ],
)
def test_a_misspelt_status_value_is_refused_before_any_request(
    platform: str, given: dict[str, Any], meant: str
) -> None:
    kit = _kit(platform)
    counting = Counting(kit.emulator.transport())
    with kit.store(counting) as store:
        with pytest.raises(ValidationError, match=f"did you mean {meant}") as caught:
            list(store.orders.list(**given))
    assert caught.value.field == next(iter(given))
    assert counting.sent == 0


@pytest.mark.parametrize(
    ("platform", "given"),
    [
        ("29next", {"financial_status": "unpaid"}),  # no 29 Next payment status reads so
        ("29next", {"fulfillment_status": "restocked"}),
        ("29next", {"status": "unknown"}),
        ("24nettbutikk", {"status": "open"}),  # statuses are the shop's numeric codes
        ("24nettbutikk", {"financial_status": "refunded"}),  # only a paid flag
        ("24nettbutikk", {"status": 1}),
        ("shopline", {"status": "closed"}),
    ],
)
def test_a_value_no_order_can_show_is_refused(platform: str, given: dict[str, Any]) -> None:
    kit = _kit(platform)
    counting = Counting(kit.emulator.transport())
    with kit.store(counting) as store:
        with pytest.raises(ValidationError) as caught:
            list(store.orders.list(**given))
    assert caught.value.field == next(iter(given))
    assert counting.sent == 0


def _vary_29next(kit: Any) -> None:
    """Give the seeded orders every platform value behind the unified ones."""
    payment = ("expiring", "authorized", "paid", "expired", "partially_voided", "refunded")
    fulfillment = ("processing", "on_hold", "unfulfilled", "fulfilled", "not_required")
    status = ("open", "archived", "canceled")
    for index, record in enumerate(kit.emulator.state.orders.values()):
        record.payment_status = payment[index % len(payment)]
        record.fulfillment_status = fulfillment[index % len(fulfillment)]
        record.status = status[index % len(status)]


UNIFIED = {
    "status": ("open", "closed", "cancelled", "unknown"),
    "financial_status": ("authorized", "paid", "unpaid", "unknown", "refunded", "pending"),
    "fulfillment_status": ("unfulfilled", "fulfilled", "unknown", "partially_fulfilled"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("field", sorted(UNIFIED))
def test_a_unified_value_keeps_exactly_the_orders_showing_it(platform: str, field: str) -> None:
    kit = _kit(platform, orders=36)
    if platform == "29next":
        _vary_29next(kit)
    with kit.store(kit.emulator.transport()) as store:
        every = list(store.orders.list())
        checked = 0
        for value in UNIFIED[field]:
            try:
                given: dict[str, Any] = {field: value}
                listed = [o.ref for o in store.orders.list(**given)]
            except ValidationError:
                continue  # a value the platform's orders cannot show: refused, not empty
            assert listed == [o.ref for o in every if str(getattr(o, field)) == value]
            checked += bool(listed)
    assert checked >= 1  # the check saw orders, not only empty listings


def test_a_platform_value_keeps_only_its_own_orders_on_29next() -> None:
    kit = _kit("29next", orders=36)
    _vary_29next(kit)
    with kit.store(kit.emulator.transport()) as store:
        every = list(store.orders.list())
        expiring = [o.ref for o in store.orders.list(financial_status="expiring")]
        both = [o.ref for o in store.orders.list(payment_status=["expiring", "expired"])]
    assert expiring == [o.ref for o in every if o.financial_status_raw == "expiring"]
    assert both == [o.ref for o in every if o.financial_status_raw in ("expiring", "expired")]
    assert expiring and len(both) > len(expiring)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_widened_filter_under_faults_is_exact_or_an_error(seed: int) -> None:
    kit = _kit("29next", orders=120)
    _vary_29next(kit)
    with kit.store(kit.emulator.transport()) as store:
        wanted = [o.ref for o in store.orders.list() if str(o.fulfillment_status) == "unfulfilled"]
    faulty = FaultTransport(kit.emulator.transport(), seed=seed, rate=0.3)
    with kit.store(faulty) as store:
        try:
            listed = [o.ref for o in store.orders.list(fulfillment_status="unfulfilled")]
        except StorebridgeError:
            return  # under faults a clear error is the other outcome
    assert listed == wanted
    assert faulty.injected  # faults were met
