"""Checks on user input, shared by the model and the adapters.

Each check takes a value and the name of the field it came from, returns the value (the
normalised form where its docstring says so) and otherwise raises
:class:`~storebridge.errors.ValidationError` whose ``field`` names the field and whose message
says how to fix it. Model drafts (``CustomerDraft``, ``OrderDraft``, ``RefundLine``...) run
them at construction; adapters run them again with their platform's narrower limits, e.g. a
refund quantity up to what is refundable::

    validation.quantity(line.quantity, "lines[0].quantity", maximum=refundable)

and the lines of a refund against what each order line has left to refund::

    validation.refund_lines(lines, {"11": 2, "12": 0}, order="#1001")

Platform-neutral limits (an adapter may narrow them, never widen them):

=============  ===========================================================================
quantities     an ``int`` (not ``bool``, not ``"2"``) from 1 to :data:`QUANTITY_MAX`
stock          an ``int`` from :data:`STOCK_MIN` to :data:`STOCK_MAX` (0 .. 2**31 - 1, the
               range of the signed 32-bit stock columns platforms use)
money          a :class:`~storebridge.model.Money`, at most as many decimals as its
               currency has (:data:`MINOR_UNITS`: JPY 0, KWD 3, most currencies 2), not
               negative where it is a price or an amount to charge or refund
emails         ``local@domain.tld``, no spaces or control characters, at most 254
               characters (RFC 5321), local part at most 64
single-line    names, titles, SKUs, address lines, tags: a ``str`` without control
text           characters (no CR, LF, tab, NUL, DEL, C1 controls, U+2028/U+2029) and no
               unpaired surrogates, at most :data:`LINE_MAX` characters
multi-line     notes and product descriptions: as single-line text, but ``\\n``, ``\\r``
text           and ``\\t`` are allowed, at most :data:`MULTILINE_MAX` characters
datetimes      ``datetime`` with a UTC offset (aware)
=============  ===========================================================================

Refs (platform keys that go into URLs) are checked by :func:`storebridge.refs.check_ref`.

Objects a converter builds from a platform's answer are not user input: inside
:func:`platform_data` the model skips these checks for the classes that serve both roles
(``Address``, ``RefundLine``), so what a platform really sends (a tab in an address line, a
zero-quantity refund line) can be represented. Drafts are always checked, whatever built
them, because they are about to be sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.errors import ValidationError

if TYPE_CHECKING:
    from storebridge.model.money import Money
    from storebridge.model.objects import Address, RefundLine

QUANTITY_MAX = 2**31 - 1
"""Largest quantity accepted anywhere: far above any real order, small enough for every API."""

STOCK_MIN = 0
"""Smallest stock level a write may set (a negative level is an oversell, not an input)."""

STOCK_MAX = 2**31 - 1
"""Largest stock level a write may set: the signed 32-bit column most platforms use."""

AMOUNT_DIGITS = 18
"""Money amounts are below ``10**AMOUNT_DIGITS`` in magnitude (any real price or total)."""

AMOUNT_MIN_EXPONENT = -24
"""A non-zero amount's leading digit sits above ``10**AMOUNT_MIN_EXPONENT``: anything
smaller is noise, not money."""

LINE_MAX = 1000
"""Longest single-line text accepted; platforms have lower limits and adapters apply them."""

MULTILINE_MAX = 1_000_000
"""Longest multi-line text (notes, product descriptions with their HTML) accepted."""

EMAIL_MAX = 254
"""Longest e-mail address (RFC 5321 path limit)."""

MINOR_UNITS: Mapping[str, int] = {
    # ISO 4217 exponents that are not 2; every other currency has 2 decimals.
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
"""Decimals of each currency whose ISO 4217 minor unit is not 2 (the default)."""

_CURRENCY = re.compile(r"[A-Z]{3}")
# Control characters (C0, DEL, C1), Unicode line/paragraph separators and lone surrogates:
# none belongs in a one-line value; a note or description may hold \t, \n and \r.
_BAD_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_EMAIL_LOCAL = re.compile(r"[^\s@\"(),:;<>\[\]\\]+")
_EMAIL_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")
_TLD = re.compile(r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})", re.IGNORECASE)
_CHAR_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x00": "NUL"}

_PLATFORM_DATA: ContextVar[bool] = ContextVar("storebridge_platform_data", default=False)


class platform_data:  # lower case: it is used like a function, ``with platform_data():``
    """Build model objects from a platform's answer: input checks do not apply inside.

    The wire converters (:func:`storebridge.serialization.make_wire_converter`) already run
    every hook inside this block; an adapter that calls a converter function directly goes
    through :func:`storebridge.serialization.read_payload`, which does the same. Blocks nest,
    and each thread or task has its own setting.
    """

    # A class rather than @contextmanager: it runs once per record converted.
    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _PLATFORM_DATA.set(True)

    def __exit__(self, *_exc: object) -> None:
        _PLATFORM_DATA.reset(self._token)


def checking_input() -> bool:
    """True unless the caller is inside :func:`platform_data`."""
    return not _PLATFORM_DATA.get()


def describe(value: Any) -> str:
    """A short, safe description of a bad value for an error message (never the whole value).

    Long strings are cut, huge integers and containers are summarised, so neither a megabyte
    nor a deeply nested payload ends up in a message.
    """
    if isinstance(value, str):
        shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
        return f"{shown} (str)"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 128:
            return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        return f"{value} (int)"
    if isinstance(value, float | Decimal):
        return f"{str(value)[:40]} ({type(value).__name__})"
    if isinstance(value, Mapping):
        return f"an object with {len(value)} keys"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _whole(value: Any, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field} must be {what} given as an int (such as 2), got {describe(value)}",
            field=field,
        )
    return value


def quantity(value: Any, field: str, *, maximum: int | None = None) -> int:
    """A number of units: an ``int`` from 1 to ``maximum`` (default :data:`QUANTITY_MAX`)."""
    number = _whole(value, field, "a whole number of units")
    if number < 1:
        raise ValidationError(f"{field} must be at least 1, got {number}", field=field)
    limit = QUANTITY_MAX if maximum is None else min(maximum, QUANTITY_MAX)
    if number > limit:
        raise ValidationError(f"{field} must be at most {limit}, got {number}", field=field)
    return number


def refund_lines(
    lines: Sequence[RefundLine],
    refundable: Mapping[str, int],
    *,
    order: str | None,
    field: str = "lines",
) -> None:
    """Each line of a refund names a line of ``order`` once, for at most its units left.

    ``refundable`` maps each order line's ref to the units not refunded yet. The error names
    the line (``lines[1].line_ref``, ``lines[1].quantity``) and what to do instead.
    """
    seen: set[str] = set()
    for index, wanted in enumerate(lines):
        where = f"{field}[{index}]"
        left = refundable.get(wanted.line_ref)
        if left is None:
            raise ValidationError(
                f"{where}.line_ref {wanted.line_ref!r} is not a line of order {order}; its "
                f"lines are {', '.join(sorted(refundable)) or 'none'}",
                field=f"{where}.line_ref",
            )
        if wanted.line_ref in seen:
            raise ValidationError(
                f"{where}: line {wanted.line_ref} is listed twice; give it once with the total "
                "quantity",
                field=f"{where}.line_ref",
            )
        seen.add(wanted.line_ref)
        if left < 1:
            raise ValidationError(
                f"{where}: line {wanted.line_ref} has no units left to refund",
                field=f"{where}.quantity",
            )
        number = quantity(wanted.quantity, f"{where}.quantity")
        if number > left:
            raise ValidationError(
                f"{where}.quantity {number} is more than the {left} unit(s) of line "
                f"{wanted.line_ref} left to refund",
                field=f"{where}.quantity",
            )


def stock(value: Any, field: str, *, minimum: int = STOCK_MIN, maximum: int = STOCK_MAX) -> int:
    """A stock level: an ``int`` from ``minimum`` to ``maximum`` (see :data:`STOCK_MAX`)."""
    number = _whole(value, field, "a stock level")
    if not minimum <= number <= maximum:
        raise ValidationError(
            f"{field} must be between {minimum} and {maximum}, got {number}", field=field
        )
    return number


def currency(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code, returned upper-cased and stripped (``" usd"`` -> ``"USD"``)."""
    if isinstance(value, str):
        code = value.strip().upper()
        if _CURRENCY.fullmatch(code):
            return code
    raise ValidationError(
        f"{field} must be a 3-letter ISO 4217 currency code such as 'USD', got {describe(value)}",
        field=field,
    )


