"""Money: a Decimal amount in one ISO 4217 currency."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def to_decimal(value: Any) -> Decimal:
    """Turn a wire amount (str, int, float, Decimal) into a Decimal, never keeping a float.

    Floats go through ``str`` so ``0.1`` becomes ``Decimal("0.1")``, not its binary expansion.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"amount must be a number or numeric string, not {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"amount {value!r} is not a number") from None
    else:
        raise ValueError(f"amount must be a number or numeric string, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"amount {value!r} is not finite")
    return result


def _to_currency(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"currency must be a 3-letter ISO 4217 code, not {value!r}")
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"currency must be a 3-letter ISO 4217 code, not {value!r}")
    return code


@attrs.frozen(slots=True, order=False)
class Money:
    """An amount of money. ``Money("59.99", "usd") == Money(Decimal("59.99"), "USD")``.

    Arithmetic and comparison only work between amounts of the same currency; mixing
    currencies raises ``ValueError`` instead of producing a meaningless number.
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(converter=_to_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str) -> Money:
        """Sum amounts of one currency; ``currency`` gives the result for an empty input."""
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot {op} {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can only be multiplied by an int or a Decimal")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def quantize(self, exponent: str = "0.01") -> Money:
        return Money(self.amount.quantize(Decimal(exponent)), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
