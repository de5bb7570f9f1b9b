"""Reading platform payloads with JSON paths in every error.

Adapters read wire JSON through :class:`Payload`. Each accessor converts one field and, when
the value is missing or malformed, raises :class:`~storebridge.errors.PayloadError` whose
``path`` points at it (``$.line_items[2].price``), so a bad payload is diagnosed in one look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from storebridge.errors import PayloadError
from storebridge.model.money import Money, to_decimal

T = TypeVar("T")
_MISSING: Any = object()

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def parse_iso_datetime(value: str) -> datetime:
    """ISO 8601 with an offset (``Z`` accepted). A value without offset is an error."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
    return parsed


class Payload:
    """A JSON object being read, and where it sits in the whole document."""

    __slots__ = ("data", "path", "platform")

    def __init__(self, data: Any, path: str = "$", platform: str | None = None) -> None:
        if not isinstance(data, Mapping):
            raise PayloadError(
                f"expected an object, got {type(data).__name__}", path=path, platform=platform
            )
        self.data: Mapping[str, Any] = data
        self.path = path
        self.platform = platform

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        path = self.path if key is None else f"{self.path}.{key}"
        raise PayloadError(message, path=path, platform=self.platform)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail("required field is missing" if value is _MISSING else "is null", key)
            return None
        return value

    def _convert(self, key: str, required: bool, fn: Callable[[Any], T], what: str) -> T | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            return fn(value)
        except (ValueError, TypeError, ArithmeticError) as exc:
            self.fail(f"expected {what}, got {value!r} ({exc})", key)

    # Required accessors -------------------------------------------------------------
    def string(self, key: str) -> str:
        return self._convert(key, True, _to_str, "a string")  # type: ignore[return-value]

    def integer(self, key: str) -> int:
        return self._convert(key, True, _to_int, "an integer")  # type: ignore[return-value]

    def decimal(self, key: str) -> Decimal:
        return self._convert(key, True, to_decimal, "a decimal amount")  # type: ignore[return-value]

    def money(self, key: str, currency: str) -> Money:
        amount = self.decimal(key)
        return Money(amount, currency)

    def timestamp(
        self, key: str, parse: Callable[[str], datetime] = parse_iso_datetime
    ) -> datetime:
        return self._convert(key, True, lambda v: parse(_to_str(v)), "a datetime")  # type: ignore[return-value]

    def obj(self, key: str) -> Payload:
        value = self._get(key, True)
        return Payload(value, f"{self.path}.{key}", self.platform)

    def objects(self, key: str) -> list[Payload]:
        return [*self.iter(key, required=True)]

    # Optional accessors: None when missing, null, or (for strings) blank ---------------
    def opt_string(self, key: str) -> str | None:
        value = self._convert(key, False, _to_str, "a string")
        return value if value else None

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key, False)
        if value == "":
            return None
        return self._convert(key, False, _to_int, "an integer")

    def opt_decimal(self, key: str) -> Decimal | None:
        if self.data.get(key) == "":
            return None
        return self._convert(key, False, to_decimal, "a decimal amount")

    def opt_money(self, key: str, currency: str) -> Money | None:
        amount = self.opt_decimal(key)
        return None if amount is None else Money(amount, currency)

    def opt_bool(self, key: str) -> bool | None:
        return self._convert(key, False, _to_bool, "a boolean")

    def opt_timestamp(
        self, key: str, parse: Callable[[str], datetime] = parse_iso_datetime
    ) -> datetime | None:
        if self.data.get(key) in ("", "0000-00-00 00:00:00"):
            return None
        return self._convert(key, False, lambda v: parse(_to_str(v)), "a datetime")

    def opt_obj(self, key: str) -> Payload | None:
        value = self._get(key, False)
        if value is None or (isinstance(value, list | Mapping) and not value):
            return None
        return Payload(value, f"{self.path}.{key}", self.platform)

    def iter(self, key: str, *, required: bool = False) -> Iterator[Payload]:
        value = self._get(key, required)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(f"expected a list, got {type(value).__name__}", key)
        for index, item in enumerate(value):
            yield Payload(item, f"{self.path}.{key}[{index}]", self.platform)

    def each(self, key: str, fn: Callable[[Payload], T]) -> tuple[T, ...]:
        """Convert every element of an optional list with ``fn``."""
        return tuple(fn(item) for item in self.iter(key))


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"not a string: {type(value).__name__}")
    return str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        dec = Decimal(text)
        if dec != dec.to_integral_value():
            raise ValueError("not a whole number")
        return int(dec)
    raise TypeError(f"not an integer: {type(value).__name__}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not a boolean")


__all__ = ["Payload", "parse_iso_datetime"]
