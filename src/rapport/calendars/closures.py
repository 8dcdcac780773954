"""The organisation's own closures (a stock-take day, an office move) added and removed one at a time.

A closure is a closed span between two instants. Each addition or removal is a new version of the calendar in force
from now, built on the version in force now, so clocks started earlier keep theirs and the service targets re-read
the calendar as after any other edit (the `calendar.updated` event). A feed's closures (they carry a UID) are the
feed's: they change with a new import, not here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rapport.calendars import service
from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.calendar_spec import Calendar, Closure
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid
from rapport.models import CalendarVersion

LABEL_CHARS = 200
MAX_DAYS = "RAPPORT_CALENDAR_CLOSURE_MAX_DAYS"


def upcoming(calendar: Calendar, at: datetime) -> list[Closure]:
    """The calendar's own closures not over at `at`, the soonest first."""
    return sorted((c for c in calendar.closures if c.uid is None and c.end > at), key=lambda c: (c.start, c.end))


def in_force(session: Session, calendar_id: int, at: datetime) -> CalendarVersion:
    """The version closures are edited on: the one in force at `at` (the first, when it is still to come)."""
    service.get(session, calendar_id)
    version = service.version_at(session, calendar_id, at)
    if version is None:  # a calendar whose first version is still to come: closures are added to that one
        return service.latest(session, calendar_id)
    return version


def _when(calendar: Calendar, closure: Closure) -> str:
    start, end = closure.start.astimezone(calendar.tz), closure.end.astimezone(calendar.tz)
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def _not_past_coming(session: Session, base: CalendarVersion, end: datetime, at: datetime) -> None:
    """Refuse a change that reaches into a version still to come: that version does not hold it."""
    calendar = service.calendar_of(base)
    versions = service.versions(session, base.calendar_id)
    coming = [v for v in versions if v.id != base.id and at < v.effective_from < end]
    if coming:
        first = min(v.effective_from for v in coming).astimezone(calendar.tz)
        raise Conflict(
            f"The version of the hours in force from {first:%Y-%m-%d %H:%M} is still to come and this closure runs "
            "past its start; change closures after that date once the version is in force, or end the closure "
            "before it.",
            errors=[{"field": "closure_end"}],
        )


def _new_version(session: Session, actor: Actor, calendar_id: int, base: CalendarVersion, closures: list[Closure]):
    spec = service.calendar_of(base).to_dict()
    spec["closures"] = [
        {"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label, "uid": c.uid} for c in closures
    ]
    moment = now().replace(microsecond=0)
    if base.effective_from >= moment:  # one version per instant: another edit was saved within this second
        raise Conflict("Another change to this calendar was saved a moment ago; reload the page and try again.")
    return service.revise(session, actor, calendar_id, spec=spec, effective_from=moment)


def add(
    session: Session, actor: Actor, calendar_id: int, *, start: datetime, end: datetime, label: str
) -> CalendarVersion:
    """A new version from now closed from `start` to `end` as well; Invalid for an empty, too long or past span or
    no name, Conflict when it overlaps a closure the calendar already has."""
    authorize(actor, "admin")
    service.get(session, calendar_id)
    label = " ".join((label or "").split())
    if not label or len(label) > LABEL_CHARS:
        raise Invalid(f"Name the closure in 1 to {LABEL_CHARS} characters.", errors=[{"field": "closure_label"}])
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("Give the closure's start and end with their timezone.", errors=[{"field": "closure_start"}])
    if end <= start:
        raise Invalid("The closure ends before it starts.", errors=[{"field": "closure_end"}])
    limit = get_settings().calendar_closure_max_days
    if end - start > timedelta(days=limit):
        raise Invalid(
            f"A closure spans at most {limit} days ({MAX_DAYS}); change the hours for a longer time.",
            errors=[{"field": "closure_end"}],
        )
    at = now()
    if end <= at:
        raise Invalid("The closure is already over; choose a time to come.", errors=[{"field": "closure_end"}])
    base = in_force(session, calendar_id, at)
    calendar = service.calendar_of(base)
    new = Closure(start, end, label)
    for other in calendar.closures:
        if other.start < new.end and new.start < other.end:
            what = f"the feed's closure '{other.label}'" if other.uid else f"the closure '{other.label}'"
            raise Conflict(
                f"It overlaps {what} ({_when(calendar, other)}); remove that one or choose other times.",
                errors=[{"field": "closure_start"}],
            )
    _not_past_coming(session, base, new.end, at)
    return _new_version(session, actor, calendar_id, base, [*calendar.closures, new])


def remove(session: Session, actor: Actor, calendar_id: int, *, start: datetime, end: datetime) -> CalendarVersion:
    """A new version from now without the own closure from `start` to `end`; Conflict when there is none such."""
    authorize(actor, "admin")
    service.get(session, calendar_id)
    at = now()
    base = in_force(session, calendar_id, at)
    calendar = service.calendar_of(base)
    kept = list(calendar.closures)
    found = next((c for c in kept if c.uid is None and c.start == start and c.end == end), None)
    if found is None:
        raise Conflict("That closure is no longer in the calendar (it may have been removed already).")
    _not_past_coming(session, base, found.end, at)
    kept.remove(found)
    return _new_version(session, actor, calendar_id, base, kept)
