"""Amount text read as a number only when it is one, negative zero as zero, and rounding
to a currency's own decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storebridge.errors import PayloadError, ValidationError
from storebridge.kit import NotPlain, Payload, plain_amount, plain_money
from storebridge.model import Money
from storebridge.model.money import to_decimal

ODD_NUMBERS = ["1_000.00", "1_0", "\u0661\u0662\u0663.50", "\uff11\uff12"]
"""Text Python's Decimal() reads as a number but no platform writes as one: digit group
underscores, Arabic-Indic and full-width digits."""


@pytest.mark.parametrize("text", ODD_NUMBERS)
def test_odd_number_text_is_refused_on_every_way_of_reading_it(text: str) -> None:
    with pytest.raises(ValidationError, match="is not a number"):
        to_decimal(text)
    with pytest.raises(NotPlain):
        plain_amount(text)
    with pytest.raises(NotPlain):
        plain_money(text, "USD")
    with pytest.raises(PayloadError, match=r"\$\.total"):
        Payload({"total": text}, "$", "toy").money("total", "USD")


@pytest.mark.parametrize("text", ["1000.00", " 12.5 ", "1e2", "-3.10", "0"])
def test_ordinary_number_text_still_reads_alike_both_ways(text: str) -> None:
    assert plain_amount(text) == to_decimal(text) == Decimal(text.strip())


@pytest.mark.parametrize("value", ["-0.00", "-0", "-0e3", -0.0, Decimal("-0.00")])
def test_negative_zero_is_zero_however_it_arrives(value: object) -> None:
    for amount in (to_decimal(value), Money(value, "USD").amount):  # type: ignore[arg-type]
        assert amount == 0 and not amount.is_signed(), amount
    if isinstance(value, str):
        found = plain_amount(value)
        assert found is not None and not found.is_signed()
        money = plain_money(value, "USD")
        assert money is not None and str(money) == f"{Decimal(value).copy_abs():f} USD"


def test_arithmetic_never_gives_negative_zero() -> None:
    zero = Money("0.00", "USD")
    assert str(-zero) == "0.00 USD"
    assert str(zero * -1) == "0.00 USD"
    assert str(Money("1.10", "USD") - Money("1.10", "USD")) == "0.00 USD"


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [("1000", "JPY", "1000"), ("999.5", "JPY", "1000"), ("59.999", "USD", "60.00"),
     ("1.2345", "KWD", "1.234"), ("1.235", "KWD", "1.235"), ("7", "BHD", "7.000")],
)  # fmt: skip
def test_quantize_rounds_to_the_currencys_own_decimals(
    amount: str, currency: str, rounded: str
) -> None:
    assert str(Money(amount, currency).quantize().amount) == rounded


def test_quantize_with_an_exponent_uses_it() -> None:
    assert str(Money("1.2345", "KWD").quantize("0.01").amount) == "1.23"
