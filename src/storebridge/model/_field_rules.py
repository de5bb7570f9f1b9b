"""What the model's classes share: the keyword-only input check, short reprs, and the
checks of optional text and tags (kept apart so :mod:`storebridge.model.objects` stays
readable)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import attrs

from storebridge import validation as check
from storebridge.errors import ValidationError
from storebridge.model.money import Money

C = TypeVar("C", bound=type)


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        check.aware(value, attribute.name)


def _raw() -> Any:
    return attrs.field(factory=dict, eq=False, repr=False)


def _input(cls: C) -> C:
    """Report a missing or unknown keyword as a ValidationError naming it, not a TypeError."""
    init: Callable[..., None] = cls.__dict__["__init__"]
    fields = attrs.fields(cls)
    known = {a.alias for a in fields}
    required = [a.alias for a in fields if a.default is attrs.NOTHING]

    @functools.wraps(init)
    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except TypeError:
            name = cls.__name__
            if args:
                raise ValidationError(
                    f"{name} takes keyword arguments only: {name}({required[0]}=...)",
                    field=None,
                ) from None
            unknown = sorted(kwargs.keys() - known)
            if unknown:
                raise ValidationError(
                    f"{name} has no field {unknown[0]!r}; its fields are "
                    f"{', '.join(sorted(known))}",
                    field=unknown[0],
                ) from None
            missing = [n for n in required if n not in kwargs]
            if missing:
                raise ValidationError(f"{name} needs {missing[0]}=...", field=missing[0]) from None
            raise

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def _show(value: Any) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Enum):
        return repr(value.value)
    return repr(value)


def _short_repr(obj: object, **fields: Any) -> str:
    """``Name(key=value, ...)`` with Money as ``59.99 USD`` and enums as their value."""
    inner = ", ".join(f"{key}={_show(value)}" for key, value in fields.items())
    return f"{type(obj).__name__}({inner})"


def _opt_text(value: str | None, field: str, *, multiline: bool = False) -> None:
    if value is not None:
        check.text(value, field, multiline=multiline)


def _tags(value: Any, field: str = "tags") -> None:
    for index, tag in enumerate(check.items(value, field, str)):
        check.text(tag, f"{field}[{index}]", required=True)
