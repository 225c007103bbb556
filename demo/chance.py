"""Draw from weighted choices and small counts with a seeded generator."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    """Return one item, drawn with the given weights."""
    population = list(weights)
    return rng.choices(population, [weights[item] for item in population])[0]


def poisson(rng: random.Random, mean: float) -> int:
    """Return a count drawn from a Poisson law of this mean."""
    # Knuth's method: fine for the small means of one office-day.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def pick_some(rng: random.Random, weights: Mapping[T, float], count: int) -> list[T]:
    """Return up to ``count`` different items, drawn with the given weights."""
    remaining = dict(weights)
    chosen: list[T] = []
    while remaining and len(chosen) < count:
        item = pick(rng, remaining)
        chosen.append(item)
        del remaining[item]
    return chosen
