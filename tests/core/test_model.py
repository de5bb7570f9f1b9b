"""The domain model: money, open enums, aware datetimes, (de)serialisation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storebridge import Customer, FinancialStatus, Money, Order, OrderStatus
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
    with pytest.raises(ValueError, match="timezone-aware"):
        Customer(platform="x", ref="1", created_at=datetime(2026, 1, 1))


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
