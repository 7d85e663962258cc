"""Times as histograms of whole minutes: nearest-rank percentiles and the share within a target, as report cells."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction

from .cells import THRESHOLD, Cell, empty, few, minutes, share


class Histogram:
    """How many times fell into each whole minute (0 … the cap)."""

    def __init__(self, bins: Iterable[tuple[int, int]] = ()) -> None:
        self.counts: Counter[int] = Counter()
        for minute, n in bins:
            self.add(minute, n)

    def add(self, minute: int, n: int = 1) -> None:
        if n > 0:
            self.counts[minute] += n

    def __iadd__(self, other: Histogram) -> Histogram:
        self.counts.update(other.counts)
        return self

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def percentile(self, q: float) -> int:
        """Nearest rank: the smallest minute m with count(≤ m) ≥ ceil(q·N). N must be positive."""
        total = self.n
        if total <= 0:
            raise ValueError("percentile of an empty histogram")
        rank = max(1, math.ceil(Fraction(str(q)) * total))  # exact: 0.9 · 30 is 27, not 27.000…04
        seen = 0
        for minute in sorted(self.counts):
            seen += self.counts[minute]
            if seen >= rank:
                return minute
        raise AssertionError("unreachable: the ranks add up to N")

    def below(self, target: int) -> int:
        """How many times are within the target: their whole-minute bin is under it."""
        return sum(n for m, n in self.counts.items() if m < target)

    def percentile_cell(self, q: float) -> Cell:
        """The percentile, unless fewer than 5 times are behind it."""
        if self.n == 0:
            return empty()
        if self.n < THRESHOLD:
            return few()
        return minutes(self.percentile(q))

    def within_cell(self, target: int) -> Cell:
        return share(self.below(target), self.n)
