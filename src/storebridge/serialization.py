"""(De)serialising model objects with cattrs.

Two kinds of converter exist:

* :data:`model_converter` turns model objects into JSON-safe dicts and back (exports, the
  migration ledger, caching). Decimals become strings, datetimes ISO 8601, enums their value.
* :func:`make_wire_converter` builds a platform's converter from structure hooks that read the
  platform's payloads through :class:`~storebridge.payload.Payload`. Each adapter has one
  factory for it, whose docstring lists its mapping rules; errors carry a JSON path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from storebridge.errors import PayloadError
from storebridge.model.money import Money
from storebridge.payload import Payload, parse_iso_datetime

T = TypeVar("T")


def _make_model_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: parse_iso_datetime(v))
    conv.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(Money, lambda v, _: Money(v["amount"], v["currency"]))
    return conv


model_converter: cattrs.Converter = _make_model_converter()


def to_dict(obj: Any, *, include_raw: bool = False) -> dict[str, Any]:
    """A JSON-safe dict of a model object (``raw`` dropped unless ``include_raw``)."""
    data: dict[str, Any] = model_converter.unstructure(obj)
    if not include_raw:
        _drop_raw(data)
    return data


def _drop_raw(value: Any) -> None:
    if isinstance(value, dict):
        value.pop("raw", None)
        for item in value.values():
            _drop_raw(item)
    elif isinstance(value, list):
        for item in value:
            _drop_raw(item)


def from_dict(data: Mapping[str, Any], cls: type[T]) -> T:
    """Rebuild a model object from :func:`to_dict` output."""
    return model_converter.structure(dict(data), cls)


WireHook = Callable[[Payload], Any]


def make_wire_converter(platform: str, hooks: Mapping[type, WireHook]) -> cattrs.Converter:
    """A converter that structures ``platform`` payloads into model classes via ``hooks``.

    Each hook receives a :class:`Payload` rooted at ``$``; errors other than PayloadError
    raised inside it (a bad value making a model object) become PayloadError at ``$``.
    """
    conv = cattrs.Converter()
    for cls, hook in hooks.items():
        conv.register_structure_hook(cls, _wrap(platform, hook))
    return conv


def _wrap(platform: str, hook: WireHook) -> Callable[[Any, type], Any]:
    def structure(value: Any, _cls: type) -> Any:
        payload = value if isinstance(value, Payload) else Payload(value, "$", platform)
        try:
            return hook(payload)
        except PayloadError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise PayloadError(str(exc), path=payload.path, platform=platform) from exc

    return structure


__all__ = ["from_dict", "make_wire_converter", "model_converter", "to_dict"]
