"""An address field longer than 29 Next's spec allows is refused before sending, naming it.

The spec limits a postcode to 64 characters, a phone number to 128 and the other address
fields to 255. The sandbox took any length, so a write a real store refuses passed every
test; the adapter now refuses it first, and the sandbox answers as the API would.
"""

from __future__ import annotations

import pytest

from storebridge import Address, CustomerDraft, ValidationError
from storebridge.errors import APIError
from tests.migrate.support import connect, sandbox

LONG = {
    "postal_code": "1" * 65,
    "phone": "+47" + "1" * 126,
    "line1": "x" * 256,
    "city": "y" * 256,
}


@pytest.mark.parametrize("field", sorted(LONG))
def test_an_address_field_too_long_is_refused_naming_it(field: str) -> None:
    base = {"line1": "Storgata 1", "city": "Oslo", "country": "NO"}
    place = Address(**{**base, field: LONG[field]})
    kit = sandbox("29next")
    with connect(kit, "shop") as store:
        with pytest.raises(ValidationError, match="at most") as caught:
            store.customers.create(CustomerDraft(email="long@example.com", addresses=(place,)))
    assert caught.value.field == f"addresses[0].{field}"


def test_the_sandbox_refuses_a_postcode_too_long_as_the_api_would() -> None:
    kit = sandbox("29next")
    body = {"email": "raw@example.com", "addresses": [
        {"line1": "Storgata 1", "line4": "Oslo", "country": "NO", "postcode": "1" * 65}
    ]}  # fmt: skip
    with connect(kit, "shop") as store:
        with pytest.raises(APIError, match="no more than 64 characters") as caught:
            store.request("POST", "users/", json=body)  # raw: past the adapter's check
    assert caught.value.status == 400


def test_lengths_within_the_spec_pass() -> None:
    place = Address(line1="x" * 255, city="Oslo", country="NO", postal_code="1" * 64)
    kit = sandbox("29next")
    with connect(kit, "shop") as store:
        made = store.customers.create(CustomerDraft(email="ok@example.com", addresses=(place,)))
    assert made.addresses[0].postal_code == "1" * 64
