"""Reading platform payloads with JSON paths in every error.

Adapters read wire JSON through :class:`Payload`. Each accessor converts one field and, when
the value is missing or malformed, raises :class:`~storebridge.errors.PayloadError` whose
``path`` points at it (``$.line_items[2].price``), so a bad payload is diagnosed in one look.

Whatever the payload holds, an accessor returns a value or raises PayloadError, never another
exception, and in bounded time:

* numbers are read from ints, floats or numeric text of at most 40 characters; integers have
  at most 40 digits, amounts are below ``10**18``; ``"1e999999"`` is refused at once rather
  than expanded into a million digits;
* text is ``str`` that can be encoded as UTF-8 (no unpaired surrogates); numbers are
  accepted where text is expected (ids sent as numbers);
* containers must have the expected type (an object where an object is read, a list where a
  list is iterated); messages describe a bad value briefly instead of repeating it.

Each accessor tries the common well-formed case first with as few checks as possible and
falls back to a careful path that either converts an unusual but valid value (``"2"``,
``2.0``, ``" 59.99 "``) or reports exactly what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar

from storebridge.errors import PayloadError
from storebridge.model.money import (
    FLOAT_EXACT_BELOW,
    Money,
    positional,
    to_decimal,
    unsigned_zero,
)
from storebridge.refs import MAX_REF_LENGTH, is_usual_ref
from storebridge.validation import AMOUNT_DIGITS, AMOUNT_MIN_EXPONENT, currency, describe

T = TypeVar("T")
_MISSING: Any = object()

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}
_BOOL_TEXT = {"1": True, "0": False, "true": True, "false": False}
_new = object.__new__
_BLANK_TIMES = ("", "0000-00-00 00:00:00")

_NUMBER_TEXT_MAX = 40
_INTEGER_DIGITS = 40
_INTEGER_LIMIT = 10**_INTEGER_DIGITS
_AMOUNT_LIMIT = 10**AMOUNT_DIGITS
_TIME_TEXT_MAX = 64


def parse_iso_datetime(value: str) -> datetime:
    """ISO 8601 with an offset (``Z`` accepted). A value without offset is an error."""
    try:
        parsed = datetime.fromisoformat(value)  # the usual case, "Z" included
    except ValueError:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
    return parsed


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


class Payload:
    """A JSON object being read, and where it sits in the whole document.

    ``path`` is worked out only when an error needs it, so reading nested objects and list
    items costs no string building.
    """

    __slots__ = ("_where", "data", "platform")

    def __init__(self, data: Any, path: str = "$", platform: str | None = None) -> None:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise PayloadError(
                f"expected an object, got {describe(data)}", path=path, platform=platform
            )
        self.data: Mapping[str, Any] = data
        # The path, or (parent, key) until an error asks for the path.
        self._where: str | tuple[Payload, str | int] = path
        self.platform = platform

    def _child(self, data: Any, key: str | int) -> Payload:
        if type(data) is not dict and not isinstance(data, Mapping):
            self.fail(f"expected an object, got {describe(data)}", key)
        child = _new(Payload)
        child.data = data
        child._where = (self, key)
        child.platform = self.platform
        return child

    @property
    def path(self) -> str:
        """Where this object sits, as a JSON path (``$.line_items[2]``)."""
        if isinstance(self._where, str):
            return self._where
        keys: list[str | int] = []
        node = self
        while not isinstance(node._where, str):  # a loop: payloads nest arbitrarily deep
            node, key = node._where
            keys.append(key)
        path = node._where
        for key in reversed(keys):
            path = _join(path, key)
        self._where = path
        return path

    def fail(self, message: str, key: str | int | None = None) -> NoReturn:
        """Raise PayloadError at this object, or at its field ``key``."""
        path = self.path if key is None else _join(self.path, key)
        raise PayloadError(message, path=path, platform=self.platform)

    def has(self, key: str) -> bool:
        """True when ``key`` is present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The value as parsed, unchecked (the caller checks what it uses)."""
        return self.data.get(key, default)

    def _absent(self, key: str, value: Any, required: bool) -> None:
        if required:
            self.fail("required field is missing" if value is _MISSING else "is null", key)

    # Text ------------------------------------------------------------------------------
    def string(self, key: str) -> str:
        """Required text (a number is accepted and turned into its digits)."""
        value = self.data.get(key, _MISSING)
        if type(value) is str and value.isascii():
            return value
        return self._text(key, value, True)  # type: ignore[return-value]

    def opt_string(self, key: str) -> str | None:
        """The text, or None when missing, null or blank."""
        value = self.data.get(key)
        if type(value) is str and value.isascii():
            return value or None
        if value is None:
            return None
        return self._text(key, value, False) or None

    def _text(self, key: str, value: Any, required: bool) -> str | None:
        if value is _MISSING or value is None:
            self._absent(key, value, required)
            return None
        try:
            return _to_str(value)
        except ValueError as exc:
            self.fail(f"expected a string, got {describe(value)}: {exc}", key)

    def ref(self, key: str) -> str:
        """A platform key (id as text or number): non-blank, at most 256 characters, without
        control characters."""
        value = self.data.get(key)
        if is_usual_ref(value):
            return value  # the usual key, checked at once
        value = self.string(key)
        if not value.strip() or len(value) > MAX_REF_LENGTH or not value.isprintable():
            self.fail(f"expected a platform key, got {describe(value)}", key)
        return value

    def opt_ref(self, key: str) -> str | None:
        """Like :meth:`ref`, but None when missing, null or blank."""
        return self.ref(key) if self.opt_string(key) is not None else None

    def currency(self, key: str) -> str:
        """An ISO 4217 code, upper-cased."""
        value = self.string(key)
        try:
            return currency(value, key)
        except ValueError as exc:
            self.fail(str(exc), key)

    def opt_currency(self, key: str) -> str | None:
        """Like :meth:`currency`, but None when missing, null or blank."""
        return self.currency(key) if self.opt_string(key) is not None else None

    # Numbers ---------------------------------------------------------------------------
    def integer(self, key: str) -> int:
        """A required integer: an int, a whole float or digits as text (``"2"``, ``"2.0"``)."""
        value = self.data.get(key, _MISSING)
        if type(value) is int and -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
            return value
        if type(value) is str and _is_small_digits(value):
            return int(value)
        return self._integer(key, value, True)  # type: ignore[return-value]

    def opt_integer(self, key: str) -> int | None:
        """The integer, or None when missing, null or ``""``."""
        value = self.data.get(key)
        if type(value) is int and -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
            return value
        if type(value) is str and _is_small_digits(value):
            return int(value)
        if value is None or value == "":
            return None
        return self._integer(key, value, False)

    def _integer(self, key: str, value: Any, required: bool) -> int | None:
        if value is _MISSING or value is None:
            self._absent(key, value, required)
            return None
        try:
            return _to_int(value)
        except ValueError as exc:
            self.fail(f"expected an integer, got {describe(value)}: {exc}", key)

    def decimal(self, key: str) -> Decimal:
        """A required amount as a Decimal, from numeric text, an int or a float."""
        value = self.data.get(key, _MISSING)
        found = _quick_decimal(value)
        if found is not None:
            return found
        return self._decimal(key, value, True)  # type: ignore[return-value]

    def opt_decimal(self, key: str) -> Decimal | None:
        """The amount, or None when missing, null or ``""``."""
        value = self.data.get(key)
        found = _quick_decimal(value)
        if found is not None:
            return found
        if value is None or value == "":
            return None
        return self._decimal(key, value, False)

    def _decimal(self, key: str, value: Any, required: bool) -> Decimal | None:
        if value is _MISSING or value is None:
            self._absent(key, value, required)
            return None
        try:
            return to_decimal(value, key)
        except ValueError as exc:
            self.fail(f"expected a decimal amount: {exc}", key)

    def money(self, key: str, currency: str) -> Money:
        """A required amount in ``currency``."""
        return self._money(key, self.decimal(key), currency)

    def opt_money(self, key: str, currency: str) -> Money | None:
        """An amount in ``currency``, or None when missing, null or ``""``."""
        amount = self.opt_decimal(key)
        return None if amount is None else self._money(key, amount, currency)

    def line_total(self, unit: Money, quantity: int, key: str = "quantity") -> Money:
        """``unit`` times ``quantity`` (read from ``key``): a line's total, refused at
        ``key`` when it is beyond any amount of money."""
        try:
            return unit * quantity
        except ValueError:  # ValidationError: the product is out of Money's range
            self.fail(
                f"{quantity} units at {unit.amount} {unit.currency} is beyond any amount", key
            )

    def _money(self, key: str, amount: Decimal, code: str) -> Money:
        try:
            return Money(amount, code)
        except ValueError as exc:  # the currency: the amount was checked already
            self.fail(f"cannot make an amount of money: {exc}", key)

    # Other scalars ---------------------------------------------------------------------
    def opt_bool(self, key: str) -> bool | None:
        """True/False from booleans, 0/1, or text such as ``"1"``, ``"true"``, ``"no"``."""
        value = self.data.get(key)
        if value is True or value is False or value is None:
            return value
        if type(value) is str and value in _BOOL_TEXT:
            return _BOOL_TEXT[value]
        try:
            return _to_bool(value)
        except ValueError:
            self.fail(f"expected a boolean, got {describe(value)}", key)

    def timestamp(
        self, key: str, parse: Callable[[str], datetime] = parse_iso_datetime
    ) -> datetime:
        """A required datetime with a UTC offset; ``parse`` reads the text (ISO 8601 by
        default)."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            self._absent(key, value, True)
        return self._timestamp(key, value, parse)

    def opt_timestamp(
        self, key: str, parse: Callable[[str], datetime] = parse_iso_datetime
    ) -> datetime | None:
        """The datetime, or None when missing, null, ``""`` or ``0000-00-00 00:00:00``."""
        value = self.data.get(key)
        if value is None or (type(value) is str and value in _BLANK_TIMES):
            return None
        return self._timestamp(key, value, parse)

    def _timestamp(self, key: str, value: Any, parse: Callable[[str], datetime]) -> datetime:
        text = value if type(value) is str else (self._text(key, value, True) or "")
        if len(text) > _TIME_TEXT_MAX:
            self.fail(f"expected a datetime, got {describe(value)}", key)
        try:
            parsed = parse(text)
        except (ValueError, TypeError, ArithmeticError, OSError) as exc:
            # OSError: the platform's own clock functions refuse far-away epochs.
            self.fail(f"expected a datetime, got {describe(value)} ({exc})", key)
        if not isinstance(parsed, datetime) or parsed.tzinfo is None:
            self.fail(f"expected a datetime with a UTC offset, got {describe(value)}", key)
        return parsed

    # Containers ------------------------------------------------------------------------
    def obj(self, key: str) -> Payload:
        """A required nested object."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            self._absent(key, value, True)
        return self._child(value, key)

    def opt_obj(self, key: str) -> Payload | None:
        """The object, or None when missing, null, ``{}`` or ``[]`` (some platforms send an
        empty list for an empty object)."""
        value = self.data.get(key)
        if type(value) is dict:
            return self._child(value, key) if value else None
        if value is None or (isinstance(value, list | Mapping) and not value):
            return None
        return self._child(value, key)

    def _items(self, key: str, required: bool) -> list[Payload]:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            self._absent(key, value, required)
            return []
        if type(value) is not list:
            self.fail(f"expected a list, got {describe(value)}", key)
        holder = self._child({}, key)  # stands for the list in the items' paths
        platform = self.platform
        children = []
        for index, item in enumerate(value):
            if type(item) is not dict and not isinstance(item, Mapping):
                holder.fail(f"expected an object, got {describe(item)}", index)
            child = _new(Payload)
            child.data = item
            child._where = (holder, index)
            child.platform = platform
            children.append(child)
        return children

    def objects(self, key: str) -> list[Payload]:
        """The objects of a required list."""
        return self._items(key, True)

    def iter(self, key: str, *, required: bool = False) -> Iterator[Payload]:
        """The objects of a list (none when an optional list is missing or null)."""
        return iter(self._items(key, required))

    def each(self, key: str, fn: Callable[[Payload], T]) -> tuple[T, ...]:
        """Convert every element of an optional list with ``fn``."""
        return tuple([fn(item) for item in self._items(key, False)])


def _quick_decimal(value: Any) -> Decimal | None:
    """The common well-formed amounts (short numeric text, floats, small ints); else None,
    and the careful path decides."""
    kind = type(value)
    if kind is str:
        if len(value) > _NUMBER_TEXT_MAX or not value.isascii() or "_" in value:
            return None  # the careful path refuses "1_000" and non-ASCII digits
        try:
            found = Decimal(value)
        except InvalidOperation:
            return None
    elif kind is float:
        if not -FLOAT_EXACT_BELOW < value < FLOAT_EXACT_BELOW:
            return None  # the careful path refuses what the double may have cut
        found = Decimal(repr(value))  # repr: 0.1 stays 0.1, not its binary expansion
    elif kind is int and -_AMOUNT_LIMIT < value < _AMOUNT_LIMIT:
        return Decimal(value)
    else:
        return None
    if found.is_finite() and AMOUNT_MIN_EXPONENT < found.adjusted() < AMOUNT_DIGITS:
        return unsigned_zero(positional(found))
    return None


def _is_small_digits(text: str) -> bool:
    """ASCII digits only and short: ``int(text)`` is exact and cheap."""
    return len(text) <= _INTEGER_DIGITS and text.isascii() and text.isdigit()


_EXACT_FLOAT = 2.0**53
"""From here on a JSON number read as a double has lost digits: an id of 26 digits (beyond
what a 64-bit integer holds, so the parser reads it as a double) would become another id,
and two ids could become one."""
_INEXACT = "a number too large to be exact (its last digits are lost); it must be sent as text"


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("it holds an unpaired surrogate, which is not text") from None
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("not text")
    if isinstance(value, int):
        if not -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
            raise ValueError(f"more than {_INTEGER_DIGITS} digits")
        return str(value)
    if not (math.isfinite(value) if isinstance(value, float) else value.is_finite()):
        raise ValueError("not a finite number")
    if isinstance(value, float) and abs(value) >= _EXACT_FLOAT:
        raise ValueError(_INEXACT)
    return str(value)


def _to_int(value: Any) -> int:
    """An int from an int, a whole float or numeric text; ValueError saying why not."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        if abs(value) >= _EXACT_FLOAT:
            raise ValueError(_INEXACT)
        number = int(value)
    elif isinstance(value, str | Decimal):
        number = _int_from_text(value)
    else:
        raise ValueError("not a number")
    if not -_INTEGER_LIMIT < number < _INTEGER_LIMIT:
        raise ValueError(f"more than {_INTEGER_DIGITS} digits")
    return number


def _int_from_text(value: str | Decimal) -> int:
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _NUMBER_TEXT_MAX:
            raise ValueError(f"longer than {_NUMBER_TEXT_MAX} characters")
        digits = text[1:] if text[:1] in ("+", "-") else text
        if digits.isascii() and digits.isdigit():
            return int(text)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("not a number") from None
    else:
        number = value
    if not number.is_finite():
        raise ValueError("not a finite number")
    # Checked before any integral arithmetic: 1e999999 would expand to a million digits.
    if number.adjusted() >= _INTEGER_DIGITS:
        raise ValueError(f"more than {_INTEGER_DIGITS} digits")
    if number and number.adjusted() < 0:
        raise ValueError("not a whole number")
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and len(value) <= 10 and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not a boolean")


__all__ = ["Payload", "parse_iso_datetime"]
