"""Paged answers for emulators: sorted indexes, spans, and offset or keyset pages.

A list request should cost work proportional to the page, not to the store, so emulators
keep their records in :class:`SortedIndex` es (sorted once at seeding, updated in place as
records come and change), cut the requested range out with a bisect (:meth:`SortedIndex.span`)
and slice the page out of it (:func:`offset_page`, :func:`keyset_page`). Filters the index
cannot answer are applied once per query and data revision and kept (:class:`Listings`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs

__all__ = ["Listings", "Page", "SortedIndex", "Span", "keyset_page", "offset_page"]

T = TypeVar("T")
_ABSENT = object()


class Span(Sequence[T]):
    """Records ``start:stop`` of a sorted run, read ascending or descending, with their keys.

    A span of an index is a view, valid until the index changes; :meth:`where` and
    :meth:`reordered` return spans that own their records (safe to keep).
    """

    __slots__ = ("_descending", "_keys", "_records", "_start", "_stop")

    def __init__(
        self,
        keys: Sequence[Any],
        records: Sequence[T],
        start: int = 0,
        stop: int | None = None,
        *,
        descending: bool = False,
    ) -> None:
        self._keys = keys
        self._records = records
        self._start = start
        self._stop = len(records) if stop is None else stop
        self._descending = descending

    @classmethod
    def of(cls, pairs: Iterable[tuple[Any, T]]) -> Span[T]:
        """A span owning ``(key, record)`` pairs, sorted by key (keys must be unique)."""
        ordered = sorted(pairs, key=lambda pair: pair[0])
        return cls([k for k, _ in ordered], [r for _, r in ordered])

    def __len__(self) -> int:
        return max(0, self._stop - self._start)

    def _position(self, index: int) -> int:
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("span index out of range")
        return self._stop - 1 - index if self._descending else self._start + index

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, int):
            return self._records[self._position(index)]
        first, last, step = index.indices(len(self))
        if step != 1:
            raise ValueError("spans slice with step 1 only")
        if last <= first:
            return []
        if self._descending:
            chunk = self._records[self._stop - last : self._stop - first]
            return list(reversed(chunk))
        return list(self._records[self._start + first : self._start + last])

    def __iter__(self) -> Iterator[T]:
        for index in range(len(self)):
            yield self._records[self._position(index)]

    def key_at(self, index: int) -> Any:
        return self._keys[self._position(index)]

    def first_after(self, key: Any) -> int:
        """Position of the first record whose key is greater than ``key`` (ascending spans)."""
        self._need_ascending()
        return bisect_right(self._keys, key, self._start, self._stop) - self._start

    def first_at(self, key: Any) -> int:
        """Position of the first record whose key is ``key`` or greater (ascending spans)."""
        self._need_ascending()
        return bisect_left(self._keys, key, self._start, self._stop) - self._start

    def _need_ascending(self) -> None:
        if self._descending:
            raise ValueError("keyed positions need an ascending span")

    def where(self, predicate: Callable[[T], bool]) -> Span[T]:
        """The records that pass ``predicate``, in the same order (a span of its own)."""
        keys: list[Any] = []
        records: list[T] = []
        for index in range(len(self)):
            position = self._position(index)
            record = self._records[position]
            if predicate(record):
                keys.append(self._keys[position])
                records.append(record)
        return Span(keys, records)

    def reordered(self, key: Callable[[T], Any]) -> Span[T]:
        """The same records sorted ascending by another (unique) ``key``."""
        return Span.of((key(record), record) for record in self)


class SortedIndex(Generic[T]):
    """Records kept sorted by ``key`` (unique per record: end it with the record's id).

    Built with one sort; :meth:`add`, :meth:`discard` and :meth:`refresh` (after a record's
    key fields changed) keep it sorted with a bisect each, so an emulator never re-sorts a
    store to answer a request. ``ident`` names a record (its id) so a changed record can be
    found under its old key.
    """

    def __init__(
        self,
        key: Callable[[T], Any],
        ident: Callable[[T], Hashable],
        records: Iterable[T] = (),
    ) -> None:
        self._key = key
        self._ident = ident
        pairs = sorted(((key(r), r) for r in records), key=lambda pair: pair[0])
        self._keys: list[Any] = [k for k, _ in pairs]
        self._records: list[T] = [r for _, r in pairs]
        self._current: dict[Hashable, Any] = {ident(r): k for k, r in pairs}

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: T) -> None:
        """Insert ``record``, or move it if its key changed since it was added."""
        ident = self._ident(record)
        key = self._key(record)
        if ident in self._current:
            old = self._current[ident]
            if old == key:
                return
            self._remove(old)
        keys = self._keys
        if not keys or key >= keys[-1]:
            # Records mostly arrive in key order (ids, creation times): append.
            keys.append(key)
            self._records.append(record)
        else:
            position = bisect_right(keys, key)
            keys.insert(position, key)
            self._records.insert(position, record)
        self._current[ident] = key

    def discard(self, record: T) -> None:
        key = self._current.pop(self._ident(record), _ABSENT)
        if key is not _ABSENT:
            self._remove(key)

    def refresh(self, record: T) -> None:
        """Move ``record`` to where its current key belongs (after its fields changed)."""
        self.add(record)

    def _remove(self, key: Any) -> None:
        position = bisect_left(self._keys, key)
        del self._keys[position]
        del self._records[position]

    def bounds(
        self,
        low: Any = None,
        high: Any = None,
        *,
        by: Callable[[Any], Any] | None = None,
        include_low: bool = True,
        include_high: bool = True,
    ) -> tuple[int, int]:
        """Positions ``[start, stop)`` of the records whose ``by(key)`` lies within bounds.

        ``by`` projects a key to what the bounds compare with (a leading field, say); it
        must be ordered like the keys. None bounds are open ends.
        """
        keys = self._keys
        start, stop = 0, len(keys)
        if low is not None:
            pick = bisect_left if include_low else bisect_right
            start = pick(keys, low, key=by) if by else pick(keys, low)
        if high is not None:
            pick = bisect_right if include_high else bisect_left
            stop = pick(keys, high, key=by) if by else pick(keys, high)
        return start, max(start, stop)

    def span(
        self,
        low: Any = None,
        high: Any = None,
        *,
        by: Callable[[Any], Any] | None = None,
        include_low: bool = True,
        include_high: bool = True,
        descending: bool = False,
    ) -> Span[T]:
        """The records within bounds (see :meth:`bounds`), as a view."""
        start, stop = self.bounds(
            low, high, by=by, include_low=include_low, include_high=include_high
        )
        return Span(self._keys, self._records, start, stop, descending=descending)


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its records, where it starts, the page size asked for, and
    how many records the whole listing has. ``has_next`` / ``has_previous``: records come
    after / before the page's place in the listing (even when the page itself is empty)."""

    items: list[T]
    offset: int
    limit: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0 and self.total > 0


def offset_page(rows: Sequence[T], offset: int, limit: int) -> Page[T]:
    """Records ``offset`` .. ``offset + limit`` of ``rows`` (past the end: empty)."""
    return Page(list(rows[offset : offset + limit]), offset, limit, len(rows))


def keyset_page(rows: Span[T], *, limit: int, after: Any = None, before: Any = None) -> Page[T]:
    """A page of an ascending span by key: the first ``limit`` records after ``after``, or
    the last ``limit`` before ``before`` (a previous page), or the first ``limit``."""
    if before is not None:
        stop = rows.first_at(before)
        start = max(0, stop - limit)
    else:
        start = rows.first_after(after) if after is not None else 0
        stop = start + limit
    return Page(rows[start:stop], start, limit, len(rows))


class Listings:
    """Answers to filtered queries, computed once per query and store revision.

    Emulators answer a filter their indexes cannot (a status, a tag) by building the
    filtered span on the first page and reusing it for the following pages; any change to
    the store (a new ``revision``) drops every kept answer. The ``capacity`` most recent
    queries are kept.
    """

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self._revision: int | None = None
        self._kept: OrderedDict[Hashable, Span[Any]] = OrderedDict()

    def get(self, query: Hashable, revision: int, build: Callable[[], Span[T]]) -> Span[T]:
        if revision != self._revision:
            self._kept.clear()
            self._revision = revision
        found = self._kept.get(query)
        if found is None:
            found = self._kept[query] = build()
            if len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(query)
        return found
