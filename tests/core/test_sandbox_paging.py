"""Sorted indexes, spans and pages: a list request costs the page, and answers what a full
sort-and-filter of the store would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.sandbox import Listings, SortedIndex, Span, keyset_page, offset_page

Record = dict[str, Any]


def index_of(records: list[Record]) -> SortedIndex[Record]:
    return SortedIndex(key=lambda r: (r["at"], r["id"]), ident=lambda r: r["id"], records=records)


def brute(records: list[Record], low: int | None, high: int | None) -> list[Record]:
    inside = [
        r for r in records if (low is None or r["at"] >= low) and (high is None or r["at"] <= high)
    ]
    return sorted(inside, key=lambda r: (r["at"], r["id"]))


def ids(rows: Any) -> list[int]:
    return [r["id"] for r in rows]


def test_span_bounds_inclusive_exclusive_and_descending() -> None:
    records = [{"id": i, "at": at} for i, at in enumerate([5, 1, 3, 3, 9, 7])]
    index = index_of(records)
    lead = lambda key: key[0]  # noqa: E731 - the bounds compare the leading field
    assert ids(index.span(3, 7, by=lead)) == [2, 3, 0, 5]
    assert ids(index.span(3, 7, by=lead, include_low=False, include_high=False)) == [0]
    assert ids(index.span(3, 7, by=lead, descending=True)) == [5, 0, 3, 2]
    assert ids(index.span(None, 3, by=lead)) == [1, 2, 3]
    assert ids(index.span(10, None, by=lead)) == []
    assert ids(index.span(8, 2, by=lead)) == []  # an empty window, not an error


def test_add_refresh_and_discard_keep_the_order() -> None:
    records = [{"id": i, "at": i * 10} for i in range(5)]
    index = index_of(records)
    records[0]["at"] = 25
    index.refresh(records[0])
    index.add({"id": 9, "at": 15})
    index.discard(records[4])
    index.discard({"id": 42, "at": 0})  # never added: nothing happens
    assert ids(index.span()) == [1, 9, 2, 0, 3]
    assert len(index) == 5


def test_span_slices_like_a_list_in_both_directions() -> None:
    records = [{"id": i, "at": i} for i in range(10)]
    index = index_of(records)
    forward = index.span(2, 8, by=lambda k: k[0])
    backward = index.span(2, 8, by=lambda k: k[0], descending=True)
    expected = list(range(2, 9))
    for start, stop in ((0, 3), (3, 100), (-2, None), (5, 2), (None, None), (50, 60)):
        assert ids(forward[start:stop]) == expected[start:stop]
        assert ids(backward[start:stop]) == expected[::-1][start:stop]
    assert backward[0]["id"] == 8 and backward[-1]["id"] == 2
    with pytest.raises(IndexError):
        forward[7]
    assert ids(forward.where(lambda r: r["id"] % 2 == 0)) == [2, 4, 6, 8]
    assert ids(backward.reordered(lambda r: -r["id"])) == expected[::-1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["add", "move", "drop"]), st.integers(0, 30), st.integers(0, 50)),
        max_size=80,
    ),
    st.one_of(st.none(), st.integers(0, 50)),
    st.one_of(st.none(), st.integers(0, 50)),
)
def test_an_index_under_changes_answers_like_a_full_sort(
    operations: list[tuple[str, int, int]], low: int | None, high: int | None
) -> None:
    index: SortedIndex[Record] = index_of([])
    live: dict[int, Record] = {}
    for op, ident, at in operations:
        if op == "add" and ident not in live:
            live[ident] = {"id": ident, "at": at}
            index.add(live[ident])
        elif op == "move" and ident in live:
            live[ident]["at"] = at
            index.refresh(live[ident])
        elif op == "drop" and ident in live:
            index.discard(live.pop(ident))
    expected = brute(list(live.values()), low, high)
    assert ids(index.span(low, high, by=lambda k: k[0])) == ids(expected)
    assert ids(index.span(low, high, by=lambda k: k[0], descending=True)) == ids(expected)[::-1]


def test_offset_pages_say_whether_more_follow() -> None:
    rows = list(range(7))
    first, last, beyond = offset_page(rows, 0, 3), offset_page(rows, 6, 3), offset_page(rows, 9, 3)
    assert first.items == [0, 1, 2] and first.has_next and not first.has_previous
    assert last.items == [6] and not last.has_next and last.has_previous
    assert beyond.items == [] and not beyond.has_next and beyond.has_previous
    assert offset_page([], 0, 3).has_previous is False


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 1000), unique=True, max_size=40),
    st.integers(1, 7),
    st.one_of(st.none(), st.integers(-5, 1005)),
    st.booleans(),
)
def test_keyset_pages_answer_like_filtering_by_key(
    keys: list[int], limit: int, cursor: int | None, backwards: bool
) -> None:
    rows = Span.of((k, {"id": k}) for k in keys)
    ordered = sorted(keys)
    if cursor is None:
        page = keyset_page(rows, limit=limit)
        before = 0
    elif backwards:
        page = keyset_page(rows, limit=limit, before=cursor)
        before = max(0, len([k for k in ordered if k < cursor]) - limit)
    else:
        page = keyset_page(rows, limit=limit, after=cursor)
        before = len([k for k in ordered if k <= cursor])
    expected = ordered[before:][:limit]
    if backwards and cursor is not None:
        expected = [k for k in ordered if k < cursor][-limit:]
    assert ids(page.items) == expected
    # "Previous" / "next": records come before / after the page's place in the listing.
    assert page.has_previous == (before > 0)
    assert page.has_next == (before + len(expected) < len(ordered))


def test_listings_build_once_per_query_and_revision() -> None:
    built: list[str] = []

    def build(name: str) -> Span[int]:
        built.append(name)
        return Span.of([(1, 1)])

    listings = Listings(capacity=2)
    listings.get("a", 1, lambda: build("a"))
    listings.get("a", 1, lambda: build("a"))
    listings.get("b", 1, lambda: build("b"))
    assert built == ["a", "b"]
    listings.get("a", 2, lambda: build("a"))  # the store changed: kept answers are stale
    assert built == ["a", "b", "a"]
    listings.get("b", 2, lambda: build("b"))
    listings.get("c", 2, lambda: build("c"))  # capacity 2: "a" is dropped, "b" and "c" kept
    listings.get("b", 2, lambda: build("b"))
    listings.get("a", 2, lambda: build("a"))
    assert built == ["a", "b", "a", "b", "c", "a"]
