"""Business-hours calendars: admins keep them as named series of effective-dated versions; anyone may read them.

A version is never edited: an edit adds one that applies from a chosen instant (now by default), so a clock that
started under an older version keeps it. A new calendar's first version applies back to 1970 unless another instant
is given, so business time can be measured for anything that happened before the calendar was written down.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.calendars import events
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.calendar_spec import Calendar, CalendarError
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import BusinessCalendar, CalendarVersion, SlaClock, SlaPolicy, SlaPolicyVersion

NAME_CHARS = 100
DESCRIPTION_CHARS = 500
FEED_NAME_CHARS = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # where a first version applies from unless told otherwise


def invalid(exc: CalendarError) -> Invalid:
    """A calendar validation error as a 422 naming its part (`weekly.mon`, `timezone`, `holidays.country` …)."""
    where = exc.field or "spec"
    if where.startswith("dates."):
        where = "dates"  # "dates.2026-12-24": the list is the field a form or a client shows it against
    return Invalid(str(exc), errors=[{"field": where, "message": str(exc)}])


def checked_spec(spec: Any) -> Calendar:
    """The calendar a JSON spec describes, validated; Invalid (422) naming the bad part."""
    try:
        return Calendar.from_dict(spec)
    except CalendarError as exc:
        raise invalid(exc) from None
    except OverflowError:  # a closure at the edge of datetime's range, moved to UTC
        raise Invalid("A closure lies outside the years a calendar can hold.", errors=[{"field": "closures"}]) from None


def always_open(timezone: str = "UTC") -> dict:
    """The spec of a 24/7 calendar (open every minute of every day) in this zone."""
    try:
        return Calendar.always_open(timezone).to_dict()
    except CalendarError as exc:
        raise invalid(exc) from None


_CACHE: dict[int, tuple[dict, Calendar]] = {}
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 256


def calendar_of(version: CalendarVersion) -> Calendar:
    """The calendar a stored version says, parsed once per version (versions never change)."""
    with _CACHE_LOCK:
        hit = _CACHE.get(version.id)
    # keyed by id and checked against the spec: a test database restarts its ids, a real one never reuses them
    if hit is not None and hit[0] == version.spec:
        return hit[1]
    calendar = Calendar.from_dict(version.spec)  # stored specs were validated when written
    with _CACHE_LOCK:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        _CACHE[version.id] = (version.spec, calendar)
    return calendar


def listed(session: Session) -> list[BusinessCalendar]:
    """Every calendar by name."""
    return list(session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def get(session: Session, calendar_id: int) -> BusinessCalendar:
    """One calendar; NotFound when there is none."""
    row = session.get(BusinessCalendar, calendar_id)
    if row is None:
        raise NotFound(f"There is no calendar {calendar_id}.")
    return row


def versions(session: Session, calendar_id: int) -> list[CalendarVersion]:
    """A calendar's versions, newest effective instant first."""
    query = select(CalendarVersion).where(CalendarVersion.calendar_id == calendar_id)
    return list(session.scalars(query.order_by(CalendarVersion.effective_from.desc())))


def version_at(session: Session, calendar_id: int, at: datetime) -> CalendarVersion | None:
    """The version of a calendar in force at `at` (None before its first)."""
    query = select(CalendarVersion).where(
        CalendarVersion.calendar_id == calendar_id, CalendarVersion.effective_from <= at
    )
    return session.scalar(query.order_by(CalendarVersion.effective_from.desc()).limit(1))


def latest(session: Session, calendar_id: int) -> CalendarVersion:
    """The version with the latest effective instant (perhaps still to come): what an edit starts from."""
    query = select(CalendarVersion).where(CalendarVersion.calendar_id == calendar_id)
    version = session.scalar(query.order_by(CalendarVersion.effective_from.desc()).limit(1))
    if version is None:
        raise NotFound(f"Calendar {calendar_id} has no version.")
    return version


def usage(session: Session) -> dict[int, list[str]]:
    """Calendar id -> the names of the service policies any version of which counts business time on it (one query).

    (calendars sit below sla: the policies' stored targets, {"business": true, "calendar_id": N}, are read directly.)
    """
    rows = session.execute(
        select(SlaPolicy.name, SlaPolicyVersion.targets)
        .join(SlaPolicyVersion, SlaPolicyVersion.policy_id == SlaPolicy.id)
        .order_by(SlaPolicy.position, SlaPolicy.id)
    )
    found: dict[int, list[str]] = {}
    for name, targets in rows:
        for t in targets or []:
            if isinstance(t, dict) and t.get("business") and isinstance(t.get("calendar_id"), int):
                names = found.setdefault(t["calendar_id"], [])
                if name not in names:
                    names.append(name)
    return found


def using(session: Session, calendar_id: int) -> list[str]:
    """The names of the service policies any version of which counts business time on this calendar."""
    return usage(session).get(calendar_id, [])


def _checked_text(name: str | None, description: str | None) -> tuple[str | None, str | None]:
    if name is not None:
        name = " ".join(name.split())
        if not name or len(name) > NAME_CHARS:
            raise Invalid(f"Give the calendar a name of 1 to {NAME_CHARS} characters.", errors=[{"field": "name"}])
    if description is not None:
        description = description.strip()
        if len(description) > DESCRIPTION_CHARS:
            raise Invalid(f"Keep the description to {DESCRIPTION_CHARS} characters.", errors=[{"field": "description"}])
    return name, description


def _unique(session: Session, name: str, calendar_id: int | None = None) -> None:
    same = session.scalar(select(BusinessCalendar).where(func.lower(BusinessCalendar.name) == name.lower()))
    if same is not None and same.id != calendar_id:
        raise Conflict(f"There is already a calendar named '{same.name}'.", errors=[{"field": "name"}])


