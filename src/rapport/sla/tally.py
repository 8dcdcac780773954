"""What a set of stopped clocks achieved: the share met and what they measured (what-if and the report share it)."""

from __future__ import annotations

import math


def nearest_rank(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile (a value that was measured, never an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Outcomes:
    """Figures over `met`, `breached` and `measured`, mixed into a dataclass that holds them."""

    met: int
    breached: int
    measured: list[int]

    @property
    def count(self) -> int:
        """Clocks with an outcome (met or breached)."""
        return self.met + self.breached

    @property
    def percent_met(self) -> float | None:
        """The share met, in percent (None when no clock ended)."""
        return round(100 * self.met / self.count, 1) if self.count else None

    @property
    def median_seconds(self) -> int | None:
        """The median of what the stopped clocks measured."""
        return nearest_rank(self.measured, 0.5)

    @property
    def p90_seconds(self) -> int | None:
        """The 90th percentile of what the stopped clocks measured."""
        return nearest_rank(self.measured, 0.9)
