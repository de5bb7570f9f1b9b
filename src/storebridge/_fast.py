"""Reading well-formed rows without the Payload accessors: the pieces every fast path shares.

A listing converts every row, and most rows are plain: ids and texts are strings, amounts
short numeric text, times ISO 8601. An adapter's fast path reads such a row with plain dict
reads and these helpers; each helper returns exactly what the matching :class:`Payload`
accessor returns for the usual kinds of value and raises :class:`NotPlain` for any other
kind. :func:`read_plain` turns that (and any error a plain read can raise) into None, and
the adapter then reads the row the careful way, which accepts the unusual value or raises a
PayloadError with its JSON path. The fast path never reports errors itself, so it can stay
short; a test per adapter holds both ways to equal objects. :func:`plain_model` builds the
model objects of a fast path without running the model's checks a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MemberDescriptorType
from typing import Any, Generic, TypeVar

import attrs

from storebridge.model.money import Money
from storebridge.payload import _quick_decimal
from storebridge.refs import is_usual_ref

T = TypeVar("T")
S = TypeVar("S")
M = TypeVar("M")

_KEPT_MAX = 4096
"""Spellings a cache keeps: enough for a store's repeating amounts, bounded for the rest."""
_CURRENCIES_KEPT = 64
_TIME_TEXT_MAX = 64
_BLANK_TIMES = frozenset({"", "0000-00-00 00:00:00"})
_FLAG_TEXT = {"1": True, "0": False, "true": True, "false": False}


class NotPlain(Exception):
    """A value the fast way does not take: the careful way reads the row."""


_GIVE_UP = (NotPlain, LookupError, TypeError, ValueError, ArithmeticError)
"""What a plain read of an unusual row can raise (``ArithmeticError``: Decimal's
InvalidOperation); all of them mean "read it the careful way"."""


def read_plain(read: Callable[..., T], *args: Any) -> T | None:
    """``read(*args)``, or None when it met a value that is not plain."""
    try:
        return read(*args)
    except _GIVE_UP:
        return None


def plain_text(value: Any) -> str | None:
    """``Payload.opt_string`` for text and null: None when null or blank."""
    if type(value) is str:
        if not value.isascii():
            value.encode("utf-8")  # an unpaired surrogate raises: the careful way reports it
        return value or None
    if value is None:
        return None
    raise NotPlain


def plain_ref(value: Any) -> str:
    """``Payload.ref`` for ASCII text: a printable, non-blank key of bounded length."""
    if is_usual_ref(value):
        return value
    raise NotPlain


_AMOUNTS: dict[str, Decimal] = {}
"""Amount texts already read: Decimal is immutable, and quantities, prices and zeros repeat
from row to row, so a dict lookup replaces most parses."""


def plain_amount(value: Any) -> Decimal | None:
    """``Payload.opt_decimal`` for short numeric text, floats and small ints (None when null
    or ``""``); huge exponents such as ``"1e999999"`` are refused without expanding them."""
    if type(value) is str:
        found = _AMOUNTS.get(value)
        if found is not None:
            return found
        found = _quick_decimal(value)
        if found is not None:
            if len(_AMOUNTS) < _KEPT_MAX:  # a full cache keeps what it has
                _AMOUNTS[value] = found
            return found
    else:
        found = _quick_decimal(value)
        if found is not None:
            return found
    if value is None or value == "":
        return None
    raise NotPlain


_MONEY: dict[str, dict[str, Money]] = {}
"""Amounts already read, by currency and text: Money is immutable and a store's amounts
repeat (the same prices, shipping, 0.00 tax), so most reads skip parsing."""


def plain_money(value: Any, currency: str) -> Money | None:
    """``Payload.opt_money`` for plain amounts; ``currency`` must be a checked ISO code."""
    if type(value) is str:
        known = _MONEY.get(currency)
        if known is None:
            known = {}
            if len(_MONEY) < _CURRENCIES_KEPT:  # beyond that, amounts are read afresh
                _MONEY[currency] = known
        found = known.get(value)
        if found is None:
            amount = plain_amount(value)
            if amount is None:
                return None
            found = Money(amount, currency)
            if len(known) < _KEPT_MAX:  # a full cache keeps what it has
                known[value] = found
        return found
    amount = plain_amount(value)
    return None if amount is None else Money(amount, currency)


