"""Migrations: exactly once across crashes, lost ledgers, dry runs, catch-up, verification."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import storebridge
from storebridge import Store
from storebridge.http import Request, Response
from storebridge.sandbox import Emulator
from tests.support.paths import REPO_ROOT
from tests.support.toyshop import ToyShopEmulator

ROOT = REPO_ROOT
TOKEN = "shop-token-000111"


pytestmark = pytest.mark.usefixtures("toyshop")


def shop(emu: ToyShopEmulator, host: str, **settings: Any) -> Store:
    return storebridge.connect(
        "toyshop", base_url=f"https://{host}.example", token=TOKEN, transport=emu.transport(),
        **settings,
    )  # fmt: skip


def tag_counts(emu: ToyShopEmulator) -> Counter[str]:
    return Counter(
        t for table in emu.tables.values() for row in table.values() for t in row.get("tags", [])
        if t.startswith("sb:")
    )  # fmt: skip


@pytest.fixture
def pair() -> tuple[ToyShopEmulator, ToyShopEmulator]:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=10)
    return source, target


def test_full_migration_passes_verification(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    with shop(source, "src") as s, shop(target, "dst") as t:
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite")
    assert report.status == "PASS", report.summary()
    assert report.results["customers"].created == 6
    assert report.results["products"].created == 4
    assert report.results["orders"].created == 10
    assert len(target.tables["orders"]) == 10
    assert all(n == 1 for n in tag_counts(target).values())
    order = next(iter(target.tables["orders"].values()))
    assert order["customer"] is not None  # linked to the migrated customer
    assert report.verification is not None and set(report.verification.order_totals) == {
        "EUR", "NOK",
    }  # fmt: skip


def test_existing_customers_and_skus_are_reused(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    target.add("customers", {"email": "C1@example.com", "tags": []})
    target.add("products", {"title": "Theirs", "tags": [], "variants": [
        {"sku": "SKU-1-A", "price": "10.00"}, {"sku": "SKU-1-B", "price": "15.50"}]})  # fmt: skip
    with shop(source, "src") as s, shop(target, "dst") as t:
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite")
    assert report.results["customers"].reused == 1 and report.results["customers"].created == 5
    assert report.results["products"].reused == 1 and report.results["products"].created == 3
    assert report.status == "PASS", report.summary()


def test_dry_run_writes_nothing(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        report = storebridge.migrate(s, t, ledger=ledger, dry_run=True)
    assert report.dry_run and report.status == "DRY RUN"
    assert report.results["orders"].created == 10 and report.results["customers"].created == 6
    assert [r for r in target.requests if r.method != "GET"] == []
    assert not ledger.exists()
    assert all(not rows for rows in target.tables.values())


def test_target_that_cannot_write_is_blocked_in_one_line(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    with shop(source, "src") as s, shop(target, "dst", can_write=False) as t:
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite")
    assert report.status == "BLOCKED"
    assert report.blockers == [
        "ToyShop cannot be a migration target: it does not support customers.create, "
        "products.create, orders.create"
    ]
    assert target.requests == []


def test_mapping_gaps_are_reported_and_skipped(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    source.add_order(99, sku="GHOST-SKU")
    target.currencies = ["EUR"]
    with shop(source, "src") as s, shop(target, "dst") as t:
        report = storebridge.migrate(s, t, ledger=tmp_path / "l.sqlite")
    skipped = {x.reason for x in report.results["orders"].skipped}
    assert any("GHOST-SKU missing on the target" in r for r in skipped)
    assert any("currency NOK not accepted" in r for r in skipped)
    # Everything that was written verifies, but not every record moved: not a PASS.
    assert report.verification is not None and report.verification.passed
    assert report.status == "INCOMPLETE" and not report.ok


def test_skipped_orders_are_picked_up_by_the_next_catch_up(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    source.add_order(99, sku="LATE-SKU")
    with shop(source, "src") as s, shop(target, "dst") as t:
        first = storebridge.migrate(s, t, ledger=ledger)
        assert first.status == "INCOMPLETE"
        source.add("products", {"title": "Late", "tags": [], "variants": [
            {"sku": "LATE-SKU", "price": "10.00"}]})  # fmt: skip
        second = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    assert second.status == "PASS", second.summary()
    assert second.results["orders"].created == 1
    assert sorted(o["number"] for o in target.tables["orders"].values()) == sorted(
        o["number"] for o in source.tables["orders"].values()
    )


def test_dry_run_plans_against_the_existing_ledger(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        source.add_order(77, customer=2)
        before = ledger.read_bytes()
        plan = storebridge.migrate(s, t, ledger=ledger, dry_run=True)
    assert plan.results["orders"].already == 10 and plan.results["orders"].created == 1
    assert plan.results["customers"].already == 6 and plan.results["customers"].created == 0
    assert ledger.read_bytes() == before


def test_changes_the_target_cannot_take_are_reported(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        source.tables["products"]["1"]["variants"][0]["price"] = "99.00"
        report = storebridge.migrate(s, t, ledger=ledger)
    assert any(x.startswith("products 1 -> ") for x in report.changed_not_updated)
    assert report.status == "FAIL"  # the target really is out of date, and says so
    assert report.verification is not None
    assert any("99.00" in m.problem for m in report.verification.mismatches)


def test_lost_ledger_is_rebuilt_from_identity_tags(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=tmp_path / "first.sqlite")
        report = storebridge.migrate(s, t, ledger=tmp_path / "fresh.sqlite")
    assert report.results["orders"].reconciled == 10 and report.results["orders"].created == 0
    assert report.results["customers"].reconciled == 6
    assert len(target.tables["orders"]) == 10 and len(target.tables["customers"]) == 6
    assert report.status == "PASS", report.summary()


def test_catch_up_moves_only_new_records(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        source.add("customers", {"email": "new@example.com", "tags": []})
        source.add_order(50, customer=7)
        writes_before = len([r for r in target.requests if r.method == "POST"])
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    writes = [r for r in target.requests if r.method == "POST"][writes_before:]
    assert [r.path for r in writes] == ["/customers", "/orders"]
    # The watermark is inclusive, so the previous run's newest record is read again (and
    # recognised through the ledger) rather than risking a miss at the boundary.
    orders = report.results["orders"]
    assert orders.created == 1 and orders.total - orders.created == orders.already <= 1
    assert report.status == "PASS", report.summary()


def test_verification_catches_a_corrupted_target_record(
    pair: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = pair
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        victim = target.tables["orders"]["3"]
        victim["lines"][0]["price"] = "999.00"
        report = storebridge.migrate(s, t, ledger=ledger)
    assert report.status == "FAIL"
    assert report.verification is not None
    problems = [m for m in report.verification.mismatches if m.target_ref == "3"]
    assert problems and "line" in problems[0].problem


MIGRATE_SCRIPT = textwrap.dedent(
    """
    import json, sys, storebridge
    from tests.support.toyshop import ToyShopAdapter
    storebridge.register_adapter(ToyShopAdapter)
    source, target, ledger = (json.loads(a) for a in sys.argv[1:4])
    fast = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
    with storebridge.connect(options=fast, **source) as s, \\
         storebridge.connect(options=fast, **target) as t:
        print(storebridge.migrate(s, t, ledger=ledger, concurrency=4).status)
    """
)


def posts(emulator: Emulator) -> int:
    with emulator.lock:
        return sum(1 for r in emulator.requests if r.method == "POST")


@contextmanager
def counting_posts(emulator: Emulator) -> Iterator[Callable[[int, float], int]]:
    """While open, ``wait(n, timeout)`` returns as soon as the emulator has answered ``n``
    POSTs in all (or after ``timeout`` seconds), with the number answered so far.

    Each answered POST wakes the waiter: no polling loop competing with the server threads
    for the emulator's lock, and the waiter sees each write the moment it is taken.
    """
    answered = threading.Condition()
    count = posts(emulator)
    original = emulator.handle

    def handle(request: Request) -> Response:
        nonlocal count
        response = original(request)
        if request.method == "POST":
            with answered:
                count += 1
                answered.notify_all()
        return response

    def wait(n: int, timeout: float) -> int:
        with answered:
            answered.wait_for(lambda: count >= n, timeout)
            return count

    emulator.handle = handle  # type: ignore[method-assign]
    try:
        yield wait
    finally:
        emulator.handle = original  # type: ignore[method-assign]


def kill_during_writes(
    source: Mapping[str, object],
    target: Mapping[str, object],
    target_emu: Emulator,
    ledger: Path,
    thresholds: list[int],
) -> int:
    """Run the migration in a child process and SIGKILL it as soon as the target has taken
    each threshold's number of writes; returns how many runs were killed mid-write."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [json.dumps(source), json.dumps(target), json.dumps(str(ledger))]
    kills = 0
    with counting_posts(target_emu) as wait:
        for threshold in thresholds:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", MIGRATE_SCRIPT, *args],
                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 90
            # Woken by each write; the short timeout only notices a child that ended early.
            while wait(threshold, 0.05) < threshold and proc.poll() is None:
                if time.monotonic() > deadline:
                    break
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=60)
    return kills


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_killed_migration_resumes_exactly_once(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    source = ToyShopEmulator(latency=0.005)
    target = ToyShopEmulator(latency=0.005)
    source.seed(customers=15, products=8, orders=30)
    ledger = tmp_path / "ledger.sqlite"
    writes = 15 + 8 + 30
    with source.serve() as src_url, target.serve() as dst_url:
        src = {"platform": "toyshop", "base_url": src_url, "token": TOKEN}
        dst = {"platform": "toyshop", "base_url": dst_url, "token": TOKEN}
        kills = kill_during_writes(
            src, dst, target, ledger, sorted(rng.sample(range(1, writes), 3))
        )
        with storebridge.connect("toyshop", base_url=src_url, token=TOKEN) as s, \
             storebridge.connect("toyshop", base_url=dst_url, token=TOKEN) as t:  # fmt: skip
            report = storebridge.migrate(s, t, ledger=ledger)
    assert kills == 3  # every run was cut off in the middle of its writes
    assert report.status == "PASS", report.summary()
    counts = tag_counts(target)
    assert len(counts) == writes
    assert set(counts.values()) == {1}, counts.most_common(3)
    assert len(target.tables["orders"]) == 30


@given(
    quantity=st.integers(min_value=1, max_value=50),
    minor=st.integers(min_value=0, max_value=10**7),
    currency=st.sampled_from(["NOK", "JPY", "KWD"]),
)
def test_charged_parts_keep_the_line_total_exact(quantity: int, minor: int, currency: str) -> None:
    from decimal import Decimal

    from storebridge.migrate.mapping import charged_parts
    from storebridge.model import OrderLine, OrderLineDraft
    from storebridge.validation import minor_units

    step = Decimal(1).scaleb(-minor_units(currency))  # 0.01 NOK, 1 JPY, 0.001 KWD
    total = storebridge.Money(minor * step, currency)
    line = OrderLine(
        platform="x", ref="1", sku="S", title="t", quantity=quantity,
        unit_price=storebridge.Money(999 * step, currency), total=total,
    )  # fmt: skip
    parts = charged_parts(line)
    assert sum(q for q, _ in parts) == quantity
    assert sum((p.amount * q for q, p in parts), Decimal(0)) == total.amount
    assert all(p.amount == p.amount.quantize(step) for _, p in parts)
    assert len(parts) <= 2
    # Each part is a price the currency can carry: a draft accepts it.
    for q, price in parts:
        OrderLineDraft(title="t", quantity=q, unit_price=price, sku="S")


def test_a_record_that_cannot_be_drafted_fails_alone(tmp_path: Path) -> None:
    """A price finer than its currency allows fails that product (and the orders that need
    it), with the reason; the rest of the migration goes on."""
    from tests.migrate.support import connect, sandbox

    src_kit = sandbox("shopline", orders=12, currency="JPY")  # priced like 34.50 JPY
    tgt_kit = sandbox("shopline", empty=True, currency="JPY")
    with connect(src_kit, "old") as source, connect(tgt_kit, "new") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "m.sqlite")
    failed = report.results["products"].failed
    assert failed and all("more than 0 decimals for JPY" in f.reason for f in failed)
    assert report.results["customers"].created > 0
    assert report.status == "FAIL"


