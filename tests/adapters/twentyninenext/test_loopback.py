"""The "done when" scenario over real sockets: the emulator on 127.0.0.1, sync and async.

Client and emulator share one fake clock, so the 4 requests/second limit is enforced on
both sides without real waiting.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import storebridge
from storebridge import CustomerDraft, CustomerUpdate, OrderStatus, RefundLine, RestockType
from tests.adapters.twentyninenext.support import fixtures

anyio_backend = fixtures.anyio_backend


@pytest.fixture
def served() -> Iterator[tuple[fixtures.Harness, str]]:
    harness = fixtures.Harness(orders=45)
    with harness.emulator.serve(port=0) as url:
        assert url.startswith("http://127.0.0.1:")
        yield harness, url


def _pick(orders: list[storebridge.Order], fulfilled: bool) -> storebridge.Order:
    wanted = "fulfilled" if fulfilled else "unfulfilled"
    return next(
        o for o in orders
        if o.financial_status_raw == "paid" and o.fulfillment_status_raw == wanted
        and all(line.requires_shipping for line in o.lines)
    )  # fmt: skip


def test_done_when_scenario_sync(served: tuple[fixtures.Harness, str]) -> None:
    harness, url = served
    with storebridge.connect("29next", options=harness.options, **harness.settings(url)) as store:
        rows = list(store.orders.list())
        assert len(rows) == 45  # three cursor pages
        full = [store.orders.get(r.ref) for r in rows]
        assert all(o.lines for o in full)
        customer = store.customers.create(CustomerDraft(email="loop@example.com", first_name="L"))
        assert (
            store.customers.update(customer.ref, CustomerUpdate(last_name="Oop")).last_name == "Oop"
        )
        target = _pick(full, fulfilled=True)
        quote = store.refunds.calculate(
            target.ref,
            lines=[
                RefundLine(line_ref=target.lines[0].ref, quantity=1, restock=RestockType.RETURN)
            ],
        )
        refund = store.refunds.create(quote, note="loopback")
        assert refund.amount == quote.total
        open_order = _pick(full, fulfilled=False)
        fo = store.extra.fulfillment_orders(open_order.ref)[0]
        moved = store.extra.move_fulfillment_order(fo.ref, "3")
        assert moved.moved.location_ref == "3"
        assert (
            store.orders.cancel(open_order.ref, reason="loop", refund=True).status
            is OrderStatus.CANCELLED
        )


@pytest.mark.anyio
async def test_done_when_scenario_async(served: tuple[fixtures.Harness, str]) -> None:
    harness, url = served
    async with storebridge.connect_async(
        "29next", options=harness.options, **harness.settings(url)
    ) as store:
        rows = [o async for o in store.orders.list(detail=True)]
        assert len(rows) == 45 and all(o.lines for o in rows)
        customer = await store.customers.create(CustomerDraft(email="aloop@example.com"))
        updated = await store.customers.update(customer.ref, CustomerUpdate(first_name="A"))
        assert updated.first_name == "A"
        target = _pick(rows, fulfilled=True)
        quote = await store.refunds.calculate(
            target.ref,
            lines=[
                RefundLine(line_ref=target.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
            ],
        )
        refund = await store.refunds.create(quote)
        assert refund.amount == quote.total
        open_order = _pick(rows, fulfilled=False)
        fos = await store.extra.fulfillment_orders(open_order.ref)
        moved = await store.extra.move_fulfillment_order(fos[0].ref, "2")
        assert moved.moved.location_ref == "2"
        cancelled = await store.orders.cancel(open_order.ref, reason="async loop", refund=True)
        assert cancelled.status is OrderStatus.CANCELLED
    listed = [r for r in harness.emulator.requests if r.path == "/api/admin/orders/"]
    assert len(listed) == 3  # 45 orders, 20 per cursor page
