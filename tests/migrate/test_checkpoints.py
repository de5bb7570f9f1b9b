"""Checkpoints: a resumed run reads only what is left, and settles what was left pending."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

import storebridge
from storebridge.flow import Flow, build_request
from storebridge.migrate import Decision
from storebridge.model import Order, OrderDraft
from storebridge.payload import Payload
from tests.migrate.support import (
    TOKEN,
    Interrupted,
    connect,
    ledger_rows,
    sandbox,
    set_item_state,
    shop,
    stop_after,
    tag_counts,
)
from tests.support.toyshop import ToyShopAdapter, ToyShopEmulator, _order

pytestmark = pytest.mark.usefixtures("toyshop")


def gets(emu: ToyShopEmulator, path: str, since: int = 0) -> list[dict[str, str]]:
    """Queries of the GET requests ``emu`` served for ``path``, from the ``since``-th on."""
    with emu.lock:
        return [r.query for r in emu.requests[since:] if r.method == "GET" and r.path == path]


def posts(emu: ToyShopEmulator, path: str) -> int:
    with emu.lock:
        return sum(1 for r in emu.requests if r.method == "POST" and r.path == path)


@pytest.fixture
def stores() -> tuple[ToyShopEmulator, ToyShopEmulator]:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=6, products=4, orders=40)
    return source, target


def test_an_interrupted_run_continues_from_its_checkpoint(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = stores
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(Interrupted):
            storebridge.migrate(s, t, ledger=ledger, on_decision=stop_after(6 + 4 + 30))
        first_pages = len(gets(source, "/orders"))
        mark = len(source.requests)
        report = storebridge.migrate(s, t, ledger=ledger, verify=False)
    assert report.status == "PASS", report.summary()
    assert report.resumed == ["orders"]
    # Customers and products were finished: not read again, reported as earlier work.
    assert gets(source, "/customers", mark) == [] and gets(source, "/products", mark) == []
    assert report.results["customers"].earlier == 6
    # Orders continue from the checkpoint's updated_at, not from the first page.
    resumed = gets(source, "/orders", mark)
    assert resumed and all("updated_since" in q for q in resumed)
    orders = report.results["orders"]
    # The checkpoint trails the 30 orders decided by the writes still in flight then (more
    # of them when the machine is busy); the resumed run reads only the pages after it.
    assert 0 < orders.earlier < 40
    assert first_pages >= 6  # 40 orders are 8 pages of 5
    assert len(resumed) <= math.ceil((40 - orders.earlier) / 5) + 1 < first_pages
    assert orders.created + orders.earlier + orders.already >= 40
    counts = tag_counts(target)
    assert len(counts) == 6 + 4 + 40 and set(counts.values()) == {1}


def test_without_a_usable_order_a_resume_reads_the_listing_again(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = stores
    # Order 3 was edited last: the listing (by id) is no longer oldest-changed first, and
    # creation dates ascend, so no checkpoint filter can be trusted.
    source.tables["orders"]["3"]["updated_at"] = (datetime.now().astimezone()).isoformat()
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        with pytest.raises(Interrupted):
            storebridge.migrate(s, t, ledger=ledger, on_decision=stop_after(6 + 4 + 30))
        mark = len(source.requests)
        report = storebridge.migrate(s, t, ledger=ledger)
    assert report.status == "PASS", report.summary()
    assert report.resumed == ["orders"]
    again = gets(source, "/orders", mark)
    assert again[0] == {}  # from the first page, no filter
    assert report.results["orders"].already >= 25
    assert set(tag_counts(target).values()) == {1} and len(target.tables["orders"]) == 40


def test_a_pending_write_is_settled_by_the_adapters_read_back(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = stores
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        # As if the process died after sending order 5 and before learning its answer.
        set_item_state(ledger, "orders", "5", "pending")
        mark = len(target.requests)
        decisions: list[Decision] = []
        report = storebridge.migrate(
            s, t, ledger=ledger, verify=False, on_decision=decisions.append
        )
    settled = [d for d in decisions if d.resource == "orders" and d.source_ref == "5"]
    assert [d.action for d in settled] == ["reconcile"]
    assert posts(target, "/orders") == 40  # nothing written again
    # The target was asked about that one order only, never listed in full.
    looked = gets(target, "/orders", mark)
    assert looked and all("tag" in q for q in looked)
    assert report.status == "PASS", report.summary()


class PlainToyShop(ToyShopAdapter):
    """A ToyShop whose order writes cannot read back (no reconciliation of lost answers)."""

    name = "plainshop"

    def create_order(self, draft: OrderDraft) -> Flow[Order]:
        body = {
            "number": draft.number, "currency": draft.currency, "total": str(draft.total.amount),
            "tags": list(draft.tags), "financial_status": draft.financial_status.value,
            "customer_id": draft.customer_ref,
            "lines": [{"sku": ln.sku, "title": ln.title, "quantity": ln.quantity,
                       "price": str(ln.unit_price.amount)} for ln in draft.lines],
        }  # fmt: skip
        response = yield build_request(
            "POST", f"{self.base_url}/orders", operation="orders", json=body
        )
        return _order(Payload(response.json()))


@pytest.mark.parametrize("on_target", [True, False])
def test_a_pending_write_the_adapter_cannot_settle_is_looked_up_by_tag(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path, on_target: bool
) -> None:
    source, target = stores
    ledger = tmp_path / "l.sqlite"
    storebridge.register_adapter(PlainToyShop)
    try:
        with (
            shop(source, "src") as s,
            storebridge.connect(
                "plainshop", base_url="https://dst.example", token=TOKEN,
                transport=target.transport(),
            ) as t,
        ):  # fmt: skip
            assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
            set_item_state(ledger, "orders", "5", "pending")
            if not on_target:  # the write never arrived: no copy carries the tag
                copy = next(o for o in target.tables["orders"].values() if o["number"] == "1005")
                copy["tags"], copy["number"] = [], "not ours"
            decisions: list[Decision] = []
            report = storebridge.migrate(s, t, ledger=ledger, on_decision=decisions.append)
    finally:
        storebridge.unregister_adapter("plainshop")
    settled = [d.action for d in decisions if d.resource == "orders" and d.source_ref == "5"]
    assert settled == (["reconcile"] if on_target else ["create"])
    assert report.status == "PASS", report.summary()
    copies = [o["number"] for o in target.tables["orders"].values() if o["tags"]]
    assert sorted(copies) == sorted(str(1000 + i) for i in range(1, 41))
    assert set(tag_counts(target).values()) == {1}


def test_rebuild_ledger_recognises_what_a_damaged_ledger_forgot(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = stores
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        db_rows = ledger_rows(ledger, "SELECT count(*) FROM items WHERE resource='orders'")
        assert db_rows == [(40,)]
        import sqlite3

        db = sqlite3.connect(ledger)
        db.execute("DELETE FROM items WHERE resource='orders' AND source_ref IN ('3', '4')")
        db.commit()
        db.close()
        report = storebridge.migrate(s, t, ledger=ledger, rebuild_ledger=True)
    assert report.results["orders"].reconciled == 2
    assert report.results["orders"].created == 0
    assert report.status == "PASS", report.summary()
    assert len(target.tables["orders"]) == 40


def test_a_catch_up_after_an_interrupted_catch_up_continues_it(
    stores: tuple[ToyShopEmulator, ToyShopEmulator], tmp_path: Path
) -> None:
    source, target = stores
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        for i in range(41, 61):
            source.add_order(i, customer=(i % 6) + 1)
        with pytest.raises(Interrupted):
            storebridge.migrate(s, t, ledger=ledger, since="last-run", on_decision=stop_after(8))
        mark = len(source.requests)
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run", verify=False)
    assert report.resumed == ["orders"], report.summary()
    assert report.status == "PASS", report.summary()
    # Only the new orders' pages, not the 40 migrated before.
    assert len(gets(source, "/orders", mark)) <= 4
    assert len(target.tables["orders"]) == 60 and set(tag_counts(target).values()) == {1}


def test_killed_at_ninety_percent_the_resume_reads_only_the_rest(tmp_path: Path) -> None:
    from tests.migrate.test_migrate import kill_during_writes

    source = ToyShopEmulator(latency=0.002)
    target = ToyShopEmulator(latency=0.002)
    source.seed(customers=6, products=4, orders=60)
    ledger = tmp_path / "ledger.sqlite"
    with source.serve() as src_url, target.serve() as dst_url:
        src: dict[str, object] = {"platform": "toyshop", "base_url": src_url, "token": TOKEN}
        dst: dict[str, object] = {"platform": "toyshop", "base_url": dst_url, "token": TOKEN}
        kills = kill_during_writes(src, dst, target, ledger, [6 + 4 + 54])
        assert kills == 1
        mark = len(source.requests)
        with storebridge.connect(**src) as s, storebridge.connect(**dst) as t:  # type: ignore[arg-type]
            report = storebridge.migrate(s, t, ledger=ledger, verify=False)
            resumed_reads = len(source.requests) - mark
            verified = storebridge.migrate(s, t, ledger=tmp_path / "fresh.sqlite")
    assert report.status == "PASS", report.summary()
    # A full read is 2 + 1 + 12 pages; the resume reads the last orders pages only.
    assert resumed_reads <= 6, resumed_reads
    assert verified.status == "PASS" and verified.results["orders"].reconciled == 60
    assert len(target.tables["orders"]) == 60 and set(tag_counts(target).values()) == {1}


def test_a_run_stopped_in_a_newest_first_listing_resumes_from_its_creation_time(
    tmp_path: Path,
) -> None:
    # 29 Next lists products newest first: the checkpoint is a creation time, and the
    # resumed listing filters by it (created_until). It once failed with "created_until
    # must be text or a number": product listings did not take the filter.
    source_kit = sandbox("29next", customers=4, products=12, orders=4)
    target_kit = sandbox("shopline", empty=True, currency="USD")
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        with pytest.raises(Interrupted):
            storebridge.migrate(source, target, ledger=ledger, on_decision=stop_after(4 + 6))
        state = ledger_rows(ledger, "SELECT order_key FROM passes WHERE resource = ?", "products")
        assert state == [("created_desc",)], state  # the checkpoint this test is about
        report = storebridge.migrate(source, target, ledger=ledger)
        tags = Counter(t for p in target.products.list() for t in p.tags if t.startswith("sb:"))
    assert report.status == "PASS", report.summary()
    assert "products" in report.resumed
    assert len(tags) == 12 and set(tags.values()) == {1}


@pytest.mark.parametrize("declared", [True, False], ids=["shopline", "inferred"])
def test_a_listing_by_id_with_an_edited_record_is_resumed_without_losing_records(
    tmp_path: Path, declared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHOPLINE lists customers by id. With the last one read just edited, the records read
    look ordered by update time; resuming after that time would skip the 50 not read yet
    (and with verification off, report PASS). SHOPLINE declares no order a checkpoint may
    rely on; with that declaration taken away, the listing has not shown it is not in
    order of ref, so the checkpoint still does not rely on update times."""
    from storebridge.model import CustomerUpdate
    from storebridge.testing import FaultTransport
    from storebridge_shopline import ShoplineAdapter

    if not declared:
        monkeypatch.setattr(ShoplineAdapter, "checkpoint_keys", None)
    src_kit = sandbox("shopline", orders=0, customers=300, products=0)
    tgt_kit = sandbox("shopline", empty=True)
    broken = {"on": True}

    def second_page_fails(number: int, request: object) -> str | None:
        url = str(getattr(request, "url", ""))
        return "server_error" if broken["on"] and "page_info" in url else None

    faulty = FaultTransport(src_kit.emulator.transport(), script=second_page_fails)
    ledger = tmp_path / "m.sqlite"
    with connect(src_kit, "old", transport=faulty) as source, connect(tgt_kit, "new") as target:
        first_page = [c.ref for c in _first_page(source)]
        source.customers.update(first_page[-1], CustomerUpdate(note="edited"))
        with pytest.raises(storebridge.StorebridgeError):
            storebridge.migrate(source, target, ledger=ledger, resources=["customers"])
        broken["on"] = False
        report = storebridge.migrate(
            source, target, ledger=ledger, resources=["customers"], verify=False
        )
        on_target = sum(1 for _ in target.customers.list())
    assert report.status == "PASS"
    assert on_target == 300


def _first_page(store: storebridge.Store) -> list[storebridge.Customer]:
    """The customers of the listing's first page (the second page fails)."""
    seen: list[storebridge.Customer] = []
    try:
        for customer in store.customers.list():
            seen.append(customer)
    except storebridge.StorebridgeError:
        return seen
    raise AssertionError("the second page was expected to fail")
