"""A SHOPLINE address with its name in one field (``name``) and a ``district`` keeps both:
the name read as first and last name, the district onto ``line2``. Both were dropped, so a
migrated Hong Kong address lost its district and its addressee."""

from __future__ import annotations

from tests.adapters.shopline.support import world


def test_name_and_district_are_read_and_survive_a_write_back() -> None:
    w = world(orders=3, rate_limit=False)
    order_id = sorted(w.emulator.orders)[0]
    w.emulator.orders[order_id]["shipping_address"] = {
        "name": "Mei Ling Chan", "address1": "Flat 5, 12 Queen's Road", "address2": None,
        "district": "Wan Chai", "city": "Hong Kong", "country_code": "HK",
    }  # fmt: skip
    with w.connect() as store:
        listed = {o.ref: o for o in store.orders.list()}[order_id].shipping_address
        address = store.orders.get(order_id).shipping_address
        assert address is not None and address == listed
        assert (address.first_name, address.last_name) == ("Mei Ling", "Chan")
        assert address.line2 == "Wan Chai"
        for _ in range(2):  # written back as read: nothing doubles, nothing is lost
            store.orders.update_shipping_address(order_id, address)
            address = store.orders.get(order_id).shipping_address
            assert address is not None
    assert address.line2 == "Wan Chai"
    assert (address.first_name, address.last_name) == ("Mei Ling", "Chan")