def minor_units(code: str) -> int:
    """How many decimals amounts in currency ``code`` have (ISO 4217; 2 unless listed)."""
    return MINOR_UNITS.get(code, 2)


def money(
    value: Any,
    field: str,
    *,
    currency: str | None = None,
    allow_negative: bool = False,
    maximum: Money | None = None,
) -> Money:
    """A :class:`~storebridge.model.Money` fit to send: in ``currency`` when given, with no
    more decimals than that currency has, not negative unless ``allow_negative``, and not
    above ``maximum`` (e.g. what is left to refund) when given.

    Money is already finite and bounded by construction.
    """
    from storebridge.model.money import Money  # the model imports this module

    if not isinstance(value, Money):
        raise ValidationError(
            f"{field} must be Money, such as Money('59.99', 'USD'), got {describe(value)}",
            field=field,
        )
    if currency is not None and value.currency != currency:
        raise ValidationError(
            f"{field} is in {value.currency} but must be in {currency}", field=field
        )
    places = minor_units(value.currency)
    exponent = value.amount.as_tuple().exponent
    # "59.990" is fine for USD: only digits that rounding would change count as decimals.
    if (
        isinstance(exponent, int)
        and -exponent > places
        and value.amount != round(value.amount, places)
    ):
        raise ValidationError(
            f"{field} has more than {places} decimals for {value.currency} ({value}); "
            f"round it, e.g. with .quantize()",
            field=field,
        )
    if not allow_negative and value.amount < 0:
        raise ValidationError(f"{field} must not be negative, got {value}", field=field)
    if maximum is not None and value.currency == maximum.currency and value > maximum:
        raise ValidationError(f"{field} must be at most {maximum}, got {value}", field=field)
    return value


