"""What every model object can do: become a JSON-safe dict or JSON text, and come back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class ModelObject:
    """Base of the model classes: ``to_dict()``, ``to_json()`` and ``from_dict()``.

    Decimals become strings, datetimes ISO 8601 text, enums their value, tuples lists; the
    platform's ``raw`` payload is left out unless ``include_raw=True``.
    """

    __slots__ = ()

    # serialization.py imports the model, so these import it when called, not at load time.
    def to_dict(self, *, include_raw: bool = False) -> dict[str, Any]:
        """This object as a JSON-safe dict."""
        from storebridge.serialization import to_dict

        return to_dict(self, include_raw=include_raw)

    def to_json(self, *, include_raw: bool = False, indent: int | None = None) -> str:
        """This object as JSON text (non-ASCII characters kept as they are)."""
        from storebridge.serialization import to_json

        return to_json(self, include_raw=include_raw, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an object from :meth:`to_dict` output (``ValidationError`` if it can't)."""
        from storebridge.serialization import from_dict

        return from_dict(data, cls)


__all__ = ["ModelObject"]
