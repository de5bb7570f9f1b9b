"""SeenKeys, the listings' memory of the keys they yielded: exactly a set, in less memory."""

from __future__ import annotations

import random
import sys
import tracemalloc
from collections.abc import Hashable
from types import FrameType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge._seen import SeenKeys

_KEYS = st.one_of(
    st.integers(0, 60).map(str),  # small numbers: runs form, merge and touch
    st.integers(0, 10**19).map(str),  # past 18 digits the text stays text
    st.sampled_from(["0", "00", "007", "7", "-7", "+7", " 7", "7 ", "", "١٢", "²"]),
    st.integers(0, 60),  # an int is not the same key as its text
    st.text(max_size=3),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEYS, max_size=200), st.integers(1, 8))
def test_it_answers_as_a_set_would(keys: list[Hashable], fold_at: int) -> None:
    seen, reference = SeenKeys(fold_at=fold_at), set[Hashable]()
    for key in keys:
        assert (key in seen) == (key in reference), key
        assert seen.add_new(key) == (key not in reference), key
        reference.add(key)
        assert key in seen
    assert len(seen) == len(reference)
    for probe in ["1", "61", "59", 1, "01", "1000000000000000000", (0, 0)]:
        assert (probe in seen) == (probe in reference), probe


class _Text(str):
    """A str subclass, as a key function might return (an enum's str mix-in, say)."""


def test_a_str_subclass_is_the_same_key_as_the_plain_text() -> None:
    for fold_at in (1, 1024):
        seen = SeenKeys(fold_at=fold_at)
        assert seen.add_new(_Text("123"))
        assert "123" in seen and not seen.add_new("123")
        assert seen.add_new("124") and _Text("124") in seen
        assert not seen.add_new(_Text("124"))


def test_numbers_next_to_a_run_are_not_in_it() -> None:
    seen = SeenKeys(fold_at=1)
    for number in [*range(10, 20), *range(30, 40)]:
        seen.add_new(str(number))
    for outside in ["9", "20", "21", "29", "40", "0", str(2**62)]:
        assert outside not in seen, outside
    for inside in ["10", "19", "30", "39", "25"[:0] + "35"]:
        assert inside in seen, inside
    assert seen.add_new("20") and "20" in seen and "21" not in seen
    assert seen.add_new("21") and not seen.add_new("21")


def _bytes_held(keys: list[int]) -> tuple[int, int]:
    """Memory a set and a SeenKeys hold once every key is in, each key a fresh text as a
    parsed row's is (the set keeps the text alive; SeenKeys keeps the number)."""
    held: list[int] = []
    for make in (_as_set, _as_seen):
        tracemalloc.start()
        try:
            make([str(key) for key in keys], held)
        finally:
            tracemalloc.stop()
    return held[0], held[1]


def _as_set(texts: list[str], held: list[int]) -> None:
    store: set[str] = set()
    for text in texts:
        store.add(text)
    del texts[:]
    held.append(tracemalloc.get_traced_memory()[0])


def _as_seen(texts: list[str], held: list[int]) -> None:
    store = SeenKeys()
    for text in texts:
        store.add_new(text)
    del texts[:]
    held.append(tracemalloc.get_traced_memory()[0])


def test_consecutive_ids_take_next_to_no_memory_and_scattered_ones_a_fraction() -> None:
    count = 20_000
    counting_up = [100_000 + n for n in range(count)]
    as_set, as_runs = _bytes_held(counting_up)
    assert as_set > 80 * count  # what a set holds: the reason for SeenKeys
    # One run, and at most one fold's worth of numbers waiting (1024, about 60 KiB).
    assert as_runs < 96 * 1024, as_runs

    scattered = random.Random(7).sample(range(10**13, 10**14), count)
    as_set, as_runs = _bytes_held(scattered)
    assert as_runs < as_set / 3, (as_set, as_runs)


def test_a_reader_between_any_two_steps_of_a_fold_sees_exactly_the_added_keys() -> None:
    # A SHOPLINE window filters its rows by the keys other windows yielded, without the
    # writers' lock, so another thread may ask at any point of a fold: it must not miss a
    # key for a moment, nor find one not added. The reader is played here at every line
    # of the fold, on the writer's thread, so every interleaving is tried.
    seen, added, wrong = SeenKeys(fold_at=4), list[str](), list[str]()

    def at_each_line(frame: FrameType, event: str, _arg: object) -> Any:
        if event == "line":
            wrong.extend(f"{key} added but not found" for key in added if key not in seen)
            wrong.extend(f"{key} found" for key in ("0", "99") if key in seen)
        return at_each_line

    def on_call(frame: FrameType, _event: str, _arg: object) -> Any:
        return at_each_line if frame.f_code is SeenKeys._fold.__code__ else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        for number in [5, 1, 9, 2, 7, 3, 8, 4, 6, 10, 11, 30, 12, 31, 20, 21, 22, 40, 41, 13]:
            seen.add_new(str(number))
            added.append(str(number))
    finally:
        sys.settrace(previous)
    assert not wrong, wrong[:3]
    assert len(seen) == len(added)
