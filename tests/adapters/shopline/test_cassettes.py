"""Recorded SHOPLINE traffic, replayed with no server and no credential on disk.

The cassettes under cassettes/shopline/ were recorded from the emulator in-process at the
fake store ``https://acme.myshopline.com`` (``handle="acme"``). To re-record them after
changing the adapter or the emulator::

    STOREBRIDGE_RECORD_SHOPLINE=1 python -m pytest tests/adapters/shopline/test_cassettes.py

and commit the changed files (tests/core/test_cassettes_clean.py scans them for credentials).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import storebridge
from storebridge import CustomerDraft, CustomerUpdate, NotFound, RefundLine, RestockType
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge.testing import CassetteTransport, find_credentials
from storebridge_shopline import ShoplineAdapter, ShoplineEmulator
from tests.support.paths import CASSETTES

DIR = CASSETTES / "shopline"
RECORD = os.environ.get("STOREBRIDGE_RECORD_SHOPLINE") == "1"
START = 1_767_225_600.0
APP_SECRET = "cassette-shopline-secret-7c1d"


def emulator() -> tuple[ShoplineEmulator, str]:
    emu = ShoplineEmulator(
        SandboxSize(seed=11, orders=7, customers=4, products=4, clock=FakeClock(START)),
        app_key="cassette-app", app_secret=APP_SECRET, rate_limit=False,
    )  # fmt: skip
    token, _ = emu.issue_token()
    return emu, token


@contextmanager
def cassette_store(name: str, **settings: Any) -> Iterator[storebridge.Store]:
    path = DIR / f"{name}.yaml"
    emu, token = emulator()
    if RECORD:
        path.unlink(missing_ok=True)
        transport = CassetteTransport(
            path,
            record_mode="once",
            inner=emu.transport(),
            secrets=[token, APP_SECRET],
            sensitive_headers=ShoplineAdapter.sensitive_headers,
        )
    else:
        if not path.exists():
            pytest.fail(f"{path} is missing; record it with STOREBRIDGE_RECORD_SHOPLINE=1")
        transport = CassetteTransport(path, record_mode="none")
    given: dict[str, Any] = {
        "handle": "acme",
        "access_token": token,
        "app_key": "cassette-app",
        "app_secret": APP_SECRET,
        "token_expires_at": START + 36000,
        "clock": FakeClock(START),
        **settings,
    }
    # One request in flight: a recorded listing replays page by page, the same requests in
    # the same order on every run (windows would be planned from the latency measured).
    options = storebridge.StoreOptions(
        rate_limit=storebridge.RateLimit(1000, 1000), max_concurrency=1
    )
    with storebridge.connect("shopline", transport=transport, options=options, **given) as store:
        yield store
    if RECORD:
        transport.save()
    text = path.read_text("utf-8")
    assert token not in text and APP_SECRET not in text
    assert find_credentials(text) == []


def test_orders_across_pages_after_a_proactive_refresh() -> None:
    # A token said to expire within the 10-minute leeway is refreshed before the first call.
    with cassette_store("orders_refresh", token_expires_at=START + 100) as store:
        orders = list(store.orders.list(page_size=3))
        again = store.orders.get(orders[4].ref)
        assert store.adapter.refresh_count == 1  # type: ignore[attr-defined]
    assert len(orders) == 7 and len({o.ref for o in orders}) == 7
    assert again.ref == orders[4].ref and again.total == orders[4].total
    assert all(o.currency == "USD" and o.lines for o in orders)


def test_refund_calculate_and_create() -> None:
    with cassette_store("refunds") as store:
        order = next(o for o in store.orders.list() if o.financial_status.value == "paid")
        line = order.lines[0]
        quote = store.refunds.calculate(
            order.ref, lines=[RefundLine(line_ref=line.ref, quantity=1, restock=RestockType.RETURN)]
        )
        refund = store.refunds.create(quote, note="cassette")
    assert quote.total.amount > 0 and quote.allocations
    assert refund.amount == quote.total
    assert refund.order_ref == order.ref and refund.note == "cassette"


def test_customers_and_errors() -> None:
    with cassette_store("customers") as store:
        created = store.customers.create(
            CustomerDraft(email="cassette@example.com", first_name="Cas", tags=("sb:test:1",))
        )
        updated = store.customers.update(created.ref, CustomerUpdate(last_name="Sette"))
        listed = [c.ref for c in store.customers.list()]
        with pytest.raises(NotFound) as err:
            store.products.get("1605999")
    assert created.tags == ("sb:test:1",)
    assert (updated.first_name, updated.last_name) == ("Cas", "Sette")
    assert created.ref in listed
    assert err.value.request_id  # the traceId header survives recording
