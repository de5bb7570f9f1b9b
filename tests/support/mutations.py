"""Mutating platform payloads for the payload-mutation tests of the core and each adapter."""

from __future__ import annotations

import copy
from typing import Any

Change = tuple[tuple[Any, ...], Any, bool]
"""(JSON path as keys and indexes, new value, delete the key instead)."""


def json_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value``, the root ``()`` first, then depth first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += json_paths(item, (*path, index))
    return found


def mutated(base: Any, changes: list[Change]) -> Any:
    """A deep copy of ``base`` with ``changes`` applied in turn; a change whose branch an
    earlier one replaced is skipped."""
    body = copy.deepcopy(base)
    for where, value, delete in changes:
        *parents, last = where
        holder: Any = body
        try:
            for key in parents:
                holder = holder[key]
            if delete and isinstance(holder, dict):
                holder.pop(last, None)
            else:
                holder[last] = value
        except (KeyError, IndexError, TypeError):
            continue
    return body


def deeply_nested(levels: int) -> Any:
    """A value nested ``levels`` deep, dicts and lists in turn (recursion-limit probes)."""
    value: Any = "bottom"
    for index in range(levels):
        value = [value] if index % 2 else {"x": value}
    return value
