"""(De)serialising model objects with cattrs.

Two kinds of converter exist:

* :data:`model_converter` turns model objects into JSON-safe dicts and back (exports, the
  migration ledger, caching). Decimals become strings, datetimes ISO 8601, enums their value.
  :func:`to_dict`, :func:`to_json` and :func:`from_dict` (also methods of every model object)
  wrap it; the platform's ``raw`` payload is left out unless asked for.
* :func:`make_wire_converter` builds a platform's converter from structure hooks that read the
  platform's payloads through :class:`~storebridge.payload.Payload`. Each adapter has one
  factory for it, whose docstring lists its mapping rules; errors carry a JSON path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from storebridge.errors import PayloadError, ValidationError
from storebridge.model.money import Money
from storebridge.payload import Payload, parse_iso_datetime
from storebridge.validation import platform_data

T = TypeVar("T")

# What a hook may raise when a platform value is bad in a way no accessor checked (a model
# constructor refusing it, a converter indexing a string...). Anything else is a bug.
_BAD_DATA = (ValueError, TypeError, LookupError, ArithmeticError, AttributeError, RecursionError)


def _plain_decimal(value: Decimal) -> str:
    """Decimal as positional text: ``7000``, never ``7E+3`` (which JSON readers and
    spreadsheets take for a float or text)."""
    return format(value, "f")


def _money(value: Any, _cls: type) -> Money:
    return Money(value["amount"], value["currency"])


def _make_model_converter(*, include_raw: bool) -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, _plain_decimal)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: parse_iso_datetime(v))
    conv.register_unstructure_hook(
        Money, lambda m: {"amount": _plain_decimal(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(Money, _money)
    # ``raw`` is the platform's JSON as parsed: passed through as is, or not walked at all.
    raw = override(unstruct_hook=lambda v: v) if include_raw else override(omit=True)

    def unstructure_fn(cls: type) -> Callable[[Any], dict[str, Any]]:
        if any(a.name == "raw" for a in attrs.fields(cls)):
            return make_dict_unstructure_fn(cls, conv, raw=raw)
        return make_dict_unstructure_fn(cls, conv)

    conv.register_unstructure_hook_factory(attrs.has, unstructure_fn)
    return conv


model_converter: cattrs.Converter = _make_model_converter(include_raw=True)
"""Model objects <-> JSON-safe dicts, ``raw`` included."""

_without_raw = _make_model_converter(include_raw=False)


def to_dict(obj: Any, *, include_raw: bool = False) -> dict[str, Any]:
    """A JSON-safe dict of a model object (``raw`` left out unless ``include_raw``)."""
    converter = model_converter if include_raw else _without_raw
    data: dict[str, Any] = converter.unstructure(obj)
    return data


def to_json(obj: Any, *, include_raw: bool = False, indent: int | None = None) -> str:
    """A model object as JSON text; non-ASCII characters are kept as they are."""
    return json.dumps(to_dict(obj, include_raw=include_raw), ensure_ascii=False, indent=indent)


_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
"""Characters JSON leaves as they are but ``str.splitlines()`` (and some JSON Lines
readers) break lines at: escaped, one record stays one line."""


def json_line(data: Any) -> str:
    """``data`` as one line of JSON Lines (newline included); non-ASCII kept as it is."""
    return json.dumps(data, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def from_dict(data: Mapping[str, Any], cls: type[T]) -> T:
    """Rebuild a model object from :func:`to_dict` output.

    Objects read from a platform are rebuilt as they were read (under
    :func:`~storebridge.validation.platform_data`); drafts are checked again, as always.
    Data that does not fit ``cls`` raises :class:`~storebridge.errors.ValidationError`.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(f"{cls.__name__}.from_dict needs a mapping, got "
                              f"{type(data).__name__}")  # fmt: skip
    try:
        with platform_data():
            return model_converter.structure(dict(data), cls)
    except ValidationError:
        raise
    except cattrs.BaseValidationError as exc:
        found = _first_validation_error(exc)
        if found is not None:  # a model check refused a value: its message names the field
            raise found from exc
        leaves = cattrs.transform_error(exc, path="$")
        raise ValidationError(
            f"cannot rebuild {cls.__name__}: {'; '.join(leaves[:3])}", field=None
        ) from exc
    except _BAD_DATA as exc:
        raise ValidationError(f"cannot rebuild {cls.__name__}: {exc}") from exc


def _first_validation_error(group: BaseExceptionGroup[Any]) -> ValidationError | None:
    pending: list[BaseException] = [group]
    while pending:  # a loop, not recursion: groups nest as deep as the data
        current = pending.pop(0)
        if isinstance(current, ValidationError):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
    return None


WireHook = Callable[[Payload], Any]


def make_wire_converter(platform: str, hooks: Mapping[type, WireHook]) -> cattrs.Converter:
    """A converter that structures ``platform`` payloads into model classes via ``hooks``.

    Each hook receives a :class:`Payload` rooted at ``$`` (or the Payload it is given) and
    runs inside :func:`~storebridge.validation.platform_data`, so model objects represent
    what the platform sent. An error other than PayloadError raised inside it (a model
    object refusing a value, a hook tripping over a value of the wrong type) becomes a
    PayloadError at the payload's path.
    """
    conv = cattrs.Converter()
    for cls, hook in hooks.items():
        conv.register_structure_hook(cls, _wrap(platform, cls, hook))
    return conv


def _wrap(platform: str, cls: type, hook: WireHook) -> Callable[[Any, type], Any]:
    def structure(value: Any, _cls: type) -> Any:
        payload = value if isinstance(value, Payload) else Payload(value, "$", platform)
        return read_payload(payload, hook, what=cls.__name__)

    return structure


def read_payload(payload: Payload, read: Callable[..., T], *args: Any, what: str = "record") -> T:
    """``read(payload, *args)`` as a wire converter runs its hooks: inside
    :func:`~storebridge.validation.platform_data`, and with any bad-data error turned into a
    PayloadError at ``payload.path``. For converter functions an adapter calls directly::

        refund = read_payload(body.obj("data"), converter.refund, currency)
    """
    try:
        with platform_data():
            return read(payload, *args)
    except PayloadError:
        raise
    except _BAD_DATA as exc:
        detail = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise PayloadError(
            f"cannot read a {what}: {detail[:300]}", path=payload.path, platform=payload.platform
        ) from exc


__all__ = [
    "from_dict",
    "json_line",
    "make_wire_converter",
    "model_converter",
    "read_payload",
    "to_dict",
    "to_json",
]
