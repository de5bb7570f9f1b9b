"""A field a platform has no place for is refused by the facade and reported by migrations.

29 Next keeps no note on a user or on an order it creates, and no company in an address:
``customers.create(CustomerDraft(note=...))`` once went through with the note sent
nowhere. Each such field is named in ``Adapter.not_kept``: the facade refuses a write that
sets one (naming it), and a migration into the platform leaves it out of the copy and
names it in ``MigrationReport.not_carried``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import storebridge
from storebridge import Address, CustomerDraft, CustomerUpdate, ValidationError
from tests.migrate.support import connect, sandbox
from tests.support.counting import Counting

PLACE = Address(line1="Storgata 1", city="Oslo", country="NO", company="Acme AS")

WRITES: dict[str, tuple[Callable[[storebridge.Store], object], str]] = {
    "note": (lambda s: s.customers.create(CustomerDraft(email="a@example.com", note="VIP")),
             "note"),
    "update note": (lambda s: s.customers.update(next(iter(s.customers.list())).ref,
                                                 CustomerUpdate(note="VIP")), "note"),
    "address company": (lambda s: s.customers.create(
        CustomerDraft(email="b@example.com", addresses=(PLACE,))), "addresses[0].company"),
    "shipping company": (lambda s: s.orders.update_shipping_address(
        next(iter(s.orders.list())).ref, PLACE), "address.company"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(WRITES))
def test_a_field_29next_has_no_place_for_is_refused_before_sending(case: str) -> None:
    write, field = WRITES[case]
    kit = sandbox("29next")
    counted = Counting(kit.emulator.transport())
    with connect(kit, "shop", transport=counted) as store:
        with pytest.raises(ValidationError, match="no place for it") as caught:
            write(store)
    assert caught.value.field == field
    assert counted.writes == 0


def test_shopline_keeps_them() -> None:
    kit = sandbox("shopline")
    with connect(kit, "shop") as store:
        made = store.customers.create(
            CustomerDraft(email="c@example.com", note="VIP", addresses=(PLACE,))
        )
    assert made.note == "VIP"
    assert made.addresses[0].company == "Acme AS"


def test_a_migration_into_29next_reports_what_it_leaves_out(tmp_path: Path) -> None:
    source_kit = sandbox("shopline", seed=3, orders=4, currency="USD")
    with connect(source_kit, "src") as shop:
        noted = shop.customers.create(
            CustomerDraft(email="noted@example.com", first_name="Nora", note="pays late")
        )
    target_kit = sandbox("29next", empty=True)
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
    assert report.status == "PASS", report.summary()
    assert any(f"customer {noted.ref}: note" in line for line in report.not_carried)
    with connect(target_kit, "dst") as target:
        copy = next(c for c in target.customers.list() if c.email == "noted@example.com")
    assert copy.note is None


def test_a_note_change_into_29next_is_listed_not_failed(tmp_path: Path) -> None:
    """A change of nothing but a customer's note left an update 29 Next has no field of:
    the run failed. Nothing is sent now, and the note is named."""
    source_kit = sandbox("shopline", seed=3, orders=2, currency="USD")
    with connect(source_kit, "src") as shop:
        bare = shop.customers.create(CustomerDraft(email="bare@example.com"))
    target_kit = sandbox("29next", empty=True)
    ledger = tmp_path / "l.sqlite"
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        assert storebridge.migrate(source, target, ledger=ledger).status == "PASS"
    with connect(source_kit, "src") as shop:
        shop.customers.update(bare.ref, CustomerUpdate(note="pays late"))
    with connect(source_kit, "src") as source, connect(target_kit, "dst") as target:
        report = storebridge.migrate(source, target, ledger=ledger)
    assert report.status == "PASS", report.summary()
    assert any(f"customer {bare.ref}: note" in line for line in report.changed_not_updated)
