"""Amounts keep every digit the platform sent, or the read fails naming the field.

* A JSON number is a double: from 10**13 on, one with more than 15 significant digits may
  have lost digits of the text the platform sent, so it is refused; below, it is read as
  the double it is (``59.97000000000001`` stays exactly that).
* ``"7e3"`` reads as 7000 and every export writes it so, not as ``7E+3``.
* Money's arithmetic keeps every digit an amount may have (the default decimal context
  rounds to 28).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storebridge.errors import PayloadError, ValidationError
from storebridge.kit import NotPlain, Payload, exact_sum, plain_amount
from storebridge.model import Money
from storebridge.model.money import to_decimal
from storebridge.serialization import to_dict
from storebridge_24nettbutikk._paging import Window


@pytest.mark.parametrize("number", [12345678901234.567, 1234567890123456.8, 10000000000000.05])
def test_a_long_json_number_is_refused_naming_the_field(number: float) -> None:
    with pytest.raises(NotPlain):
        plain_amount(number)
    with pytest.raises(PayloadError, match=r"too long for JSON to carry exactly.*\$\.total"):
        Payload({"total": number}, "$", "toy").money("total", "NOK")
    with pytest.raises(ValidationError, match="must be sent as text"):
        to_decimal(number)


@pytest.mark.parametrize(
    ("number", "read"),
    [
        (59.97000000000001, "59.97000000000001"),  # a platform's float sum, read as sent
        (1234567890123.45, "1234567890123.45"),
        (1e13, "10000000000000.0"),  # long but exact: one significant digit
        (123456789012345e3, "123456789012345000"),
        (-0.5, "-0.5"),
    ],
)
def test_a_number_a_double_holds_exactly_reads_as_sent(number: float, read: str) -> None:
    assert str(to_decimal(number)) == read
    assert str(Payload({"total": number}, "$", "toy").money("total", "NOK").amount) == read


@pytest.mark.parametrize("text", ["7e3", "7E+3", "0.07e5"])
def test_an_exponent_reads_as_a_plain_amount_on_every_way(text: str) -> None:
    for amount in (plain_amount(text), to_decimal(text), Money(text, "NOK").amount):
        assert amount == 7000 and str(amount) == "7000", amount


def test_exports_write_amounts_without_an_exponent() -> None:
    tiny = Money(Decimal("1E-7"), "USD")
    assert to_dict(tiny) == {"amount": "0.0000001", "currency": "USD"}
    assert str(tiny) == "0.0000001 USD"
    assert repr(Money(Decimal("7E+3"), "NOK")) == "Money('7000', 'NOK')"


LONG = "12345678901234567.123456789012"  # 29 digits: more than the default context keeps


def test_money_arithmetic_keeps_every_digit() -> None:
    m = Money(LONG, "USD")
    assert str((m + Money.zero("USD")).amount) == LONG
    assert str(Money.sum([m], "USD").amount) == LONG
    assert str((m - Money("0.000000000001", "USD")).amount) == "12345678901234567.123456789011"
    assert str((Money("0.000000000001", "USD") * 3).amount) == "3E-12"
    assert exact_sum([Decimal(LONG), Decimal("0.000000000000000000001")]) == Decimal(
        LONG + "000000001"
    )


def test_a_modification_time_at_the_far_past_is_outside_a_later_window() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    far = "0001-01-01 00:10:00"  # its reading in UTC is before year 1
    assert not Window(datetime(2025, 1, 1, tzinfo=UTC)).contains(far, oslo)
    assert Window(None, datetime(2025, 1, 1, tzinfo=UTC)).contains(far, oslo)
    assert Window().contains(far, oslo)


def test_a_product_by_a_long_factor_keeps_a_hundred_digits_and_never_raises() -> None:
    price = Money("19.99", "EUR")
    rate = 0.9  # a factor from a float: Decimal(rate) has 50-odd digits
    twice = price * Decimal(rate) * Decimal(rate)
    assert len(twice.amount.as_tuple().digits) == 100
    assert twice.quantize().amount == Decimal("16.19")
    thirds = Money.sum([Money("1", "EUR") * (Decimal(1) / 3) for _ in range(3)], "EUR")
    assert thirds.quantize().amount == Decimal("1.00")


def test_reading_an_exponent_does_not_depend_on_the_threads_decimal_context() -> None:
    from decimal import localcontext

    with localcontext() as context:
        context.prec = 6
        assert Money("7e8", "USD").amount == Decimal("700000000")
        assert str(Money("12345678.91", "USD") + Money("0.01", "USD")) == "12345678.92 USD"
