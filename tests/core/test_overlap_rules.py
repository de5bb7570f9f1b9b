"""The overlap rules of offset paging, against a model of a list kept in order of change.

A shop's list: records in order of their last change; modifying one moves it to the end
(and changes what it holds), deleting one closes the gap. A listing reads pages of
``LIMIT`` rows at offsets ``LIMIT - OVERLAP`` apart, each page answered at some moment of
a schedule that also modifies and deletes records, pages read ahead answered in any
order. Whatever the schedule, when every boundary passes (a page read ahead that fails
is asked for again, answered after the page before it), every record that existed from
the first answer to the last is on some page.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from storebridge._overlap import continuity, tail_of

LIMIT, OVERLAP = 6, 2
STEP = LIMIT - OVERLAP


class Shop:
    def __init__(self, size: int) -> None:
        self.rows: list[tuple[int, int]] = [(i, 0) for i in range(size)]  # (key, version)

    def page(self, offset: int) -> list[tuple[int, int]]:
        return list(self.rows[offset : offset + LIMIT])

    def modify(self, rng: random.Random) -> None:
        if self.rows:
            key, version = self.rows.pop(rng.randrange(len(self.rows)))
            self.rows.append((key, version + 1))

    def delete(self, rng: random.Random) -> None:
        if self.rows:
            self.rows.pop(rng.randrange(len(self.rows)))

    def change(self, rng: random.Random) -> None:
        (self.modify if rng.random() < 0.8 else self.delete)(rng)


def _key(row: Any) -> object:
    return row[0]


def _held(row: Any) -> object:
    return row


def listing(
    seed: int, *, rule: Any = continuity, held: Any = _held
) -> tuple[set[int], set[int]] | None:
    """Every key read and every key that existed throughout, or None when a boundary
    failed for a page read in turn (the walk raises then)."""
    rng = random.Random(seed)
    shop = Shop(rng.randrange(8, 30))
    survivors = {key for key, _ in shop.rows}
    pages = len(shop.rows) // STEP + 2
    # Pages read ahead: answered in a shuffled order, the shop changing in between.
    answered: dict[int, list[tuple[int, int]]] = {}
    for k in rng.sample(range(pages), pages):
        for _ in range(rng.choice((0, 0, 1, 2))):
            shop.change(rng)
        answered[k] = shop.page(k * STEP)
    read: set[int] = set()
    tail = None
    k = 0
    in_turn = False  # page k was asked for after page k - 1 was answered
    while True:
        rows = answered[k] if not in_turn else shop.page(k * STEP)
        if tail is not None and rule(tail, rows, k * STEP, _key, held) is not None:
            if in_turn:
                return None
            for _ in range(rng.choice((0, 1))):
                shop.change(rng)
            in_turn = True  # asked again on its own: answered after page k - 1
            continue
        read.update(key for key, _ in rows)
        if len(rows) < LIMIT:
            break
        tail = tail_of(rows, OVERLAP, k * STEP, _key, held)
        k += 1
        for _ in range(rng.choice((0, 0, 1))):
            shop.change(rng)
        # Read ahead when it was answered before; past the pages read ahead, asked in turn.
        in_turn = k not in answered
    return read, survivors & {key for key, _ in shop.rows}


@pytest.mark.parametrize("block", range(4))
def test_every_record_that_stayed_is_read_whenever_the_boundaries_hold(block: int) -> None:
    exact = failed = 0
    for seed in range(block * 1500, (block + 1) * 1500):
        outcome = listing(seed)
        if outcome is None:
            failed += 1
            continue
        read, stayed = outcome
        assert stayed <= read, (seed, sorted(stayed - read))
        exact += 1
    assert exact > 500 and failed > 0  # both outcomes happen: the schedules bite


def _any_repeated(tail: Any, rows: Any, offset: Any, key: Any, held: Any) -> str | None:
    """The rule before: some repeated key anywhere on the page."""
    return None if any(key(row) in tail.keys for row in rows) else "none"


def _anywhere(tail: Any, rows: Any, offset: Any, key: Any, held: Any) -> str | None:
    """Without the places: a repeated row holding what it held, anywhere on the page."""
    return continuity(tail, rows, -len(rows), key, held)


@pytest.mark.parametrize(
    ("rule", "held"),
    [(_any_repeated, _held), (_anywhere, _held), (continuity, _key)],
    ids=["a-repeated-key", "without-places", "without-what-rows-hold"],
)
def test_each_rule_is_needed(rule: Any, held: Any) -> None:
    lost = 0
    for seed in range(3000):
        outcome = listing(seed, rule=rule, held=held)
        if outcome is not None and not outcome[1] <= outcome[0]:
            lost += 1
    assert lost > 0
