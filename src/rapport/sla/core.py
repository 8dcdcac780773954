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
from dataclasses import dataclass
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


_new, _set = object.__new__, object.__setattr__


def _with(c: Clock, **k) -> Clock:
    """`dataclasses.replace` for a clock, spelled out: the replay makes a million of these, and the generic one
    (fields() walked, __init__ through object.__setattr__) costs three to four times as much."""
    n = _new(Clock)
    get = k.get
    _set(n, "target", get("target", c.target))
    _set(n, "seconds", get("seconds", c.seconds))
    _set(n, "started_at", get("started_at", c.started_at))
    _set(n, "calendar", get("calendar", c.calendar))
    _set(n, "warn_share", get("warn_share", c.warn_share))
    _set(n, "state", get("state", c.state))
    _set(n, "spent", get("spent", c.spent))
    _set(n, "running_since", get("running_since", c.running_since))
    _set(n, "due_at", get("due_at", c.due_at))
    _set(n, "warn_at", get("warn_at", c.warn_at))
    _set(n, "warned_at", get("warned_at", c.warned_at))
    _set(n, "breached_at", get("breached_at", c.breached_at))
    _set(n, "stopped_at", get("stopped_at", c.stopped_at))
    _set(n, "paused_reason", get("paused_reason", c.paused_reason))
    _set(n, "measured", get("measured", c.measured))
    return n


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


def _deadlines(
    calendar: Calendar | None, seconds: int, spent: int, warn_share: float | None, warned: bool, at: datetime
) -> tuple[datetime, datetime | None]:
    """Due and warning instants of a clock that starts or resumes counting at `at`."""
    left = seconds - spent
    due = after(calendar, at, max(left, 0))
    warn = None
    if warn_share is not None and not warned:
        warn_left = left - math.ceil(seconds * warn_share)
        if warn_left > 0:
            warn = after(calendar, at, warn_left)
    return due, warn


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
    if paused_by is not None:
        return Clock(target, seconds, at, calendar, warn_share, state=PAUSED, paused_reason=paused_by)
    due, warn = _deadlines(calendar, seconds, 0, warn_share, False, at)
    return Clock(target, seconds, at, calendar, warn_share, running_since=at, due_at=due, warn_at=warn)


def pause(clock: Clock, at: datetime, reason: str) -> tuple[Clock, list[Happened]]:
    """Stop counting (waiting on the customer or a third party); a breached clock pauses but stays breached."""
    if not clock.counting:
        return clock, []
    spent = clock.spent + elapsed(clock.calendar, clock.running_since, at)
    state = BREACHED if clock.state == BREACHED else PAUSED
    due = clock.due_at if state == BREACHED else None  # the deadline that was missed stays on record
    paused = _with(clock, state=state, spent=spent, running_since=None, due_at=due, warn_at=None, paused_reason=reason)
    return paused, [Happened("sla.paused", at, reason=reason)]


def resume(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """Count again from `at` (a paused clock's deadline moves by the time it was paused)."""
    if not clock.open or clock.running_since is not None:
        return clock, []
    if clock.state == BREACHED:
        return _with(clock, running_since=at, paused_reason=None), [Happened("sla.resumed", at)]
    c = clock
    due, warn = _deadlines(c.calendar, c.seconds, c.spent, c.warn_share, c.warned_at is not None, at)
    resumed = _with(c, state=RUNNING, paused_reason=None, running_since=at, due_at=due, warn_at=warn)
    return resumed, [Happened("sla.resumed", at)]


def fire(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """What the due-time job does at `at`: record the warning and the breach that have come (each once), at their
    computed instants."""
    happened: list[Happened] = []
    if clock.state != RUNNING or clock.running_since is None:
        return clock, happened
    changes = {}
    if clock.warn_at is not None and clock.warned_at is None and clock.warn_at <= at and clock.warn_at < clock.due_at:
        changes["warned_at"] = clock.warn_at
        happened.append(Happened("sla.warned", clock.warn_at))
    if clock.due_at <= at:
        changes["state"], changes["breached_at"] = BREACHED, clock.due_at
        happened.append(Happened("sla.breached", clock.due_at))
    return (_with(clock, **changes) if changes else clock), happened


def stop(clock: Clock, at: datetime) -> tuple[Clock, list[Happened]]:
    """The promise is kept at `at` (a person replied, the conversation was solved): met, or breached and late."""
    if not clock.open:
        return clock, []
    measured = clock.spent + (elapsed(clock.calendar, clock.running_since, at) if clock.running_since else 0)
    breached = clock.state == BREACHED or measured > clock.seconds
    state = BREACHED if breached else MET
    stopped = _with(
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
        return _with(clock, stopped_at=at, running_since=None, paused_reason=None, measured=measured)
    return _with(clock, state=CANCELLED, stopped_at=at, running_since=None, warn_at=None, paused_reason=None)


def left(clock: Clock, at: datetime) -> int:
    """Counted seconds left before the deadline at `at` (negative when late)."""
    running = elapsed(clock.calendar, clock.running_since, at) if clock.running_since else 0
    return clock.seconds - clock.spent - running
