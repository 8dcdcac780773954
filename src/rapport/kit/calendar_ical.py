"""Import an iCal (RFC 5545) feed as calendar closures: all-day events close dates, timed events close spans.

Recurring events (RRULE/RDATE/EXDATE, RECURRENCE-ID overrides) are expanded only within a bounded horizon, and each
item can be opted out by UID. The feed's size is checked before parsing against a limit the caller names (the
calendars domain passes its Settings env var), so the error tells the administrator which limit to raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rruleset, rrulestr

from rapport.kit.calendar_spec import CalendarError, Closure, DateOverride

MAX_OCCURRENCES = 10_000  # per feed: bounds the work a hostile RRULE can cause within the horizon


class ICalError(CalendarError):
    """The feed is not a readable iCal calendar."""


class ICalTooLarge(ICalError):
    """The feed is larger than the named limit."""


@dataclass(frozen=True, slots=True)
class ICalImport:
    """What a feed contributes: closed local dates and absolute closures, each carrying its event's UID."""

    dates: tuple[DateOverride, ...]
    closures: tuple[Closure, ...]
    uids: tuple[str, ...]  # every UID seen (for the opt-out list in the admin page)


def _as_datetime(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A DTSTART/DTEND as an aware datetime; floating times are the calendar's local time."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _extra_dates(event: Any, key: str) -> list[date | datetime]:
    prop = event.get(key)
    if prop is None:
        return []
    out = []
    for item in prop if isinstance(prop, list) else [prop]:
        out.extend(d.dt for d in item.dts)
    return out


def _repair_until(text: str, first: datetime) -> str:
    """RFC 5545 wants UNTIL in UTC for a zoned DTSTART and as a date/floating time otherwise; feeds mix them up."""
    m = re.search(r"UNTIL=([0-9]{8}(?:T[0-9]{6})?Z?)", text)
    if not m:
        return text
    until = m.group(1)
    if first.tzinfo is None and until.endswith("Z"):
        fixed = until[:8] + "T235959"
    elif first.tzinfo is not None and not until.endswith("Z"):
        clock = until[9:15] if "T" in until else "235959"
        local = datetime.strptime(until[:8] + clock, "%Y%m%d%H%M%S").replace(tzinfo=first.tzinfo)
        fixed = local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    else:
        return text
    return text.replace(f"UNTIL={until}", f"UNTIL={fixed}")


def _occurrences(event: Any, start: date | datetime, tz: ZoneInfo, lo: datetime, hi: datetime) -> list:
    """Start values of a (possibly recurring) event that fall within [lo, hi]."""
    all_day = not isinstance(start, datetime)
    first = _as_datetime(start, tz)
    if event.get("rrule") is None and event.get("rdate") is None:
        return [start]

    def norm(v: date | datetime) -> datetime:
        d = _as_datetime(v, tz)
        return d.replace(tzinfo=None) if first.tzinfo is None else d.astimezone(first.tzinfo)

    rules = rruleset()
    rrule = event.get("rrule")
    if rrule is not None:
        text = _repair_until(rrule.to_ical().decode(), first)
        try:
            rules.rrule(rrulestr(text, dtstart=first, forceset=False, ignoretz=False))
        except (ValueError, TypeError) as exc:
            raise ICalError(f"event {event.get('uid')!s}: unreadable RRULE ({exc})") from None
    for extra in _extra_dates(event, "rdate"):
        rules.rdate(norm(extra))
    for ex in _extra_dates(event, "exdate"):
        rules.exdate(norm(ex))
    if rrule is None:
        rules.rdate(first)
    if first.tzinfo is None:
        lo, hi = lo.replace(tzinfo=None), hi.replace(tzinfo=None)
    out = []
    for occurrence in rules.xafter(lo - timedelta(days=366), count=MAX_OCCURRENCES * 4, inc=True):
        if occurrence > hi:
            break
        out.append(occurrence.date() if all_day else occurrence)
    return out[:MAX_OCCURRENCES]


def import_ical(
    data: bytes | str,
    *,
    timezone: str,
    horizon_start: date,
    horizon_end: date,
    exclude_uids: frozenset[str] | set[str] | tuple[str, ...] = (),
    max_bytes: int,
    limit_name: str = "max_bytes",
) -> ICalImport:
    """Read a feed into closed dates (all-day events) and closures (timed events) within the horizon."""
    if horizon_end < horizon_start:
        raise CalendarError("the iCal horizon ends before it starts", field="ical")
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise ICalTooLarge(
            f"the iCal feed is {len(raw):,} bytes, larger than the limit of {max_bytes:,} ({limit_name})",
            field="ical",
        )
    try:
        feed = icalendar.Calendar.from_ical(raw)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ICalError(f"the feed is not an iCal calendar ({str(exc)[:200]})", field="ical") from None
    if getattr(feed, "name", None) != "VCALENDAR":
        raise ICalError("the feed is not an iCal calendar (no VCALENDAR)", field="ical")
    tz = ZoneInfo(timezone)
    lo = datetime(horizon_start.year, horizon_start.month, horizon_start.day, tzinfo=tz)
    hi = datetime(horizon_end.year, horizon_end.month, horizon_end.day, tzinfo=tz) + timedelta(days=1)
    excluded = set(exclude_uids)
    events = feed.walk("VEVENT")
    # RECURRENCE-ID instances replace one occurrence of their master: drop it from the master's expansion
    moved: dict[str, set] = {}
    for ev in events:
        rid = ev.get("recurrence-id")
        if rid is not None:
            moved.setdefault(str(ev.get("uid", "")), set()).add(rid.dt)
    closed: dict[date, DateOverride] = {}
    closures: list[Closure] = []
    uids: list[str] = []
    for ev in events:
        uid = str(ev.get("uid", "")) or None
        if uid and uid not in uids:
            uids.append(uid)
        if (uid and uid in excluded) or str(ev.get("status", "")).upper() == "CANCELLED":
            continue
        if ev.get("dtstart") is None:
            raise ICalError(f"event {uid!s} has no DTSTART", field="ical")
        start = ev.get("dtstart").dt
        all_day = not isinstance(start, datetime)
        if ev.get("dtend") is not None:
            length = _as_datetime(ev.get("dtend").dt, tz) - _as_datetime(start, tz)
        elif ev.get("duration") is not None:
            length = ev.get("duration").dt
        else:
            length = timedelta(days=1) if all_day else timedelta(0)
        label = str(ev.get("summary", ""))
        skip = moved.get(uid or "", set()) if ev.get("recurrence-id") is None else set()
        for occ in _occurrences(ev, start, tz, lo, hi):
            if occ in skip:
                continue
            if all_day:
                for n in range(max(length.days, 1)):
                    day = occ + timedelta(days=n)
                    if horizon_start <= day <= horizon_end and day not in closed:
                        closed[day] = DateOverride(day, (), label, uid)
            elif length > timedelta(0):
                s = _as_datetime(occ, tz)
                e = (s.astimezone(UTC) + length) if ev.get("duration") is not None else s + length
                if e > lo and s < hi:
                    closures.append(Closure(s, e, label, uid))
    return ICalImport(tuple(sorted(closed.values(), key=lambda o: o.date)), tuple(closures), tuple(uids))
