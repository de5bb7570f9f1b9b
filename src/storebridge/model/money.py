"""Money: a Decimal amount in one ISO 4217 currency."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

import attrs

from storebridge.errors import ValidationError
from storebridge.model.base import ModelObject
from storebridge.validation import (
    AMOUNT_DIGITS,
    AMOUNT_MIN_EXPONENT,
    currency,
    describe,
    minor_units,
)

_NUMBER_TEXT_MAX = 40
# Codes already in canonical form, so the common case is one dict lookup.
_CODES: dict[str, str] = {}
_ONE = Decimal(1)
_DOUBLE_DIGITS = 15
FLOAT_EXACT_BELOW = 1e13
"""Amounts sent as JSON numbers (doubles) from this size on are refused when they show more
than 15 significant digits: the text may have held digits the double lost, and at this size
even cents need 16. Below it, a number is read as the double the platform sent."""
_EXACT = Context(prec=100, traps=[InvalidOperation, DivisionByZero, Overflow])
"""Money's arithmetic, whatever the thread's decimal context: exact for amounts as
platforms send them (up to 42 digits; the default context keeps 28 and rounded them).
Only a result of more than 100 digits (a product by ``1/3``) is rounded, at the 100th."""


def _fits(value: Decimal) -> bool:
    """Finite, below 10**AMOUNT_DIGITS and not absurdly small: safe for any arithmetic.

    A huge exponent (``1e999999``) is cheap to hold but makes ``int()`` or ``quantize()``
    run for many seconds, so it is refused here, in constant time.
    """
    exponent = value.adjusted()  # for zero: its exponent, so 0e999999 is refused as well
    return value.is_finite() and (
        AMOUNT_MIN_EXPONENT < exponent < AMOUNT_DIGITS or (not value and exponent < AMOUNT_DIGITS)
    )


def to_decimal(value: Any, field: str = "amount") -> Decimal:
    """Turn a wire amount (str, int, float, Decimal) into a Decimal, never keeping a float.

    Floats go through ``repr`` so ``0.1`` becomes ``Decimal("0.1")``, not its binary
    expansion. Refuses (with :class:`~storebridge.errors.ValidationError`, a ``ValueError``)
    anything that is not a finite number below ``10**18``, and text longer than 40
    characters, in constant time whatever the input.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError(
            f"{field} must be a number or numeric string, not {value!r}", field=field
        )
    elif isinstance(value, int):
        if value.bit_length() > 64:
            raise ValidationError(f"{field} is too large: {describe(value)}", field=field)
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
        if abs(value) >= FLOAT_EXACT_BELOW and _significant(result) > _DOUBLE_DIGITS:
            raise ValidationError(
                f"{field} {describe(value)} came as a number too long for JSON to carry "
                f"exactly (a double keeps {_DOUBLE_DIGITS} digits, so digits the platform "
                "sent may be lost); it must be sent as text",
                field=field,
            )
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _NUMBER_TEXT_MAX:
            raise ValidationError(
                f"{field} {describe(value)} is not an amount (more than "
                f"{_NUMBER_TEXT_MAX} characters)",
                field=field,
            )
        # Decimal() also reads "1_000" and digits of other scripts ("١٢٣"): no platform
        # writes amounts so, and such text is more likely a wrong field than a number.
        if not text.isascii() or "_" in text:
            raise ValidationError(f"{field} {describe(value)} is not a number", field=field)
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"{field} {describe(value)} is not a number",
                                  field=field) from None  # fmt: skip
    else:
        raise ValidationError(
            f"{field} must be a number or numeric string, not {describe(value)}", field=field
        )
    if not result.is_finite():
        raise ValidationError(f"{field} {describe(value)} is not finite", field=field)
    if not _fits(result):
        raise ValidationError(
            f"{field} {describe(value)} is out of range: amounts are below "
            f"10**{AMOUNT_DIGITS} (and, unless zero, above 10**{AMOUNT_MIN_EXPONENT})",
            field=field,
        )
    return unsigned_zero(positional(result))


def _significant(value: Decimal) -> int:
    """How many significant digits ``value`` shows (trailing zeros are not)."""
    digits = "".join(map(str, value.as_tuple().digits)).rstrip("0")
    return len(digits.lstrip("0"))


def positional(value: Decimal) -> Decimal:
    """A finite ``value`` without a positive exponent: ``"7e3"`` reads as 7000, which every
    export then writes as such, not as ``7E+3``."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return _EXACT.quantize(value, _ONE)
    return value


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of ``values`` with every digit kept: ``sum()`` works in the thread's decimal
    context, 28 digits by default, and would round amounts Money holds (up to 42)."""
    total = Decimal(0)
    for value in values:
        total = _EXACT.add(total, value)
    return total


def unsigned_zero(value: Decimal) -> Decimal:
    """``value``, with negative zero as plain zero: -0.00 is 0.00, and written as "-0.00"
    it would read as a refund."""
    return value.copy_abs() if not value and value.is_signed() else value


def _code(value: Any) -> str:
    found = currency(value)
    if found == value:
        _CODES[found] = found
    return found


@attrs.frozen(init=False, repr=False, order=False)
class Money(ModelObject):
    """An amount of money. ``Money("59.99", "usd") == Money(Decimal("59.99"), "USD")``.

    ``str()`` gives ``59.99 USD``, ``repr()`` ``Money('59.99', 'USD')``. A bad amount or
    currency raises :class:`~storebridge.errors.ValidationError` (also a ``ValueError``).
    Arithmetic and comparison only work between amounts of the same currency; mixing
    currencies raises ``ValueError`` instead of producing a meaningless number.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | float | str, currency: str) -> None:
        # Hot path (converters, arithmetic): an ordinary Decimal and a canonical code pass
        # with two C-level checks and one dict lookup; everything else goes the careful way.
        if not (
            type(amount) is Decimal
            and amount.is_finite()
            and AMOUNT_MIN_EXPONENT < amount.adjusted() < AMOUNT_DIGITS
        ):
            amount = to_decimal(amount)
        else:
            amount = unsigned_zero(amount)  # negative zero (from -x, or given) too
        code = _CODES.get(currency) if type(currency) is str else None
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", code or _code(currency))

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
            raise ValidationError(  # a ValueError too, as documented
                f"cannot {op} {self.currency} and {other.currency}: convert one first",
                field="currency",
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(_EXACT.add(self.amount, self._same(other, "add").amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        amount = _EXACT.subtract(self.amount, self._same(other, "subtract").amount)
        return Money(amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can only be multiplied by an int or a Decimal")
        return Money(_EXACT.multiply(self.amount, Decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def quantize(self, exponent: str | None = None) -> Money:
        """The amount rounded (half to even) to ``exponent`` (``"0.01"``), by default to
        the decimals its currency has (JPY ``1000``, USD ``59.99``, KWD ``1.235``)."""
        step = (
            Decimal(exponent) if exponent is not None else _ONE.scaleb(-minor_units(self.currency))
        )
        return Money(self.amount.quantize(step), self.currency)

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def __repr__(self) -> str:
        return f"Money({format(self.amount, 'f')!r}, {self.currency!r})"


__all__ = [
    "Money",
    "exact_sum",
    "positional",
    "to_decimal",
    "unsigned_zero",
]
