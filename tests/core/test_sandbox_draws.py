"""Seeding's fast draws give what random.Random gives, draw for draw, and leave the
generator where Random's own methods would."""

from __future__ import annotations

import random

import pytest

from storebridge.sandbox.draws import Draws

RANGES = [(0, 1), (1, 3), (0, 59), (5, 120), (49, 1999), (86_400, 400 * 86_400), (10**8, 10**9)]


@pytest.mark.parametrize("seed", [0, 5])
def test_every_draw_matches_random(seed: int) -> None:
    mine, theirs = random.Random(seed), random.Random(seed)
    draws = Draws(mine)
    steer = random.Random(seed + 1)  # picks which draw comes next, same for both
    small = list(range(7))
    big = [f"v{i}" for i in range(50)]
    for _ in range(5_000):
        kind = steer.randrange(7)
        low, high = steer.choice(RANGES)
        if kind == 0:
            assert draws.randint(low, high) == theirs.randint(low, high)
        elif kind == 1:
            assert draws.randrange(low, high) == theirs.randrange(low, high)
        elif kind == 2:
            seq = steer.choice((small, big, "abc", (None,)))
            assert draws.choice(seq) == theirs.choice(seq)
        elif kind == 3:
            population = steer.choice((small, big, big[:21], big[:22]))
            k = steer.randint(0, min(5, len(population)))
            assert draws.sample(population, k) == theirs.sample(population, k)
        elif kind == 4:
            assert draws.random() == theirs.random()
        elif kind == 5:
            assert draws.below(high) == theirs.randrange(high)
        else:
            assert draws.randint(low, low) == theirs.randint(low, low)
    assert mine.getstate() == theirs.getstate()


def test_empty_draws_are_refused_as_random_refuses_them() -> None:
    draws = Draws(random.Random(1))
    with pytest.raises(IndexError):
        draws.choice([])
    with pytest.raises(ValueError, match="empty range"):
        draws.randrange(3, 3)
    with pytest.raises(ValueError, match="empty range"):
        draws.randint(2, 1)
    with pytest.raises(ValueError, match="larger than population"):
        draws.sample([1, 2], 3)
