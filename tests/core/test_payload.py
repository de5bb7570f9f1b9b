"""Reading payloads: every error names a JSON path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storebridge import Money, PayloadError
from storebridge.model import OrderLine
from storebridge.payload import Payload
from storebridge.serialization import make_wire_converter


def _line(p: Payload) -> OrderLine:
    return OrderLine(
        platform="x", ref=p.string("id"), sku=p.opt_string("sku"), title=p.string("title"),
        quantity=p.integer("quantity"), unit_price=p.money("price", "EUR"),
    )  # fmt: skip


def test_bad_nested_value_reports_its_path() -> None:
    body = {"line_items": [{"id": 1, "title": "a", "quantity": 1, "price": "1.00"}] * 2}
    body["line_items"] = [*body["line_items"], {"id": 3, "title": "c", "quantity": 1, "price": "x"}]
    payload = Payload(body, platform="toy")
    with pytest.raises(PayloadError) as info:
        [_line(p) for p in payload.objects("line_items")]
    assert info.value.path == "$.line_items[2].price"
    assert "toy" in str(info.value) and "'x'" in str(info.value)


def test_missing_required_field() -> None:
    with pytest.raises(PayloadError) as info:
        Payload({"a": {}}).obj("a").string("id")
    assert info.value.path == "$.a.id"


def test_scalars_arrive_as_strings_or_numbers() -> None:
    p = Payload({"n": "2", "m": 2.0, "price": 199, "flag": "1", "off": 0, "blank": ""})
    assert p.integer("n") == 2 and p.integer("m") == 2
    assert p.decimal("price") == Decimal(199)
    assert p.opt_bool("flag") is True and p.opt_bool("off") is False
    assert p.opt_string("blank") is None and p.opt_integer("blank") is None


def test_wire_converter_wraps_hook_errors_as_payload_errors() -> None:
    conv = make_wire_converter("toy", {OrderLine: _line})
    line = conv.structure({"id": 5, "title": "t", "quantity": "2", "price": "3.5"}, OrderLine)
    assert line.unit_price == Money("3.50", "EUR") and line.quantity == 2
    with pytest.raises(PayloadError) as info:
        conv.structure({"id": 5, "title": "t", "quantity": "2.5", "price": "3"}, OrderLine)
    assert info.value.path == "$.quantity"