def plain_time(value: Any) -> datetime | None:
    """``Payload.opt_timestamp`` for ISO 8601 text with an offset (None when blank)."""
    if value is None:
        return None
    if type(value) is not str or len(value) > _TIME_TEXT_MAX:
        raise NotPlain
    if value in _BLANK_TIMES:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise NotPlain
    return parsed


def plain_flag(value: Any) -> bool | None:
    """``Payload.opt_bool`` for booleans, null and ``"0"``/``"1"``/``"true"``/``"false"``."""
    if value is None or value is True or value is False:
        return value
    if type(value) is str:
        return _FLAG_TEXT[value]  # KeyError: the careful way reads other spellings
    raise NotPlain


class PlainStatus(Generic[S]):
    """``kind.parse(raw, aliases)``, read once per spelling: a handful of statuses repeat
    across every row of a listing."""

    def __init__(self, kind: type[S], aliases: Mapping[str, str] | None = None) -> None:
        self._parse: Callable[[str | None, Mapping[str, str] | None], S] = kind.parse  # type: ignore[attr-defined]
        self._aliases = aliases
        self._known: dict[str | None, S] = {}

    def __call__(self, raw: str | None) -> S:
        found = self._known.get(raw)
        if found is None:
            found = self._parse(raw, self._aliases)
            if len(self._known) < _KEPT_MAX:  # values nobody sends twice are not kept
                self._known[raw] = found
        return found


_UNSET: Any = object()


def plain_model(cls: type[M]) -> Callable[..., M]:
    """A constructor for the model class ``cls`` that only stores its fields.

    ``cls(...)`` runs its checks on every field (aware datetimes, input rules for classes
    such as ``Address``); a fast path has already read every value with the plain readers,
    which give only what those checks accept, so the checks would be spent on every row of
    a listing for nothing. The constructor takes the same keywords, fills left-out fields
    with their defaults (a factory is called per object) and builds an object equal to
    what ``cls(...)`` builds from the same values. For values from plain readers only.
    """
    parameters: list[str] = []
    body: list[str] = []
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_UNSET": _UNSET}
    for field in attrs.fields(cls):  # type: ignore[arg-type]  # model classes are attrs classes
        name = field.name
        if field.alias != name or field.converter is not None:
            raise TypeError(f"{cls.__name__}.{name}: aliased or converted fields are not plain")
        slot = getattr(cls, name, None)
        if not isinstance(slot, MemberDescriptorType):
            raise TypeError(f"{cls.__name__}.{name}: only slotted attrs classes have plain models")
        scope[f"_set_{name}"] = slot.__set__  # the slot itself: no frozen check
        default = field.default
        if default is attrs.NOTHING:
            parameters.insert(0, name)
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                raise TypeError(f"{cls.__name__}.{name}: a default from self is not plain")
            scope[f"_make_{name}"] = default.factory
            parameters.append(f"{name}=_UNSET")
            body.append(f"    if {name} is _UNSET:\n        {name} = _make_{name}()")
        else:
            scope[f"_default_{name}"] = default
            parameters.append(f"{name}=_default_{name}")
        body.append(f"    _set_{name}(self, {name})")
    source = "\n".join(
        [f"def build(*, {', '.join(parameters)}):", "    self = _new(_cls)", *body,
         "    return self"]
    )  # fmt: skip
    # Generated once per class (as attrs generates __init__): a loop over the fields would
    # cost more per object than the checks it skips.
    exec(compile(source, f"<plain {cls.__name__}>", "exec"), scope)  # noqa: S102
    build: Callable[..., M] = scope["build"]
    build.__qualname__ = build.__name__ = f"plain_{cls.__name__}"
    return build


__all__ = [
    "NotPlain",
    "PlainStatus",
    "plain_amount",
    "plain_flag",
    "plain_model",
    "plain_money",
    "plain_ref",
    "plain_text",
    "plain_time",
    "read_plain",
]
