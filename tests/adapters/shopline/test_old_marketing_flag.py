"""A customer answered with the older ``accepts_marketing`` flag alone (API versions before
v20250601) keeps its consent: it read as unknown."""

from __future__ import annotations

import pytest

from tests.adapters.shopline.support import world


@pytest.mark.parametrize("flag", [True, False])
def test_the_older_flag_is_read_when_no_consent_object_comes(flag: bool) -> None:
    w = world(orders=3, rate_limit=False)
    customer_id = sorted(w.emulator.customers)[0]
    record = w.emulator.customers[customer_id]
    record.pop("email_marketing_consent", None)
    record["accepts_marketing"] = flag
    with w.connect() as store:
        listed = {c.ref: c for c in store.customers.list()}[customer_id]
        single = store.customers.get(customer_id)
    assert listed.accepts_marketing is flag
    assert single.accepts_marketing is flag
