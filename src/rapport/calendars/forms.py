"""The admin page's calendar form as text fields, to and from a spec (the service validates the spec itself).

A weekday's hours are written "09:00-12:00, 13:00-17:30" (overnight: "22:00-06:00"); an own date is one line
"2026-12-24 closed Christmas Eve" or "2026-12-31 09:00-13:00 New Year's Eve". A feed's items (they carry a UID)
are not shown as own dates: they stay with the version's feed and are carried into the next version.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapport.kit.calendar_spec import WEEKDAYS, Calendar
from rapport.kit.problems import Invalid

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
_INTERVAL = re.compile(r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")
_SPLIT = re.compile(r"[,;\s]+")
MAX_DATE_LINES = 1000


def _hours(text: str) -> list[str]:
    # "9:00-17:00" reads as "09:00-17:00"; the spec's own parser names anything else that is wrong
    return [re.sub(r"(^|-)(\d):", r"\g<1>0\2:", part) for part in _SPLIT.split(text.strip()) if part]


def _date_line(number: int, line: str) -> dict:
    words = line.split()
    try:
        day = date.fromisoformat(words[0])
    except ValueError:
        raise Invalid(
            f"Own dates, line {number}: '{words[0][:20]}' is not a date YYYY-MM-DD.", errors=[{"field": "dates"}]
        ) from None
    rest = words[1:]
    hours: list[str] = []
    if rest and rest[0].lower() == "closed":
        rest = rest[1:]
    else:
        while rest and _INTERVAL.match(rest[0].rstrip(",")):
            hours.extend(_hours(rest.pop(0)))
        if not hours:
            raise Invalid(
                f"Own dates, line {number}: after the date write 'closed' or hours such as 09:00-13:00.",
                errors=[{"field": "dates"}],
            )
    return {"date": day.isoformat(), "hours": hours, "label": " ".join(rest)[:200]}


def spec_from(form: dict[str, str], previous: Calendar | None = None) -> dict:
    """The spec a submitted calendar form describes; the `previous` version's feed items and closures (which the
    form does not show as own dates) are kept."""
    if form.get("always_open") == "on":
        weekly = {d: ["00:00-24:00"] for d in WEEKDAYS}
    else:
        weekly = {d: _hours(form.get(f"weekly_{d}", "")) for d in WEEKDAYS}
    lines = [line.strip() for line in form.get("dates", "").splitlines() if line.strip()]
    if len(lines) > MAX_DATE_LINES:
        raise Invalid(f"Keep own dates to {MAX_DATE_LINES} lines.", errors=[{"field": "dates"}])
    dates = [_date_line(n, line) for n, line in enumerate(lines, start=1)]
    country = form.get("holiday_country", "").strip()
    subdivision = form.get("holiday_subdivision", "").strip() or None
    spec = {
        "timezone": form.get("timezone", "").strip(),
        "weekly": weekly,
        "holidays": {"country": country, "subdivision": subdivision} if country else None,
        "dates": dates,
        "closures": [],
    }
    if previous is not None:
        own = {d["date"] for d in dates}
        kept = previous.to_dict()
        spec["dates"] += [d for d in kept["dates"] if d["uid"] and d["date"] not in own]
        spec["closures"] = kept["closures"]
    return spec


def form_from(calendar: Calendar) -> dict[str, str]:
    """The form fields showing a calendar (its own dates only: a feed's items are listed apart)."""
    spec = calendar.to_dict()
    form = {f"weekly_{d}": ", ".join(spec["weekly"].get(d, [])) for d in WEEKDAYS}
    form["always_open"] = "on" if calendar.is_always_open else ""
    form["timezone"] = calendar.timezone
    form["holiday_country"] = (spec["holidays"] or {}).get("country") or ""
    form["holiday_subdivision"] = (spec["holidays"] or {}).get("subdivision") or ""
    form["dates"] = "\n".join(
        " ".join(filter(None, [d["date"], ", ".join(d["hours"]) if d["hours"] else "closed", d["label"]]))
        for d in spec["dates"]
        if not d["uid"]
    )
    return form


def effective_from(text: str, timezone: str) -> datetime | None:
    """Midnight of a local date in the calendar's zone (None when no date is given)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"'{text[:20]}' is not a date YYYY-MM-DD.", errors=[{"field": "effective_from"}]) from None
    return datetime.combine(day, time(0), tzinfo=_zone(timezone))


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"Unknown timezone {timezone[:64]!r} (use an IANA name)."
        raise Invalid(message, errors=[{"field": "timezone"}]) from None


def closure_span(form: dict[str, str], timezone: str) -> tuple[datetime, datetime]:
    """The instants a closure form says, in the calendar's zone: from the start date (at its time, else the day's
    beginning) to the end date, the start date when none is given (at its time, else the end of that day)."""
    zone = _zone(timezone)
    first = _day(form.get("closure_start", ""), "closure_start", required=True)
    last = _day(form.get("closure_end", ""), "closure_end") or first
    start_time = _time(form.get("closure_start_time", ""), "closure_start_time")
    end_time = _time(form.get("closure_end_time", ""), "closure_end_time")
    start = datetime.combine(first, start_time or time(0), tzinfo=zone)
    try:
        end_day, end_time = (last + timedelta(days=1), time(0)) if end_time is None else (last, end_time)
        return start, datetime.combine(end_day, end_time, tzinfo=zone)  # no end time: through the whole end day
    except OverflowError:
        message = "The closure ends past the years a calendar can hold."
        raise Invalid(message, errors=[{"field": "closure_end"}]) from None


def _day(text: str, field: str, *, required: bool = False) -> date | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise Invalid("Give the date the closure starts.", errors=[{"field": field}])
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"'{text[:20]}' is not a date YYYY-MM-DD.", errors=[{"field": field}]) from None


def _time(text: str, field: str) -> time | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text if len(text) > 4 else "0" + text)
    except ValueError:
        raise Invalid(f"'{text[:20]}' is not a time HH:MM.", errors=[{"field": field}]) from None
