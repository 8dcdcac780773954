"""A business-hours calendar as validated, immutable, JSON-serialisable data (the arithmetic is kit.business_time).

A calendar is an IANA timezone, opening intervals per weekday in local wall-clock time, an optional public-holiday
preset (the `holidays` package, country + subdivision), the organisation's own dates (closed, shortened or extra
hours) and absolute closures (e.g. timed events of an iCal feed). Every validation error is a `CalendarError`, a
plain ValueError: kit/ knows no HTTP; the calendars domain maps these to problem+json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 1440  # minutes
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")


class CalendarError(ValueError):
    """A calendar definition (or a use of it) is invalid; `field` names the offending part."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownTimezone(CalendarError):
    """The timezone is not an IANA name zoneinfo knows."""


class InvalidInterval(CalendarError):
    """An opening interval is malformed, empty or overlaps another."""


class UnknownHolidayCountry(CalendarError):
    """The holiday preset names a country or subdivision the `holidays` package does not have."""


class NoOpenTime(CalendarError):
    """The calendar is never open, or not within the search horizon of a computation."""


class TargetOutOfRange(CalendarError):
    """A target is negative or longer than the arithmetic supports (one year)."""


def _parse_hhmm(text: str, *, end: bool, where: str) -> int:
    m = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise InvalidInterval(f"{where}: {text!r} is not a time HH:MM", field=where)
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and (mi != 0 or not end)):
        raise InvalidInterval(f"{where}: {text!r} is not a time of day (24:00 only as an end)", field=where)
    return h * 60 + mi


@dataclass(frozen=True, slots=True)
class Interval:
    """Local wall-clock opening [start, end) in minutes; end <= start means it ends the next day (overnight)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < DAY and 0 < self.end <= DAY):
            raise InvalidInterval(f"interval {self.start}-{self.end} minutes is outside a day")
        if self.start == self.end:
            raise InvalidInterval(f"interval {self} is empty")

    @property
    def overnight(self) -> bool:
        """True when the interval crosses midnight into the next day."""
        return self.end <= self.start

    @property
    def minutes(self) -> int:
        """Nominal length in wall-clock minutes."""
        return self.end - self.start if self.end > self.start else self.end + DAY - self.start

    @classmethod
    def parse(cls, text: str, *, where: str = "interval") -> Interval:
        """Read 'HH:MM-HH:MM' (e.g. '09:00-17:00', '22:00-06:00', '00:00-24:00')."""
        if not isinstance(text, str) or text.count("-") != 1:
            raise InvalidInterval(f"{where}: {text!r} is not an interval HH:MM-HH:MM", field=where)
        a, b = text.split("-")
        start, end = _parse_hhmm(a, end=False, where=where), _parse_hhmm(b, end=True, where=where)
        if start == end or (start == 0 and end == 0):
            raise InvalidInterval(f"{where}: {text!r} is an empty interval", field=where)
        if end == 0:
            end = DAY  # "22:00-00:00" ends at midnight, same as 24:00
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


def _check_no_overlap(spans: list[tuple[int, int, str]], *, ring: int | None, where: str) -> None:
    """Spans are (start, end, label) in minutes; touching is fine, overlapping is an error (ring: wrap-around)."""
    spans = sorted(spans)
    for (_s1, e1, l1), (s2, _e2, l2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise InvalidInterval(f"{where}: {l1} overlaps {l2}", field=where)
    if ring and spans:
        s0, _, l0 = spans[0]
        _, e_last, l_last = spans[-1]
        if e_last - ring > s0:
            raise InvalidInterval(f"{where}: {l_last} overlaps {l0} (across the week's end)", field=where)


def _intervals(items: Any, *, where: str) -> tuple[Interval, ...]:
    if isinstance(items, str) or not isinstance(items, list | tuple):
        raise InvalidInterval(f"{where}: expected a list of 'HH:MM-HH:MM'", field=where)
    out = tuple(i if isinstance(i, Interval) else Interval.parse(i, where=where) for i in items)
    _check_no_overlap([(i.start, i.start + i.minutes, str(i)) for i in out], ring=None, where=where)
    return out


@dataclass(frozen=True, slots=True)
class HolidayPreset:
    """Public holidays of a country (ISO 3166-1 alpha-2) and optional subdivision, from the `holidays` package."""

    country: str
    subdivision: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", str(self.country).upper())
        try:
            holidays_lib.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:
            if self.subdivision and "subdivision" in str(exc):
                raise UnknownHolidayCountry(
                    f"holiday country {self.country!r} has no subdivision {self.subdivision!r}",
                    field="holidays.subdivision",
                ) from None
            raise UnknownHolidayCountry(
                f"no holidays known for country {self.country!r}", field="holidays.country"
            ) from None

    def dates(self, years: range) -> set[date]:
        """The holiday dates in these years."""
        return set(holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=years).keys())


@dataclass(frozen=True, slots=True)
class DateOverride:
    """The organisation's own hours for one local date; no intervals means closed all day. Replaces the weekday."""

    date: date
    hours: tuple[Interval, ...] = ()
    label: str = ""
    uid: str | None = None  # set when it came from an iCal feed


@dataclass(frozen=True, slots=True)
class Closure:
    """An absolute closed span [start, end) in UTC (a timed iCal event, an outage), subtracted from open time."""

    start: datetime
    end: datetime
    label: str = ""
    uid: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInterval(f"closure {self.label!r}: start and end must carry a timezone", field="closures")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise InvalidInterval(f"closure {self.label!r}: end is not after start (empty)", field="closures")


