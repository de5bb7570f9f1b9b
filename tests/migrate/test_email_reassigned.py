"""A customer who shared another's copy (same e-mail) is checked against that copy.

Two source customers with one e-mail share one target customer (the target keeps e-mails
unique). When the first one's e-mail changes on the source and the merchant fixes its
copy, the second has no copy of its own any more, and its orders point at the first's:
verification passed, since it never looked at a customer that shares a copy. It now
checks that the copy still has the customer's e-mail, and names the customer if not.
"""

from __future__ import annotations

from pathlib import Path

from storebridge import CustomerDraft, CustomerUpdate
from tests.migrate.support import Migrated, connect


def test_a_customer_sharing_a_copy_whose_email_moved_on_is_named(tmp_path: Path) -> None:
    stores = Migrated(tmp_path)
    # A customer's e-mail moves on, and a new customer signs up with the old one.
    old = stores.change(CustomerUpdate(email="moved@example.com")).email
    assert old is not None
    with connect(stores.source, "src") as shop:
        second = shop.customers.create(CustomerDraft(email=old, first_name="New"))
    stores.run(since="last-run")
    with connect(stores.target, "dst") as target:
        # The merchant makes the first customer's copy match, as a mismatch would ask.
        copy = next(c for c in target.customers.list() if c.email == old)
        target.customers.update(copy.ref, CustomerUpdate(email="moved@example.com"))
    again = stores.run()
    with connect(stores.target, "dst") as target:
        has_own = [c for c in target.customers.list() if c.email == old]
    assert not has_own
    assert again.status != "PASS"
    assert again.verification is not None
    named = [m for m in again.verification.mismatches if m.source_ref == second.ref]
    assert named and "no copy of its own" in named[0].problem, again.summary()
