"""attrs validators for the options users pass in code (StoreOptions, RetryPolicy...).

A wrong value is refused when the object is made, with a ValidationError (also a
ValueError, as these checks always raised) naming the option, not later from deep inside
the HTTP client as a TypeError about an internal class.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from storebridge.errors import ValidationError
from storebridge.validation import describe

Check = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _refuse(owner: Any, a: attrs.Attribute[Any], wanted: str, value: Any) -> ValidationError:
    return ValidationError(
        f"{type(owner).__name__}.{a.name} must be {wanted}, got {describe(value)}", field=a.name
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def seconds(*, zero: bool = False) -> Check:
    """A finite number of seconds, above zero (or at least zero with ``zero``)."""
    wanted = "a number of seconds >= 0" if zero else "a number of seconds > 0"

    def check(owner: Any, a: attrs.Attribute[Any], value: Any) -> None:
        if not _is_number(value) or value < 0 or (value == 0 and not zero):
            raise _refuse(owner, a, wanted, value)

    return check


def whole(at_least: int) -> Check:
    """A whole number (not a bool) of at least ``at_least``."""

    def check(owner: Any, a: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
            raise _refuse(owner, a, f"a whole number >= {at_least}", value)

    return check


def fraction(owner: Any, a: attrs.Attribute[Any], value: Any) -> None:
    """A number from 0 to 1."""
    if not _is_number(value) or not 0 <= value <= 1:
        raise _refuse(owner, a, "a number from 0 to 1", value)


def instance(cls: type, *, optional: bool = False) -> Check:
    """An instance of ``cls`` (or None with ``optional``)."""
    wanted = f"a {cls.__name__}" + (" or None" if optional else "")

    def check(owner: Any, a: attrs.Attribute[Any], value: Any) -> None:
        if not (isinstance(value, cls) or (optional and value is None)):
            raise _refuse(owner, a, wanted, value)

    return check


__all__ = ["fraction", "instance", "seconds", "whole"]
