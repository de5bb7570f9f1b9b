"""Fields of a write a platform has no place for: refused by the facade, left out (and
reported) by a migration, never dropped in silence.

An adapter declares them in :attr:`Adapter.not_kept` as ``"Class.field"`` (the model
class of a draft, an update or an address) with why. ``customers.create(note=...)`` on 29
Next once went through with the note sent nowhere; it is a ValidationError now, naming
the field. A migration into such a platform leaves those fields out of its copies and
names each in ``MigrationReport.not_carried``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

from storebridge.errors import ValidationError

T = TypeVar("T")


def _set(value: Any) -> bool:
    return value not in (None, ()) and not (isinstance(value, str) and not value.strip())


def found(not_kept: Mapping[str, str], value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, why) of each field of ``value`` (an attrs object, and the ones in it) that
    ``not_kept`` names and that is set."""
    if not attrs.has(type(value)):
        return
    for field in attrs.fields(type(value)):
        inner = getattr(value, field.name)
        where = f"{path}.{field.name}" if path else field.name
        why = not_kept.get(f"{type(value).__name__}.{field.name}")
        if why is not None and _set(inner):
            yield where, why
        elif attrs.has(type(inner)):
            yield from found(not_kept, inner, where)
        elif isinstance(inner, tuple):
            for index, item in enumerate(inner):
                yield from found(not_kept, item, f"{where}[{index}]")


def refuse(not_kept: Mapping[str, str], value: Any, path: str, platform: str) -> None:
    """ValidationError naming the first field of ``value`` the platform does not keep."""
    for where, why in found(not_kept, value, path):
        raise ValidationError(
            f"{where}: {platform} has no place for it ({why}); leave it out", field=where
        )


def without(not_kept: Mapping[str, str], value: T) -> T:
    """``value`` with every field ``not_kept`` names cleared (None, or empty for tuples)."""
    if not not_kept or not attrs.has(type(value)):
        return value
    changes: dict[str, Any] = {}
    kind: Any = type(value)
    for field in attrs.fields(kind):
        inner = getattr(value, field.name)
        if f"{type(value).__name__}.{field.name}" in not_kept and _set(inner):
            changes[field.name] = () if isinstance(inner, tuple) else None
        elif attrs.has(type(inner)):
            stripped = without(not_kept, inner)
            if stripped is not inner:
                changes[field.name] = stripped
        elif isinstance(inner, tuple) and any(attrs.has(type(item)) for item in inner):
            items = tuple(without(not_kept, item) for item in inner)
            if any(a is not b for a, b in zip(items, inner, strict=True)):
                changes[field.name] = items
    return attrs.evolve(value, **changes) if changes else value  # type: ignore[misc]


def left_out(
    not_kept: Mapping[str, str], draft: T, what: str, platform: str
) -> tuple[T, tuple[str, ...]]:
    """``draft`` less the fields ``not_kept`` names, and a report line for each it set."""
    lines = tuple(
        f"{what}: {path} ({platform} has no place for it: {why})"
        for path, why in found(not_kept, draft, "")
    )
    return without(not_kept, draft), lines


__all__ = ["found", "left_out", "refuse", "without"]
