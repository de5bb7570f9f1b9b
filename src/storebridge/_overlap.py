"""Proving that an offset page continues the page before it (``walk(overlap=...)``).

Offsets count places in a list the platform keeps in some order. Between two page reads a
record ahead of the boundary may be modified (in a list kept in order of change it moves
to the end) or deleted: every record behind it shifts one place forward, and the record at
the boundary slides past both pages unseen. Each page is therefore asked for from a few
rows before the previous one ended, and those repeated rows are the proof.

A repeated row ``x`` proves the boundary when both of these hold:

* ``x`` is on the new page **holding what it held before**: a modified ``x`` has itself
  moved (in a list kept in order of change it is now at the end, and a last page would
  show it there while the records that slid past are gone);
* ``x`` stands **no further back** than it did. Records only leave the places ahead of an
  unmodified ``x`` (modified to the end, or deleted), never join them, so its place only
  ever goes down, and a record behind it cannot get ahead of it. Further back means:

  - for a page asked for after the page before it was answered, that something did join
    ahead of ``x`` (a list kept newest first puts every change at the front), and a record
    from behind may have jumped the boundary: an error;
  - for a page read ahead (asked for before the page before it was answered), that the
    platform answered it first, and a record ahead of ``x`` that moved to the end between
    the two answers is on neither page. Such a page is asked for again on its own, and is
    then answered after the page before it.

  Where ``x`` stands further forward, or where it stood, the boundary holds for pages read
  ahead too: its place only goes down, so the new page was answered after the page before
  it, or nothing ahead of ``x`` moved between the two answers.

This holds for a list kept oldest change first, and for one kept by key (a modified record
keeps its place; only deletions move the rest). A list kept newest first breaks the
premise: a change joins the front. The rules catch such a jump when it alone moves ``x``,
not when a deletion ahead of ``x`` offsets it, which leaves ``x`` where it stood; an adapter
whose platform may keep lists so reads the head of the list again after the walk (see
24Nettbutikk's ``_newest_first``), with ``walk(seen=...)`` so that only what the walk did
not yield is yielded. With that read to rely on, ``walk(stand_back=...)`` lets it accept a
page whose ``x`` stands further back (what joined ahead is in the head) while the list
still looks newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from storebridge.payload import Payload

__all__ = ["STANDS_BACK", "Tail", "continuity", "tail_of", "whole_row"]

STANDS_BACK = "the last records of that page stand further back on it than they did"
"""What :func:`continuity` says when the repeated rows are there, unchanged, but further
back: records joined ahead of them (see ``walk(stand_back=...)``)."""


def whole_row(row: Any) -> object:
    """What a row holds, to compare two reads of it: a Payload's data, else the row."""
    return row.data if isinstance(row, Payload) else row


@attrs.frozen
class Tail:
    """The last rows of a page, which the next page repeats: their keys, what each held,
    and where each stood (in the list when the page gives its offset, else counted from
    the first repeated row, where the next page starts)."""

    keys: tuple[object, ...]
    held: tuple[object, ...]
    places: tuple[int, ...]


def tail_of(
    rows: Sequence[Any],
    repeated: int,
    offset: int | None,
    key: Callable[[Any], object],
    version: Callable[[Any], object],
) -> Tail | None:
    """The last ``repeated`` of ``rows`` (a page at ``offset``, if known) as a :class:`Tail`."""
    if repeated <= 0:
        return None
    first = len(rows) - repeated
    last = rows[first:]
    # Without an offset, places count from the first repeated row: where the next page
    # starts when nothing moved.
    base = 0 if offset is None else offset + first
    return Tail(
        keys=tuple(key(row) for row in last),
        held=tuple(version(row) for row in last),
        places=tuple(base + i for i in range(repeated)),
    )


def continuity(
    tail: Tail,
    rows: Sequence[Any],
    offset: int | None,
    key: Callable[[Any], object],
    version: Callable[[Any], object],
) -> str | None:
    """None when ``rows`` (a page at ``offset``, if known) continue ``tail`` as the module
    docstring says; else what is wrong, for the error message."""
    where = {k: i for i, k in enumerate(tail.keys)}
    found = modified = 0
    for index, row in enumerate(rows):
        i = where.get(key(row))
        if i is None:
            continue
        found += 1
        if version(row) != tail.held[i]:
            modified += 1
            continue
        place = index if offset is None else offset + index
        if place <= tail.places[i]:
            return None
    if not found:
        return f"none of that page's last {len(tail.keys)} records is on it"
    if modified == found:
        return "the last records of that page that it repeats were modified in between"
    return STANDS_BACK
