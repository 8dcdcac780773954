"""Rate limits on typing signals, per sender, in this process: ephemeral signals are never stored, so neither are
their counts.

A repeat of the same state within `REPEAT_SECONDS` is dropped quietly (a widget or composer that says "typing"
on every key press costs one push, not one per key); more than RAPPORT_TYPING_SIGNALS_PER_MINUTE signals from one
sender within a minute is refused with 429. With several web processes each counts its own share.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rapport.kit.problems import TooManyRequests

REPEAT_SECONDS = 2.0
WINDOW_SECONDS = 60.0
MAX_SENDERS = 10_000  # past this many remembered senders, those idle for a window are forgotten


class SignalGate:
    """Decides whether a sender's typing signal is pushed."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        # sender -> (last state, when it was pushed, window start, signals in the window)
        self._seen: dict[str, tuple[str, float, float, int]] = {}

    def allow(self, sender: str, state: str) -> bool:
        """True to push; False to drop a repeat quietly; TooManyRequests past the per-minute limit."""
        at = self.clock()
        last = self._seen.get(sender)
        if last is not None and last[0] == state and at - last[1] < REPEAT_SECONDS:
            return False
        start, count = (last[2], last[3]) if last is not None and at - last[2] < WINDOW_SECONDS else (at, 0)
        if count >= self.per_minute:
            raise TooManyRequests(
                f"Too many typing signals: at most {self.per_minute} a minute (RAPPORT_TYPING_SIGNALS_PER_MINUTE).",
                limit=self.per_minute,
                setting="RAPPORT_TYPING_SIGNALS_PER_MINUTE",
            )
        if len(self._seen) >= MAX_SENDERS:
            self._forget(at)
        self._seen[sender] = (state, at, start, count + 1)
        return True

    def _forget(self, at: float) -> None:
        self._seen = {k: v for k, v in self._seen.items() if at - v[1] < WINDOW_SECONDS}
