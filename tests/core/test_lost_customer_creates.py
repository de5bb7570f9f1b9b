"""A lost ``customers.create`` is settled by the customer with the draft's e-mail only when
that customer is the draft's (SHOPLINE and 29 Next; ``kit.customer_matches``).

E-mails are unique in a store: with no fault, a create for an e-mail already taken is
refused. With a 5xx (nothing processed) or a lost answer, the read-back once found the
customer who had the e-mail before and returned it as created, with none of the draft's
fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import storebridge
from storebridge import CustomerDraft, OutcomeUnknown
from storebridge.testing import FaultTransport
from tests.adapters.shopline.support import world
from tests.adapters.twentyninenext.support.sandbox import Sandbox

PATH = {"shopline": "/customers.json", "29next": "/users"}


def _shop(platform: str) -> tuple[Any, Mapping[Any, dict[str, Any]], Any]:
    """(connect(transport), the customers' table, the emulator's transport)."""
    if platform == "shopline":
        w = world(orders=3, rate_limit=False)
        return (lambda t: w.connect(transport=t)), w.emulator.customers, w.emulator.transport()
    sb = Sandbox(orders=3)
    return (lambda t: sb.connect(t)), sb.emulator.state.users, sb.emulator.transport()


def _faulty(platform: str, inner: Any, kind: str) -> FaultTransport:
    def script(_n: int, request: Any) -> str | None:
        posted = request.method == "POST" and request.url.path.rstrip("/").endswith(PATH[platform])
        return kind if posted else None

    return FaultTransport(inner, script=script)


@pytest.mark.parametrize("kind", ["server_error", "lost_502", "reset_after"])
@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_taken_e_mail_is_not_reported_as_created(platform: str, kind: str) -> None:
    connect, customers, inner = _shop(platform)
    existing = next(iter(customers.values()))
    before = len(customers)
    draft = CustomerDraft(email=existing["email"], first_name="Brand", last_name="New")
    with connect(_faulty(platform, inner, kind)) as store:
        with pytest.raises(OutcomeUnknown, match="another first_name") as caught:
            store.customers.create(draft)
    assert str(existing["id"]) in str(caught.value)
    assert len(customers) == before
    assert existing["first_name"] != "Brand"


@pytest.mark.parametrize("first", ["Fresh", "", " Fresh "])
@pytest.mark.parametrize("kind", ["lost_502", "reset_after", "timeout_after"])
@pytest.mark.parametrize("platform", ["shopline", "29next"])
def test_a_lost_create_that_happened_returns_the_new_customer(
    platform: str, kind: str, first: str
) -> None:
    """Including names a store gives back otherwise: blank as none, spaces dropped."""
    connect, customers, inner = _shop(platform)
    before = len(customers)
    draft = CustomerDraft(email="fresh.one@example.com", first_name=first, last_name="One")
    store: storebridge.Store
    with connect(_faulty(platform, inner, kind)) as store:
        made = store.customers.create(draft)
    assert (made.email, (made.first_name or "").strip(), made.last_name) == (
        draft.email,
        first.strip(),
        "One",
    )
    assert len(customers) == before + 1
