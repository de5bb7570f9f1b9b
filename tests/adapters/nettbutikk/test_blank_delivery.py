"""A customer whose delivery flag is set over blank delivery fields has no delivery address.

Read as one, it was the last of the customer's addresses, so the orders' shipping address
had no street, and the billing address (the real one) was only their billing address.
Both readers (list rows fast, the careful one) agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from storebridge.kit import Payload, read_payload, read_plain
from tests.adapters.nettbutikk.test_fast_orders import BUYER_ROW, READER

BLANK = {"delivery_name": None, "delivery_address_1": None, "delivery_address_2": None,
         "delivery_postcode": None, "delivery_city": "  "}  # fmt: skip


@pytest.mark.parametrize("flag", ["1", 1, True])
def test_blank_delivery_fields_make_no_address(flag: Any) -> None:
    row = {**BUYER_ROW, "use_delivery_address": flag, **BLANK}
    careful = read_payload(Payload(row, "$", "24nettbutikk"), READER.customer_carefully)
    fast = read_plain(READER._plain.customer, row)
    assert len(careful.addresses) == 1
    assert careful.addresses[0].line1 == BUYER_ROW["address_1"]
    assert fast is None or fast == careful


def test_a_delivery_address_with_a_street_is_kept() -> None:
    row = {**BUYER_ROW, "delivery_address_1": "Vei 2", "delivery_city": "Bergen"}
    careful = read_payload(Payload(row, "$", "24nettbutikk"), READER.customer_carefully)
    assert careful.addresses[-1].line1 == "Vei 2"
