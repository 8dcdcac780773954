"""Periodic jobs, declared by the domain that owns them: every N minutes (or seconds), or daily at a time in a timezone.

Each period fires once, whatever the number of worker processes: the process that moves the job's row in
`periodic_runs` forward to the new period (a conditional update, or the insert of its first row) queues the job in
the same transaction; any other process finds the row moved and queues nothing. A period missed while no worker ran
fires once when one starts (only the latest, not every one missed). The job then runs like any other: retried with
backoff, dead after its attempts, and the next period fires regardless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from rapport.db.bulk import dialect_insert
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models import PeriodicRun
from rapport.worker import scheduler

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
Task = Callable[[Session, dict], None]


@dataclass(frozen=True)
class Periodic:
    """One declared periodic job: its name (also its job kind), what it runs, and its period."""

    name: str
    fn: Task
    every: timedelta | None = None
    daily_at: time | None = None
    timezone: str = "UTC"
    max_attempts: int = 3

    def period(self, moment: datetime) -> datetime:
        """The start (UTC) of the period `moment` falls in."""
        if self.every is not None:
            return EPOCH + ((moment - EPOCH) // self.every) * self.every
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        start = datetime.combine(local.date(), self.daily_at, tzinfo=zone)
        if start > local:
            start = datetime.combine(local.date() - timedelta(days=1), self.daily_at, tzinfo=zone)
        return start.astimezone(UTC)

    def next_period(self, moment: datetime) -> datetime:
        """The start (UTC) of the period after the one `moment` falls in."""
        start = self.period(moment)
        if self.every is not None:
            return start + self.every
        zone = ZoneInfo(self.timezone)
        following = datetime.combine(start.astimezone(zone).date() + timedelta(days=1), self.daily_at, tzinfo=zone)
        return following.astimezone(UTC)


PERIODIC: dict[str, Periodic] = {}


def periodic(
    name: str,
    *,
    every_minutes: int | None = None,
    every_seconds: int | None = None,
    daily_at: str | None = None,
    timezone: str = "UTC",
    max_attempts: int = 3,
) -> Callable[[Task], Task]:
    """Declare `fn(session, payload)` as the periodic job `name`: `every_minutes=N` (or `every_seconds=N`, for
    work due to the second, like response deadlines), or `daily_at="HH:MM"` in `timezone` (an IANA name); the
    payload carries the period's start (`period`, ISO 8601)."""
    given = [w for w in (every_minutes, every_seconds, daily_at) if w is not None]
    if len(given) != 1:
        raise ValueError(f"periodic job {name!r}: give one of every_minutes, every_seconds or daily_at")
    if every_minutes is not None and every_minutes < 1:
        raise ValueError(f"periodic job {name!r}: every_minutes must be at least 1")
    if every_seconds is not None and every_seconds < 1:
        raise ValueError(f"periodic job {name!r}: every_seconds must be at least 1")
    every = timedelta(minutes=every_minutes) if every_minutes is not None else None
    every = timedelta(seconds=every_seconds) if every_seconds is not None else every
    ZoneInfo(timezone)  # an unknown zone fails at declaration, not at the first tick

    def register(fn: Task) -> Task:
        PERIODIC[name] = Periodic(
            name,
            fn,
            every=every,
            daily_at=time.fromisoformat(daily_at) if daily_at is not None else None,
            timezone=timezone,
            max_attempts=max_attempts,
        )
        return fn

    return register


def handler_for(kind: str) -> Task | None:
    """The function of the periodic job whose kind is `kind`, if one is declared."""
    job = PERIODIC.get(kind)
    return job.fn if job is not None else None


def key(job: Periodic, start: datetime) -> str:
    """The job key of one period of a periodic job."""
    return f"periodic:{job.name}:{start.isoformat()}"


def fire_due(session: Session, moment: datetime | None = None) -> list[str]:
    """Queue every periodic job whose current period has not fired yet; returns the names this call fired."""
    moment = moment or now()
    fired = []
    for job in PERIODIC.values():
        start = job.period(moment)
        if _take_period(session, job.name, start, moment) and scheduler.schedule(
            session, job.name, key(job, start), moment, {"period": start.isoformat()}, max_attempts=job.max_attempts
        ):
            fired.append(job.name)
    return fired


def _take_period(session: Session, name: str, start: datetime, moment: datetime) -> bool:
    """Move `name`'s row to the period starting at `start`; True for the one transaction that does.

    On PostgreSQL a second transaction's insert or update waits for the first's commit, then finds the row taken
    (its WHERE is checked again on the committed row); SQLite runs one write transaction at a time.
    """
    first = dialect_insert(session, PeriodicRun.__table__).values(name=name, period=start, fired_at=moment)
    if session.execute(first.on_conflict_do_nothing(index_elements=["name"]).returning(PeriodicRun.name)).first():
        return True
    moved = session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == name, PeriodicRun.period < start)
        .values(period=start, fired_at=moment)
    )
    return moved.rowcount == 1


class Ticker:
    """Fires the periodic jobs of one worker process: a write transaction only when a period may have begun."""

    def __init__(self, db: Database):
        self.db = db
        self.next_at: datetime | None = None

    def tick(self) -> list[str]:
        """Fire what is due now; returns the names this process fired."""
        moment = now()
        if not PERIODIC or (self.next_at is not None and moment < self.next_at):
            return []
        with self.db.write() as session:
            fired = fire_due(session, moment)
        self.next_at = min(job.next_period(moment) for job in PERIODIC.values())
        return fired