@dataclass(frozen=True)
class Calendar:
    """A validated business-hours calendar; build with `Calendar.from_dict` or `Calendar.always_open`."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: HolidayPreset | None = None
    dates: tuple[DateOverride, ...] = ()
    closures: tuple[Closure, ...] = ()
    _compiled: Any = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # tuples all the way down: the calendar is hashable (the compiled-table LRU is keyed by its value)
        object.__setattr__(self, "weekly", tuple(tuple(day) for day in self.weekly))
        object.__setattr__(self, "dates", tuple(self.dates))
        object.__setattr__(self, "closures", tuple(self.closures))
        for o in self.dates:
            object.__setattr__(o, "hours", tuple(o.hours))
        try:
            if not isinstance(self.timezone, str) or not self.timezone:
                raise ValueError
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnknownTimezone(f"unknown timezone {self.timezone!r} (use an IANA name)", field="timezone") from None
        if len(self.weekly) != 7:
            raise InvalidInterval("weekly hours need exactly 7 days (mon..sun)", field="weekly")
        spans = []
        for d, day in enumerate(self.weekly):
            for i in day:
                spans.append((d * DAY + i.start, d * DAY + i.start + i.minutes, f"{WEEKDAYS[d]} {i}"))
        _check_no_overlap(spans, ring=7 * DAY, where="weekly")
        seen: set[date] = set()
        for o in self.dates:
            if o.date in seen:
                raise InvalidInterval(f"dates: {o.date.isoformat()} is given twice", field="dates")
            seen.add(o.date)
            _check_no_overlap(
                [(i.start, i.start + i.minutes, str(i)) for i in o.hours], ring=None, where=f"dates {o.date}"
            )
        if not spans and not any(o.hours for o in self.dates):
            raise NoOpenTime("the calendar has no open time at all", field="weekly")

    def __getstate__(self) -> dict[str, Any]:
        # the compiled table (with its lock) stays behind: it is rebuilt on first use
        return {k: v for k, v in self.__dict__.items() if k not in ("_compiled", "tz")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_compiled", None)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The calendar's zone."""
        return ZoneInfo(self.timezone)

    @property
    def is_always_open(self) -> bool:
        """True for a plain 24/7 calendar: business time is calendar time, exact plain addition."""
        full = (Interval(0, DAY),)
        return all(day == full for day in self.weekly) and not (self.holidays or self.dates or self.closures)

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> Calendar:
        """A 24/7 calendar."""
        return cls(timezone, tuple((Interval(0, DAY),) for _ in WEEKDAYS))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calendar:
        """Validate the JSON form (see `to_dict`); raises a CalendarError naming the bad part."""
        if not isinstance(data, dict):
            raise CalendarError("a calendar is a JSON object")
        weekly_in = data.get("weekly") or {}
        if not isinstance(weekly_in, dict):
            raise InvalidInterval("weekly: expected an object of days (mon..sun) to intervals", field="weekly")
        unknown = set(weekly_in) - set(WEEKDAYS)
        if unknown:
            day = sorted(unknown)[0]
            raise InvalidInterval(f"weekly: unknown day {day!r} (use {', '.join(WEEKDAYS)})", field="weekly")
        weekly = tuple(_intervals(weekly_in.get(d, []), where=f"weekly.{d}") for d in WEEKDAYS)
        preset = data.get("holidays")
        if preset and not (isinstance(preset, dict) and isinstance(preset.get("country"), str)):
            raise UnknownHolidayCountry(f"holidays: expected {{'country': ...}}, not {preset!r}", field="holidays")
        hol = HolidayPreset(preset["country"], preset.get("subdivision")) if preset else None
        dates = []
        for item in data.get("dates") or []:
            try:
                day = date.fromisoformat(item["date"])
            except (KeyError, TypeError, ValueError):
                raise CalendarError(f"dates: {item!r} needs an ISO date", field="dates") from None
            hours = _intervals(item.get("hours") or [], where=f"dates.{day.isoformat()}")
            dates.append(DateOverride(day, hours, item.get("label", ""), item.get("uid")))
        closures = []
        for item in data.get("closures") or []:
            try:
                start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
            except (KeyError, TypeError, ValueError):
                raise CalendarError(f"closures: {item!r} needs ISO start and end", field="closures") from None
            closures.append(Closure(start, end, item.get("label", ""), item.get("uid")))
        return cls(data.get("timezone", ""), weekly, hol, tuple(dates), tuple(closures))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: {'timezone', 'weekly': {'mon': ['09:00-17:00', ...]}, 'holidays', 'dates', 'closures'}."""
        return {
            "timezone": self.timezone,
            "weekly": {d: [str(i) for i in day] for d, day in zip(WEEKDAYS, self.weekly, strict=True) if day},
            "holidays": {"country": self.holidays.country, "subdivision": self.holidays.subdivision}
            if self.holidays
            else None,
            "dates": [
                {"date": o.date.isoformat(), "hours": [str(i) for i in o.hours], "label": o.label, "uid": o.uid}
                for o in self.dates
            ],
            "closures": [
                {"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label, "uid": c.uid}
                for c in self.closures
            ],
        }

    def with_feed(self, dates: tuple[DateOverride, ...], closures: tuple[Closure, ...]) -> Calendar:
        """This calendar plus an imported feed's closed dates and closures; the organisation's own dates win."""
        own = {o.date for o in self.dates}
        extra = tuple(o for o in dates if o.date not in own)
        return Calendar(self.timezone, self.weekly, self.holidays, self.dates + extra, self.closures + closures)