def _moment(session: Session, calendar_id: int | None, at: datetime) -> datetime:
    """The instant a version applies from (whole seconds, UTC); one version per calendar per instant."""
    if at.tzinfo is None:
        raise Invalid("Give the effective time with its timezone.", errors=[{"field": "effective_from"}])
    try:
        moment = at.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        moment = None
    if moment is None or moment < EPOCH:
        raise Invalid("A version applies from 1970 or later.", errors=[{"field": "effective_from"}])
    if calendar_id is not None:
        taken = session.scalar(
            select(CalendarVersion.id).where(
                CalendarVersion.calendar_id == calendar_id, CalendarVersion.effective_from == moment
            )
        )
        if taken is not None:
            raise Conflict(
                f"Calendar {calendar_id} already has a version effective from {moment.isoformat()}; "
                "choose another time.",
                errors=[{"field": "effective_from"}],
            )
    return moment


def _feed(name: str | None, opt_out: list[str] | tuple[str, ...]) -> tuple[str | None, list[str]]:
    if name is not None:
        name = " ".join(name.split())
        if not name or len(name) > FEED_NAME_CHARS:
            raise Invalid(
                f"Give the feed a name of 1 to {FEED_NAME_CHARS} characters.", errors=[{"field": "feed_name"}]
            )
    return name, sorted({str(u) for u in opt_out})


def _by(actor: Actor) -> int | None:
    return actor.id if actor.kind == "agent" else None


def create(
    session: Session,
    actor: Actor,
    *,
    name: str,
    spec: dict,
    description: str = "",
    effective_from: datetime | None = None,
) -> BusinessCalendar:
    """A new calendar with its first version (in force from 1970 unless `effective_from` says otherwise)."""
    authorize(actor, "admin")
    name, description = _checked_text(name, description)
    _unique(session, name)
    stored = checked_spec(spec).to_dict()
    moment = _moment(session, None, effective_from or EPOCH)
    stamp = now()
    row = BusinessCalendar(name=name, description=description or "", created_at=stamp, updated_at=stamp)
    session.add(row)
    session.flush()
    session.add(
        CalendarVersion(
            calendar_id=row.id, effective_from=moment, spec=stored, feed_opt_out=[], created_by_id=_by(actor),
            created_at=stamp,
        )
    )  # fmt: skip
    session.flush()
    record(session, events.CREATED.name, actor, object="calendar", object_id=row.id, fields={"name": name})
    return row


def revise(
    session: Session,
    actor: Actor,
    calendar_id: int,
    *,
    spec: dict,
    effective_from: datetime | None = None,
    feed_name: str | None = None,
    feed_opt_out: list[str] | tuple[str, ...] = (),
) -> CalendarVersion:
    """A new version of the calendar, in force from `effective_from` (now); earlier versions stay as they were.

    A spec still holding a feed's items (they carry a `uid`) keeps the feed's name and opt-outs unless new ones
    are given.
    """
    authorize(actor, "admin")
    row = get(session, calendar_id)
    calendar = checked_spec(spec)
    feed_name, opt_out = _feed(feed_name, feed_opt_out)
    if feed_name is None and any(i.uid for i in (*calendar.dates, *calendar.closures)):
        previous = latest(session, row.id)
        feed_name, opt_out = previous.feed_name, list(previous.feed_opt_out or [])
    moment = _moment(session, row.id, effective_from or now())
    stamp = now()
    version = CalendarVersion(
        calendar_id=row.id, effective_from=moment, spec=calendar.to_dict(), feed_name=feed_name,
        feed_opt_out=opt_out, created_by_id=_by(actor), created_at=stamp,
    )  # fmt: skip
    session.add(version)
    row.updated_at = stamp
    session.flush()
    record(
        session,
        events.UPDATED.name,
        actor,
        object="calendar",
        object_id=row.id,
        fields={"version_id": version.id, "effective_from": moment.isoformat()},
    )
    return version


def update(
    session: Session, actor: Actor, calendar_id: int, *, name: str | None = None, description: str | None = None
) -> BusinessCalendar:
    """Rename or describe a calendar (its versions stay as they are)."""
    authorize(actor, "admin")
    row = get(session, calendar_id)
    name, description = _checked_text(name, description)
    changed: dict = {}
    if name is not None and name != row.name:
        _unique(session, name, row.id)
        row.name, changed["name"] = name, name
    if description is not None and description != row.description:
        row.description, changed["description"] = description, description
    if changed:
        row.updated_at = now()
        session.flush()
        record(session, events.UPDATED.name, actor, object="calendar", object_id=row.id, fields=changed)
    return row


def delete(session: Session, actor: Actor, calendar_id: int) -> None:
    """Delete a calendar no service policy counts on and no clock measured on; otherwise Conflict naming them."""
    authorize(actor, "admin")
    row = get(session, calendar_id)
    policies = using(session, row.id)
    if policies:
        named = ", ".join(f"'{n}'" for n in policies)
        raise Conflict(
            f"The calendar '{row.name}' is in use by the service {'policy' if len(policies) == 1 else 'policies'} "
            f"{named}; change {'it' if len(policies) == 1 else 'them'} to another calendar first.",
            policies=policies,
        )
    ids = select(CalendarVersion.id).where(CalendarVersion.calendar_id == row.id)
    clocks = session.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.calendar_version_id.in_(ids)))
    if clocks:
        raise Conflict(
            f"The calendar '{row.name}' measured {clocks} service clock(s); it stays so their results can be read."
        )
    session.execute(sql_delete(CalendarVersion).where(CalendarVersion.calendar_id == row.id))
    name = row.name
    session.delete(row)
    session.flush()
    record(session, events.DELETED.name, actor, object="calendar", object_id=calendar_id, fields={"name": name})
