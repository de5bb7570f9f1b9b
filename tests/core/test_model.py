"""The domain model: money, open enums, aware datetimes, (de)serialisation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storebridge import (
    Address,
    Customer,
    FinancialStatus,
    Money,
    Order,
    OrderLine,
    OrderLineDraft,
    OrderStatus,
    Product,
    Refund,
    ValidationError,
    Variant,
)
from storebridge.serialization import from_dict, to_dict


def test_money_from_strings_and_numbers_never_float() -> None:
    assert Money("59.99", "usd") == Money(Decimal("59.99"), "USD")
    assert Money(0.1, "EUR").amount == Decimal("0.1")
    assert Money(5, "NOK").amount == Decimal(5)
    assert isinstance(Money(1.25, "EUR").amount, Decimal)


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "inf", True, None, [1]])
def test_money_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - message varies by input
        Money(bad, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["EURO", "E1", "", 978])
def test_money_rejects_bad_currency(bad: object) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money("1", bad)  # type: ignore[arg-type]


def test_money_arithmetic_only_within_one_currency() -> None:
    assert Money("1.10", "EUR") + Money("2.20", "EUR") == Money("3.30", "EUR")
    assert Money("5", "EUR") - Money("2", "EUR") == Money("3", "EUR")
    assert Money("2.50", "EUR") * 3 == Money("7.50", "EUR")
    assert Money("1", "EUR") < Money("2", "EUR")
    with pytest.raises(ValueError, match="EUR and USD"):
        Money("1", "EUR") + Money("1", "USD")
    with pytest.raises(ValueError, match="compare"):
        assert Money("1", "EUR") < Money("2", "USD")
    with pytest.raises(TypeError):
        Money("1", "EUR") * 1.5  # type: ignore[operator]


@given(st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=2), max_size=20))
def test_money_sum_is_exact(amounts: list[Decimal]) -> None:
    total = Money.sum((Money(a, "NOK") for a in amounts), "NOK")
    assert total.amount == sum(amounts, Decimal(0))


def test_open_enum_keeps_unknown_values() -> None:
    assert OrderStatus.parse("open") is OrderStatus.OPEN
    assert OrderStatus.parse("Canceled", {"canceled": "cancelled"}) is OrderStatus.CANCELLED
    assert OrderStatus.parse("teleported") is OrderStatus.UNKNOWN
    assert FinancialStatus.parse(None) is FinancialStatus.UNKNOWN


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone-aware") as info:
        Customer(platform="x", ref="1", created_at=datetime(2026, 1, 1))
    assert info.value.field == "created_at"


@pytest.mark.parametrize(
    "bad", ["1e999999", "-1E+999999", "0e999999", "9" * 41, 10**4000, 1e300, "1e-999999"]
)
def test_money_refuses_amounts_out_of_range_at_once(bad: object) -> None:
    with pytest.raises(ValidationError, match="amount") as info:
        Money(bad, "USD")  # type: ignore[arg-type]
    assert info.value.field == "amount"


def test_money_bounds_hold_through_arithmetic() -> None:
    big = Money("999999999999999999", "USD")
    with pytest.raises(ValidationError, match="out of range"):
        big * 10
    assert (Money("1.10", "USD") - Money("1.10", "USD")).amount == 0
    assert Money(Decimal("0E-30"), "USD").amount == 0


def test_money_repr_and_str() -> None:
    money = Money("59.99", "usd")
    assert repr(money) == "Money('59.99', 'USD')"
    assert str(money) == "59.99 USD"
    assert eval(repr(money)) == money  # noqa: S307 - the repr is meant to be valid Python


def _order(**changes: object) -> Order:
    fields: dict[str, object] = {
        "platform": "29next", "ref": "100123", "number": "100123",
        "status": OrderStatus.OPEN, "currency": "USD", "total": Money("59.99", "USD"),
        "raw": {"token": "SECRET-IN-RAW", "huge": "x" * 5000},
    }  # fmt: skip
    return Order(**{**fields, **changes})  # type: ignore[arg-type]


def test_short_reprs_never_show_the_raw_payload() -> None:
    line = OrderLine(
        platform="29next", ref="1", sku="TEE", title="Tee", quantity=2,
        unit_price=Money("29.99", "USD"), raw={"token": "SECRET-IN-RAW"},
    )  # fmt: skip
    buyer = Customer(
        platform="29next", ref="7", email="ola@example.com", raw={"t": "SECRET-IN-RAW"}
    )
    order = _order(lines=(line, line), customer=buyer)
    assert repr(order) == (
        "Order(ref='100123', number='100123', total=59.99 USD, lines=2, platform='29next')"
    )
    assert repr(buyer) == "Customer(ref='7', email='ola@example.com', platform='29next')"
    assert repr(line) == (
        "OrderLine(ref='1', sku='TEE', quantity=2, unit_price=29.99 USD, platform='29next')"
    )
    refund = Refund(platform="shopline", ref="r1", order_ref="100123",
                    amount=Money("5", "USD"), raw={"a": "SECRET-IN-RAW"})  # fmt: skip
    variant = Variant(platform="shopline", ref="v1", raw={"a": "SECRET-IN-RAW"})
    product = Product(platform="shopline", ref="p1", title="Tee", raw={"a": "SECRET-IN-RAW"},
                      variants=(variant,))  # fmt: skip
    for obj in (order, buyer, line, refund, product, product.variants[0]):
        text = repr(obj)
        assert "SECRET-IN-RAW" not in text and len(text) < 200, text


def test_to_dict_and_to_json_methods() -> None:
    order = _order(created_at=datetime(2026, 3, 1, 12, tzinfo=UTC), note="Ærlig talt")
    assert order.to_dict() == to_dict(order)
    assert "raw" not in order.to_dict()
    assert order.to_dict(include_raw=True)["raw"]["token"] == "SECRET-IN-RAW"
    text = order.to_json()
    assert json.loads(text) == order.to_dict() and "Ærlig" in text
    assert "SECRET-IN-RAW" not in text
    assert json.loads(order.to_json(include_raw=True))["raw"]["huge"] == "x" * 5000
    assert Order.from_dict(order.to_dict()) == order
    assert Money("1.50", "NOK").to_dict() == {"amount": "1.50", "currency": "NOK"}


def test_from_dict_rebuilds_platform_objects_as_read_and_checks_drafts() -> None:
    data = to_dict(_order(shipping_address=Address(line1="ok")))
    data["shipping_address"]["line1"] = "Gate 1\tB"  # what a platform may really hold
    rebuilt = from_dict(data, Order).shipping_address
    assert rebuilt is not None and rebuilt.line1 == "Gate 1\tB"
    with pytest.raises(ValidationError, match="quantity"):
        from_dict({"title": "Tee", "quantity": 0, "unit_price": {"amount": "1", "currency": "USD"}},
                  OrderLineDraft)  # fmt: skip
    with pytest.raises(ValidationError, match="Order"):
        from_dict({"ref": "1"}, Order)
    with pytest.raises(ValidationError):
        from_dict({"amount": "1e999999", "currency": "USD"}, Money)


def test_round_trip_through_dicts() -> None:
    order = Order(
        platform="toy", ref="7", number="1007", status=OrderStatus.UNKNOWN,
        status_raw="teleported", currency="EUR", total=Money("12.30", "EUR"),
        created_at=datetime(2026, 3, 1, 12, tzinfo=UTC), raw={"id": 7},
    )  # fmt: skip
    data = to_dict(order)
    assert data["total"] == {"amount": "12.30", "currency": "EUR"}
    assert data["status"] == "unknown" and data["status_raw"] == "teleported"
    assert "raw" not in data
    assert from_dict(data, Order) == order
    assert to_dict(order, include_raw=True)["raw"] == {"id": 7}
