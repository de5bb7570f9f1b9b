"""Catch-up runs update what the target can update and list what it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import storebridge
from storebridge.migrate import Decision
from tests.migrate.support import shop
from tests.support.toyshop import ToyShopEmulator

pytestmark = pytest.mark.usefixtures("toyshop")


def test_a_changed_customer_is_updated_on_the_target(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    decisions: list[Decision] = []
    with shop(source, "src") as s, shop(target, "dst") as t:
        assert storebridge.migrate(s, t, ledger=ledger).status == "PASS"
        changed = source.tables["customers"]["3"]
        changed.update(first_name="Renamed", updated_at=source.stamp())
        report = storebridge.migrate(
            s, t, ledger=ledger, since="last-run", on_decision=decisions.append
        )
        again = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    updates = [d for d in decisions if d.action == "update"]
    assert [(d.resource, d.source_ref) for d in updates] == [("customers", "3")]
    copy = next(c for c in target.tables["customers"].values() if c["email"] == "c3@example.com")
    assert copy["first_name"] == "Renamed"
    assert report.results["customers"].updated == 1 and report.changed_not_updated == []
    assert report.status == "PASS", report.summary()
    # Once updated, the next catch-up finds nothing more to do for it.
    assert again.results["customers"].updated == 0


def test_what_the_target_cannot_update_is_listed_and_verified(tmp_path: Path) -> None:
    source, target = ToyShopEmulator(), ToyShopEmulator()
    source.seed(customers=5, products=4, orders=6)
    ledger = tmp_path / "l.sqlite"
    with shop(source, "src") as s, shop(target, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger)
        order = source.tables["orders"]["2"]
        order.update(email="moved@example.com", updated_at=source.stamp())
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run")
    # Source order 2 -> its copy, whose ref is the order the target got the parallel writes in.
    assert [x.split(" -> ")[0] for x in report.changed_not_updated] == ["orders 2"]
    assert "ToyShop orders are not updated by migrations" in report.changed_not_updated[0]
    assert report.results["orders"].already == report.results["orders"].total


def test_a_record_edited_while_the_run_read_on_is_carried_by_the_next_catch_up(
    tmp_path: Path,
) -> None:
    """The watermark once was the newest `updated_at` read: customer X, read on the first
    page and edited while later pages were read (where Y, edited later still, was found),
    was older than it, and no catch-up ever read X again."""
    import time

    from storebridge import _http
    from storebridge.model import CustomerUpdate
    from storebridge.sandbox.clock import FakeClock
    from tests.migrate.support import connect, sandbox

    # The platform's clock keeps real time, and is moved on by hand where the test waits.
    clock = FakeClock(start=time.time(), speed=1.0)
    src_kit = sandbox("shopline", orders=0, customers=300, products=0, clock=clock)
    dst_kit = sandbox("29next", empty=True)
    side = connect(src_kit, "src")
    everyone = sorted(side.customers.list(), key=lambda c: int(c.ref))
    x, y = everyone[0], everyone[-1]  # on the first and the second page

    class EditMidRun(_http.BaseTransport):
        def __init__(self, inner: _http.BaseTransport) -> None:
            self.inner, self.lists, self.armed = inner, 0, True

        def handle_request(self, request: _http.Request) -> _http.Response:
            listing = request.method == "GET" and request.url.path.endswith("customers.json")
            if self.armed and listing:
                self.lists += 1
                if self.lists == 2:  # the first page (with X) is read; Y comes later
                    side.customers.update(x.ref, CustomerUpdate(first_name="EditedX"))
                    clock.advance(1.1)  # the platform stamps whole seconds
                    side.customers.update(y.ref, CustomerUpdate(first_name="EditedY"))
            return self.inner.handle_request(request)

    ledger = tmp_path / "l.sqlite"
    editing = EditMidRun(src_kit.emulator.transport())
    with side, connect(src_kit, "src", transport=editing) as s, connect(dst_kit, "dst") as t:
        first = storebridge.migrate(s, t, ledger=ledger, resources=["customers"])
        editing.armed = False
        assert editing.lists >= 2, "the edits happened during the run"
        caught_up = storebridge.migrate(s, t, ledger=ledger, since="last-run",
                                        resources=["customers"])  # fmt: skip
        names = {c.email: c.first_name for c in t.customers.list()}
    assert first.status == "PASS" and caught_up.status == "PASS"
    assert names[x.email] == "EditedX"
    assert names[y.email] == "EditedY"


def test_an_update_with_an_unknown_outcome_is_sent_again(tmp_path: Path) -> None:
    """A pending update was once "settled" by the create read-back, which finds the record
    (it exists) and cannot tell whether the update reached it: PASS with the old name."""

    from storebridge.testing import FaultTransport
    from tests.migrate.support import connect, sandbox

    src_kit = sandbox("29next", orders=0, customers=3, products=0)
    dst_kit = sandbox("shopline", empty=True)
    lose_puts = {"on": False}

    def script(number: int, request: Any) -> str | None:
        return "reset_before" if lose_puts["on"] and request.method == "PUT" else None

    faulty = FaultTransport(dst_kit.emulator.transport(), script=script)
    ledger = tmp_path / "l.sqlite"
    users: Any = src_kit.emulator
    with connect(src_kit, "src") as s, connect(dst_kit, "dst", transport=faulty) as t:
        assert storebridge.migrate(s, t, ledger=ledger, resources=["customers"]).status == "PASS"
        uid = min(users.state.users)
        users.state.users[uid]["first_name"] = "Renamed"
        lose_puts["on"] = True
        lost = storebridge.migrate(s, t, ledger=ledger, since="last-run", resources=["customers"])
        lose_puts["on"] = False
        settled = storebridge.migrate(s, t, ledger=ledger, since="last-run",
                                      resources=["customers"])  # fmt: skip
        email = s.customers.get(str(uid)).email
        name = next(c for c in t.customers.list() if c.email == email).first_name
    assert lost.status == "FAIL"
    assert settled.status == "PASS" and settled.results["customers"].updated == 1
    assert name == "Renamed"


@pytest.mark.parametrize(
    ("change", "noted"),
    [("first_name", False), ("tags", True), ("address", True), ("phone cleared", True)],
)
def test_a_customer_change_an_update_cannot_carry_is_reported(
    tmp_path: Path, change: str, noted: bool
) -> None:
    """A customers.update sends names, phone, note and marketing consent: a change of tags
    or addresses, or a field cleared on the source, was once counted as updated and
    forgotten (its new fingerprint stored) while the target kept the old values."""

    from tests.migrate.support import connect, sandbox

    src_kit = sandbox("29next", orders=0, customers=3, products=0)
    dst_kit = sandbox("shopline", empty=True)
    emulator: Any = src_kit.emulator
    ledger = tmp_path / "l.sqlite"
    with connect(src_kit, "src") as s, connect(dst_kit, "dst") as t:
        storebridge.migrate(s, t, ledger=ledger, resources=["customers"])
        user = emulator.state.users[min(emulator.state.users)]
        if change == "first_name":
            user["first_name"] = "Renamed"
        elif change == "tags":
            user["tags"] = ["vip"]
        elif change == "address":
            for address in user.get("addresses", []):
                address["line1"] = "1 New Street"
            assert user.get("addresses"), "the seeded customer has an address"
        else:
            assert user.get("phone_number"), "the seeded customer has a phone"
            user["phone_number"] = None
        report = storebridge.migrate(s, t, ledger=ledger, since="last-run",
                                     resources=["customers"])  # fmt: skip
    assert report.results["customers"].updated == 1
    notes = [n for n in report.changed_not_updated if n.startswith(f"customers {user['id']} ")]
    assert bool(notes) == noted, report.changed_not_updated


def test_a_catch_up_never_passes_over_what_an_earlier_run_could_not_migrate(
    tmp_path: Path,
) -> None:
    """A run with `since` reads only recent changes, so it never comes back to records an
    earlier run failed or skipped: it used to verify them as "reported by the run itself",
    report nothing, and say PASS with them missing from the target."""
    from datetime import UTC, datetime

    from tests.migrate.support import connect, sandbox

    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("24nettbutikk", seed=3, orders=14)
    target_kit = sandbox("shopline", empty=True, seed=4, currency="USD")  # NOK prices refused
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        first = storebridge.migrate(source, target, ledger=ledger)
        failed = {ref.source_ref for ref in first.results["products"].failed}
        catch_up = storebridge.migrate(source, target, ledger=ledger, since=datetime.now(UTC))
        on_target = sum(1 for _ in target.orders.list())
    assert first.status == "FAIL" and failed and on_target == 0
    assert catch_up.status == "FAIL", catch_up.summary()
    carried = catch_up.results["products"].failed
    assert {item.source_ref for item in carried} == failed
    assert all("(an earlier run)" in item.reason for item in carried)
    assert len(catch_up.results["orders"].skipped) == 14
    # The source total is what this run read; what it carries over is counted apart.
    for name, counts in catch_up.results.items():
        outcomes = counts.moved + len(counts.failed) + len(counts.skipped)
        assert counts.total == outcomes - counts.carried, (name, catch_up.summary())
        listed = [item for item in (*counts.failed, *counts.skipped)
                  if item.reason.endswith("(an earlier run)")]  # fmt: skip
        assert counts.carried == len(listed), (name, catch_up.summary())
    assert catch_up.results["products"].carried == len(failed)
    assert f"failed {len(failed)} ({len(failed)} of them from earlier runs)" in catch_up.summary()


def test_a_pending_record_refused_when_read_again_is_listed_and_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pending record whose draft is refused when read again keeps its ledger entry as
    it was (its write may be on the target), so the report also carried it over from the
    earlier run: listed as failed twice."""
    from storebridge.migrate import mapping
    from tests.migrate.support import connect, sandbox, set_item_state

    ledger = tmp_path / "l.sqlite"
    source_kit = sandbox("24nettbutikk", seed=3, orders=0)
    target_kit = sandbox("shopline", empty=True, seed=4, currency="NOK")
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        storebridge.migrate(source, target, ledger=ledger, resources=["products"], verify=False)
        refs = sorted(product.ref for product in source.products.list())
        set_item_state(ledger, "products", refs[0], "pending")  # an outcome left unknown
        drafted = mapping.product_draft

        def refused(product: Any, tag: str) -> Any:  # its title was blanked since
            if product.ref == refs[0]:
                return storebridge.model.ProductDraft(title="", variants=())
            return drafted(product, tag)

        monkeypatch.setattr(mapping, "product_draft", refused)
        second = storebridge.migrate(source, target, ledger=ledger, resources=["products"],
                                     verify=False)  # fmt: skip
    counts = second.results["products"]
    assert [item.source_ref for item in counts.failed] == [refs[0]]
    assert counts.carried == 0
    assert counts.total == len(refs) == counts.moved + len(counts.failed)
