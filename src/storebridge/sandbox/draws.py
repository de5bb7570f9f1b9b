"""Seeding's random draws: the values :class:`random.Random` gives, in fewer Python calls.

Seeded stores must not change (cassettes, documentation examples and tests are built on
them), so every draw a seeding makes stays the same call on the same generator. A
100,000-order store makes over a million of them, and ``randint`` costs three Python
frames (``randint``, ``randrange``, ``_randbelow``) around one ``getrandbits``: these do
the same arithmetic on the same ``getrandbits`` in one frame. A test compares them with
:class:`random.Random` draw for draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["Draws"]

T = TypeVar("T")

_SMALL_SET = 21
"""``random.Random.sample`` draws from a copied pool up to this population (for k <= 5)."""


class Draws:
    """``randint``, ``randrange``, ``choice``, ``sample`` and ``random`` of ``rng``, giving
    exactly what ``rng``'s own methods would and advancing it the same way."""

    __slots__ = ("_bits", "random")

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits
        self.random = rng.random

    def below(self, n: int) -> int:
        """A whole number in ``[0, n)``, as ``random.Random._randbelow`` draws it."""
        if n <= 0:
            raise ValueError("empty range for a draw")
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    def randrange(self, start: int, stop: int) -> int:
        """``rng.randrange(start, stop)``."""
        n = stop - start
        if n <= 0:
            raise ValueError(f"empty range for randrange({start}, {stop})")
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return start + r

    def randint(self, low: int, high: int) -> int:
        """``rng.randint(low, high)``."""
        n = high - low + 1
        if n <= 0:
            raise ValueError(f"empty range for randint({low}, {high})")
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return low + r

    def choice(self, seq: Sequence[T]) -> T:
        """``rng.choice(seq)``."""
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return seq[r]

    def sample(self, population: Sequence[T], k: int) -> list[T]:
        """``rng.sample(population, k)`` for ``k`` up to 5 (what seeding asks for)."""
        n = len(population)
        if not 0 <= k <= n:
            raise ValueError("Sample larger than population or is negative")
        if k > 5:
            raise ValueError("Draws.sample takes up to 5 elements")
        below = self.below
        result: list[T] = []
        if n <= _SMALL_SET:
            pool = list(population)
            for i in range(k):
                j = below(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
        else:
            selected: set[int] = set()
            for _ in range(k):
                j = below(n)
                while j in selected:
                    j = below(n)
                selected.add(j)
                result.append(population[j])
        return result