def _bad_character(text: str, pattern: re.Pattern[str], field: str) -> None:
    found = pattern.search(text)
    if found is None:
        return
    char = found.group()
    name = _CHAR_NAMES.get(char, "a control character")
    if "\ud800" <= char <= "\udfff":
        name = "an unpaired surrogate (not valid Unicode text)"
    raise ValidationError(
        f"{field} contains {name} (U+{ord(char):04X}) at position {found.start()}; remove it"
        + (" (this field holds one line)" if char in "\n\r\u2028\u2029" else ""),
        field=field,
    )


def text(
    value: Any,
    field: str,
    *,
    multiline: bool = False,
    required: bool = False,
    max_length: int | None = None,
) -> str:
    """A ``str`` without control characters; ``multiline`` allows ``\\n``, ``\\r`` and
    ``\\t``. ``required`` refuses blank text. ``max_length`` defaults to :data:`LINE_MAX`
    (:data:`MULTILINE_MAX` for multi-line text)."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a str, got {describe(value)}", field=field)
    limit = max_length if max_length is not None else MULTILINE_MAX if multiline else LINE_MAX
    if len(value) > limit:
        raise ValidationError(
            f"{field} is {len(value)} characters long; the limit is {limit}", field=field
        )
    if required and not value.strip():
        raise ValidationError(f"{field} must not be blank", field=field)
    # Most text is ASCII without controls: one C-level scan answers before the regex runs.
    if not (value.isascii() and value.isprintable()):
        _bad_character(value, _BAD_IN_TEXT if multiline else _BAD_IN_LINE, field)
    return value


def email(value: Any, field: str = "email") -> str:
    """An address shaped like ``local@domain.tld`` (no display name, no spaces or control
    characters, at most 254 characters, local part at most 64, domain labels of letters,
    digits and hyphens; internationalised names allowed)."""
    fix = "it must look like name@example.com"
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a str; {fix}, got {describe(value)}", field=field)
    text(value, field, max_length=EMAIL_MAX)
    local, at, domain = value.rpartition("@")
    labels = domain.split(".")
    if not (
        at
        and len(local) <= 64
        and _EMAIL_LOCAL.fullmatch(local)
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and len(labels) >= 2
        and all(_EMAIL_LABEL.fullmatch(label) for label in labels[:-1])
        and _TLD.fullmatch(labels[-1])
    ):
        raise ValidationError(f"{field} is not an e-mail address ({fix}): {describe(value)}",
                              field=field)  # fmt: skip
    return value


def aware(value: Any, field: str) -> datetime:
    """A ``datetime`` with a UTC offset."""
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a timezone-aware datetime, got {describe(value)}", field=field
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{field} must be timezone-aware, got naive {value.isoformat()}; pass "
            f"tzinfo=datetime.UTC (or a ZoneInfo) or call .astimezone()",
            field=field,
        )
    return value


def flag(value: Any, field: str) -> bool | None:
    """``True``, ``False`` or ``None`` (not ``"yes"``, not 1)."""
    if value is None or isinstance(value, bool):
        return value
    raise ValidationError(f"{field} must be True, False or None, got {describe(value)}",
                          field=field)  # fmt: skip


def member(value: Any, field: str, kind: type) -> Any:
    """An instance of ``kind`` (an enum or model class); the message names the type to use."""
    if not isinstance(value, kind):
        raise ValidationError(
            f"{field} must be a {kind.__name__}, got {describe(value)}", field=field
        )
    return value


def choice(
    value: Any, field: str, allowed: Iterable[str], *, what: str = "", also: str = ""
) -> str:
    """``value`` when it is one of ``allowed``; else a ValidationError listing them and
    naming the closest (a misspelt filter value would otherwise match nothing, in silence).
    ``what`` says whose values they are ("29 Next's"), ``also`` what else is taken."""
    options = list(allowed)
    if isinstance(value, str) and value in options:
        return value
    shown = describe(value)
    meant = (
        get_close_matches(value.strip().lower(), options, n=1, cutoff=0.6)
        if isinstance(value, str)
        else []
    )
    hint = f" (did you mean {meant[0]}?)" if meant else ""
    whose = f"{what}: " if what else ""
    raise ValidationError(
        f"{field} must be one of {whose}{', '.join(options)}{also}; got {shown}{hint}",
        field=field,
    )


def items(value: Any, field: str, kind: type) -> tuple[Any, ...]:
    """A tuple or list whose every element is a ``kind`` (a str is not a list of tags)."""
    if not isinstance(value, tuple | list):
        raise ValidationError(
            f"{field} must be a tuple or list of {kind.__name__}, got {describe(value)}",
            field=field,
        )
    for index, item in enumerate(value):
        member(item, f"{field}[{index}]", kind)
    return tuple(value)


def address(value: Any, field: str = "address") -> Address:
    """An :class:`~storebridge.model.Address` whose every field is single-line text.

    Errors name ``field.line1`` and so on (just ``line1`` when ``field`` is empty).
    """
    from storebridge.model.objects import Address  # the model imports this module

    member(value, field or "address", Address)
    prefix = f"{field}." if field else ""
    for attribute in attrs.fields(Address):
        part = getattr(value, attribute.name)
        if part is not None:
            text(part, prefix + attribute.name)
    return value  # type: ignore[no-any-return]


__all__ = [
    "AMOUNT_DIGITS",
    "AMOUNT_MIN_EXPONENT",
    "EMAIL_MAX",
    "LINE_MAX",
    "MINOR_UNITS",
    "MULTILINE_MAX",
    "QUANTITY_MAX",
    "STOCK_MAX",
    "STOCK_MIN",
    "address",
    "aware",
    "checking_input",
    "choice",
    "currency",
    "describe",
    "email",
    "flag",
    "items",
    "member",
    "minor_units",
    "money",
    "platform_data",
    "quantity",
    "refund_lines",
    "stock",
    "text",
]
