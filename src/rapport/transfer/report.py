"""What an import did: counts per kind, refused lines with their reasons, and how fast it went."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KINDS = ("team", "agent", "inbox", "field", "customer", "conversation", "message", "event")


class ImportFailed(Exception):
    """The whole import cannot go on (unreadable file, bad CSV header, too many bad lines)."""


@dataclass
class Outcome:
    """What one batch wrote (applied to the report only once its transaction commits) and what it refused."""

    counts: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    """The running total of an import; `errors` keeps the first `keep_errors` refusals, `error_count` all."""

    counts: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0
    aborted: str | None = None
    keep_errors: int = 1000
    # Indexes dropped for the load (the tables were empty) and built again at its end.
    indexes_built: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Fold in a committed batch."""
        self.counts.update(outcome.counts)
        for line, message in outcome.errors:
            self.error(line, message)

    def error(self, line: int, message: str) -> None:
        """Record that `line` was refused, and why."""
        self.error_count += 1
        if len(self.errors) < self.keep_errors:
            self.errors.append((line, message))

    @property
    def messages_per_second(self) -> float:
        """Messages written per second of wall time."""
        return self.counts["message.created"] / self.seconds if self.seconds else 0.0

    def rows(self) -> list[tuple[str, int, int]]:
        """(kind, created, already there) for every kind seen."""
        out = []
        for kind in KINDS:
            created, existing = self.counts[f"{kind}.created"], self.counts[f"{kind}.existing"]
            if created or existing:
                out.append((kind, created, existing))
        return out
