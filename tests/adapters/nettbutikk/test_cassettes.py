"""Recorded 24Nettbutikk traffic replayed with no server and no token on disk.

The cassettes under cassettes/24nettbutikk/ were recorded from the emulator in-process at a
fixed fake shop URL. To re-record them after changing the adapter or the emulator::

    STOREBRIDGE_RECORD_24NETTBUTIKK=1 python -m pytest tests/adapters/nettbutikk/test_cassettes.py

and commit the changed files (tests/core/test_cassettes_clean.py checks them for credentials).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import storebridge
from storebridge.sandbox import FakeClock, SandboxSize
from storebridge.testing import CassetteTransport, find_credentials
from storebridge_24nettbutikk import NettbutikkEmulator
from tests.support.paths import CASSETTES

DIR = CASSETTES / "24nettbutikk"
SHOP = "https://acme.24nettbutikk.no"
TOKEN = "cassette-24nb-token-9b3e1f"
RECORD = os.environ.get("STOREBRIDGE_RECORD_24NETTBUTIKK") == "1"
SINCE = datetime(2025, 12, 20, tzinfo=UTC)


def shop() -> NettbutikkEmulator:
    size = SandboxSize(
        seed=5, orders=7, customers=4, products=4,
        clock=FakeClock(datetime(2026, 1, 15, tzinfo=UTC)),
    )  # fmt: skip
    # UTF-8: the cassette filter stores bodies as UTF-8 text and would mangle Latin-1
    # bytes; Latin-1 bodies are covered against the live emulator instead.
    return NettbutikkEmulator(size, token=TOKEN, encoding="utf-8")


@contextmanager
def cassette_store(name: str, **settings: Any) -> Iterator[storebridge.Store]:
    path = DIR / f"{name}.yaml"
    if RECORD:
        path.unlink(missing_ok=True)
        transport = CassetteTransport(
            path, record_mode="once", inner=shop().transport(), secrets=[TOKEN]
        )
    else:
        transport = CassetteTransport(path, record_mode="none")
    given = {"base_url": SHOP, "token": TOKEN, "page_size": 3, **settings}
    # One request at a time: with more in flight, how far the pages are read ahead past
    # the last one depends on when its answer arrives, and a replay could ask for a page
    # the recording never did.
    options = storebridge.StoreOptions(max_concurrency=1)
    with storebridge.connect(
        "24nettbutikk", transport=transport, options=options, requests_per_second=1000.0,
        burst=1000, **given,
    ) as store:  # fmt: skip
        yield store
    if RECORD:
        transport.save()


def read_everything(store: storebridge.Store) -> dict[str, Any]:
    orders = list(store.orders.list())
    return {
        "orders": [(o.ref, o.total.amount, o.email, [ln.sku for ln in o.lines]) for o in orders],
        "customers": [(c.ref, c.last_name) for c in store.customers.list()],
        "products": [(p.ref, [v.sku for v in p.variants]) for p in store.products.list()],
        "changed": [o.ref for o in store.orders.list(updated_since=SINCE)],
    }


def expected() -> dict[str, Any]:
    emu = shop()
    return {
        "orders": sorted(str(o["order_no"]) for o in emu.orders),
        "customers": sorted((str(c["id"]), c["last_name"]) for c in emu.customers),
        "totals": {str(o["order_no"]): o["total_amount_gross"] for o in emu.orders},
        "changed": sorted(
            str(o["order_no"]) for o in emu.orders if o["modified"] >= SINCE.timestamp()
        ),
    }


@pytest.mark.parametrize("style", ["basic", "query"])
def test_replay_reads_the_recorded_shop(style: str) -> None:
    with cassette_store(f"read_all_{style}", auth_style=style) as store:
        got = read_everything(store)
    want = expected()
    assert sorted(ref for ref, *_ in got["orders"]) == want["orders"]
    assert {ref: total for ref, total, *_ in got["orders"]} == want["totals"]
    assert all(isinstance(total, Decimal) for _, total, *_ in got["orders"])
    assert all(email and all(skus) for _, _, email, skus in got["orders"])
    assert sorted(got["customers"]) == want["customers"]
    assert any("ø" in name or "å" in name or "æ" in name for _, name in got["customers"])
    assert sorted(got["changed"]) == want["changed"]


def test_replay_patch_and_reread() -> None:
    with cassette_store("update_order_status") as store:
        order = store.extra.update_order_status("10002", "3")
    assert order.status_raw == "3"


Check = Callable[[str], list[str]]


@pytest.mark.parametrize("check", [find_credentials])
def test_cassettes_hold_no_token(check: Check) -> None:
    files = sorted(DIR.glob("*.yaml"))
    assert files, f"no cassettes in {DIR}; record them (see this module's docstring)"
    for path in files:
        text = path.read_text("utf-8")
        assert TOKEN not in text and check(text) == [], path.name
        assert "authorization" not in text.lower()
