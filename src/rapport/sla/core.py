"""The clocks' pure core: one target's clock as a value, and what each thing that happens does to it.

No database and no wall clock: every function takes the instant. A clock counts in business seconds on its
calendar (or plain seconds when it has none); `spent` is what it counted before the current running stretch that
began at `running_since`. While running, `due_at` is the instant the target is used up and `warn_at` the instant
only `warn_share` of it is left; the due-time job calls `fire` at those instants. A breached clock keeps counting
until it stops, so "late by" is measured; it can still pause while waiting on the customer.

States: running, paused, met, breached, cancelled (docs/sla.md has the diagram and an example timeline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rapport.kit.business_time import add_business_seconds, business_seconds_between
from rapport.kit.calendar_spec import Calendar

RUNNING, PAUSED, MET, BREACHED, CANCELLED = "running", "paused", "met", "breached", "cancelled"
OPEN_STATES = frozenset({RUNNING, PAUSED, BREACHED})  # BREACHED is open until `stopped_at` is set


@dataclass(frozen=True, slots=True)
class Clock:
    """One target's clock on one conversation."""

    target: str
    seconds: int
    started_at: datetime
    calendar: Calendar | None = None
    warn_share: float | None = None
    state: str = RUNNING
    spent: int = 0
    running_since: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    paused_reason: str | None = None
    measured: int | None = None

    @property
    def open(self) -> bool:
        """Still counting or waiting to count (not stopped, not cancelled)."""
        return self.stopped_at is None and self.state in OPEN_STATES

    @property
    def counting(self) -> bool:
        """Counting time right now."""
        return self.open and self.running_since is not None

    @property
    def next_at(self) -> datetime | None:
        """The next instant the due-time job has work on this clock: its warning, then its breach."""
        if self.state != RUNNING or self.running_since is None:
            return None
        if self.warn_at is not None and self.warned_at is None and self.warn_at < self.due_at:
            return self.warn_at
        return self.due_at


@dataclass(frozen=True, slots=True)
class Happened:
    """Something a clock did, for the event log: `name` is sla.met, sla.breached, sla.warned, sla.paused or
    sla.resumed."""

    name: str
    at: datetime
    reason: str | None = None
    late_seconds: int | None = None
    measured_seconds: int | None = None


def elapsed(calendar: Calendar | None, a: datetime, b: datetime) -> int:
    """Seconds the clock counts from `a` to `b` (business seconds on its calendar), never negative."""
    if b <= a:
        return 0
    if calendar is None:
        return int((b - a).total_seconds())
    return int(business_seconds_between(calendar, a, b))


def after(calendar: Calendar | None, start: datetime, seconds: float) -> datetime:
    """The instant `seconds` of counted time after `start`."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    return add_business_seconds(calendar, start, seconds)


def _deadlines(clock: Clock, at: datetime) -> Clock:
    """Due and warning instants of a clock that starts or resumes counting at `at`."""
    left = clock.seconds - clock.spent
    due = after(clock.calendar, at, max(left, 0))
    warn = None
    if clock.warn_share is not None and clock.warned_at is None:
        warn_left = left - math.ceil(clock.seconds * clock.warn_share)
        if warn_left > 0:
            warn = after(clock.calendar, at, warn_left)
    return replace(clock, running_since=at, due_at=due, warn_at=warn)


def start(
    target: str,
    seconds: int,
    at: datetime,
    *,
    calendar: Calendar | None = None,
    warn_share: float | None = None,
    paused_by: str | None = None,
) -> Clock:
    """A clock that starts at `at`: running, or paused from the start when `paused_by` (a status) holds it."""
    clock = Clock(target, seconds, at, calendar, warn_share)
    if paused_by is not None:
        return replace(clock, state=PAUSED, paused_reason=paused_by)
    return _deadlines(clock, at)


def pause(clock: Clock, at: datetime, reason: str) -> tuple[Clock, list[Happened]]:
    """Stop counting (waiting on the customer or a third party); a breached clock pauses but stays breached."""
    if not clock.counting:
        return clock, []
    spent = clock.spent + elapsed(clock.calendar, clock.running_since, at)
    state = BREACHED if clock.state == BREACHED else PAUSED
    paused = replace(
        clock, state=state, spent=spent, running_since=None, due_at=None, warn_at=None, paused_reason=reason
    )
    if state == BREACHED:
        paused = replace(paused, due_at=clock.due_at)  # the deadline that was missed stays on record
    return paused, [Happened("sla.paused", at, reason=reason)]


def resume(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """Count again from `at` (a paused clock's deadline moves by the time it was paused)."""
    if not clock.open or clock.running_since is not None:
        return clock, []
    if clock.state == BREACHED:
        return replace(clock, running_since=at, paused_reason=None), [Happened("sla.resumed", at)]
    resumed = _deadlines(replace(clock, state=RUNNING, paused_reason=None), at)
    return resumed, [Happened("sla.resumed", at)]


def fire(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """What the due-time job does at `at`: record the warning and the breach that have come (each once), at their
    computed instants."""
    happened: list[Happened] = []
    if clock.state != RUNNING or clock.running_since is None:
        return clock, happened
    if clock.warn_at is not None and clock.warned_at is None and clock.warn_at <= at and clock.warn_at < clock.due_at:
        clock = replace(clock, warned_at=clock.warn_at)
        happened.append(Happened("sla.warned", clock.warn_at))
    if clock.due_at <= at:
        clock = replace(clock, state=BREACHED, breached_at=clock.due_at)
        happened.append(Happened("sla.breached", clock.due_at))
    return clock, happened


def stop(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """The promise is kept at `at` (a person replied, the conversation was solved): met, or breached and late."""
    if not clock.open:
        return clock, []
    measured = clock.spent + (elapsed(clock.calendar, clock.running_since, at) if clock.running_since else 0)
    breached = clock.state == BREACHED or measured > clock.seconds
    state = BREACHED if breached else MET
    stopped = replace(
        clock,
        state=state,
        measured=measured,
        stopped_at=at,
        running_since=None,
        warn_at=None,
        paused_reason=None,
        breached_at=clock.breached_at or (clock.due_at if breached else None),
    )
    if not breached:
        return stopped, [Happened("sla.met", at, measured_seconds=measured)]
    if clock.state == BREACHED:
        return stopped, []  # its breach is on record already; the row keeps what it measured
    # Stopped late before the due-time job came: the breach is recorded now, at its instant, once.
    late = measured - clock.seconds
    return stopped, [Happened("sla.breached", stopped.breached_at, late_seconds=late, measured_seconds=measured)]


def cancel(clock: Clock, at: datetime) -> Clock:
    """The promise no longer applies (solved without it, another policy took over, merged away): not counted.

    A clock already breached stays breached (stopped, with what it measured): a missed promise is not forgotten.
    """
    if not clock.open:
        return clock
    if clock.state == BREACHED:
        measured = clock.spent + (elapsed(clock.calendar, clock.running_since, at) if clock.running_since else 0)
        return replace(clock, stopped_at=at, running_since=None, paused_reason=None, measured=measured)
    return replace(clock, state=CANCELLED, stopped_at=at, running_since=None, warn_at=None, paused_reason=None)


def left(clock: Clock, at: datetime) -> int:
    """Counted seconds left before the deadline at `at` (negative when late)."""
    running = elapsed(clock.calendar, clock.running_since, at) if clock.running_since else 0
    return clock.seconds - clock.spent - running
