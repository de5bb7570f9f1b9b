"""29 Next adapter replayed from vcrpy cassettes (recorded from the emulator, in-process).

CI replays with record mode "none". To re-record after changing the adapter or emulator:

    STOREBRIDGE_29NEXT_RECORD=1 python -m pytest tests/adapters/twentyninenext/test_cassettes.py

which runs the same scenario against the emulator at the fake base URL
https://acme.29next.store and rewrites cassettes/29next/*.yaml (secrets filtered).
"""

from __future__ import annotations

import os

import storebridge
from storebridge import CustomerDraft, CustomerUpdate, Money, OrderStatus, RefundLine, RestockType
from storebridge.testing.cassettes import CassetteTransport, find_credentials
from storebridge_29next import TwentyNineNextAdapter
from tests.adapters.twentyninenext.support import fixtures
from tests.support.paths import CASSETTES as REPO_CASSETTES

CASSETTES = REPO_CASSETTES / "29next"
RECORD = os.environ.get("STOREBRIDGE_29NEXT_RECORD") == "1"


def _cassette(name: str, harness: object) -> CassetteTransport:
    assert isinstance(harness, fixtures.Harness)
    return CassetteTransport(
        CASSETTES / f"{name}.yaml",
        record_mode="all" if RECORD else "none",
        inner=harness.emulator.transport() if RECORD else None,
        secrets=[harness.emulator.token],
        sensitive_headers=TwentyNineNextAdapter.sensitive_headers,
    )


def test_order_and_refund_flow_replays() -> None:
    harness = fixtures.Harness(orders=25)
    cassette = _cassette("order_refund_flow", harness)
    with storebridge.connect(
        "29next", transport=harness.transport(cassette), options=harness.options,
        **harness.settings(),
    ) as store:  # fmt: skip
        orders = list(store.orders.list())
        assert len(orders) == 25
        order = next(
            o for o in (store.orders.get(r.ref) for r in orders[:12])
            if o.financial_status_raw == "paid" and o.fulfillment_status_raw == "fulfilled"
        )  # fmt: skip
        assert order.lines
        quote = store.refunds.calculate(
            order.ref,
            lines=[
                RefundLine(line_ref=order.lines[0].ref, quantity=1, restock=RestockType.NO_RESTOCK)
            ],
        )
        refund = store.refunds.create(quote, note="cassette")
        assert refund.amount == quote.total == order.lines[0].unit_price
        customer = store.customers.create(
            CustomerDraft(email="cassette@example.com", tags=("sb:x",))
        )
        assert customer.tags == ("sb:x",)
        renamed = store.customers.update(customer.ref, CustomerUpdate(first_name="Cass"))
        assert renamed.first_name == "Cass"
        cancelled = store.orders.cancel(orders[0].ref, reason="replayed", refund=True)
        assert cancelled.status is OrderStatus.CANCELLED
        assert cancelled.total.currency == "USD" and isinstance(cancelled.total, Money)
    if RECORD:
        cassette.save()
    harness.assert_spec_clean()


def test_cassettes_hold_no_credentials() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, f"no cassettes in {CASSETTES}"
    for path in files:
        text = path.read_text()
        assert find_credentials(text) == [], path
        assert fixtures.Harness().emulator.token not in text