def test_original_total_tells_kept_lines_from_cancelled_units() -> None:
    from storebridge.migrate.mapping import original_total
    from storebridge.model import Order, OrderLine, OrderStatus, Refund

    def order(quantity: int, total: str) -> Order:
        m = storebridge.Money
        line = OrderLine(platform="x", ref="l", sku="S", title="t", quantity=quantity,
                         unit_price=m("10.00", "EUR"), total=m(10 * quantity, "EUR"))  # fmt: skip
        refund = Refund(platform="x", ref="r", order_ref="o", amount=m("10.00", "EUR"))
        return Order(platform="x", ref="o", number="1", status=OrderStatus.OPEN, currency="EUR",
                     total=m(total, "EUR"), shipping_total=m("5.00", "EUR"), lines=(line,),
                     refunds=(refund,))  # fmt: skip

    # 3 units kept, 10.00 refunded: the copy is charged what the lines say, 35.00.
    assert original_total(order(3, "25.00")) == storebridge.Money("35.00", "EUR")
    # One unit cancelled by the refund: lines and total already agree at 25.00.
    assert original_total(order(2, "25.00")) == storebridge.Money("25.00", "EUR")


def test_a_line_charged_above_its_price_leaves_another_line_s_discount_on_that_line() -> None:
    from storebridge.migrate.mapping import order_level_discount
    from storebridge.model import Order, OrderLine, OrderStatus

    m = storebridge.Money

    def line(ref: str, total: str) -> OrderLine:
        return OrderLine(platform="x", ref=ref, sku=ref, title="t", quantity=1,
                         unit_price=m("100.00", "EUR"), total=m(total, "EUR"))  # fmt: skip

    def order(discount: str, *lines: OrderLine) -> Order:
        return Order(platform="x", ref="o", number="1", status=OrderStatus.OPEN, currency="EUR",
                     total=m("200.00", "EUR"), discount_total=m(discount, "EUR"),
                     lines=lines)  # fmt: skip

    # 10.00 extra cost on one line, 10.00 off the other: the discount is on its line.
    assert order_level_discount(order("10.00", line("a", "110.00"), line("b", "90.00"))) == m(
        "0.00", "EUR"
    )
    # A discount taken off no line stays at the order's level.
    assert order_level_discount(order("15.00", line("a", "110.00"), line("b", "90.00"))) == m(
        "5.00", "EUR"
    )
