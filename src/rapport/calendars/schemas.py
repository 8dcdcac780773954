"""Calendars in and out of the API. A spec is `kit.calendar_spec.Calendar.to_dict()`; what JSON Schema cannot say
(a real IANA zone, intervals that do not overlap, a country's subdivision) the service checks and names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from rapport.kit.schema import In, Out

INTERVAL = "^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$"
Interval = Annotated[str, Field(pattern=INTERVAL, examples=["09:00-17:00"])]
Intervals = Annotated[list[Interval], Field(max_length=24)]
Label = Annotated[str, Field(max_length=200)]
Uid = Annotated[str, Field(max_length=500)]
DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MOMENT = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$"
# Dates and instants travel as text in one exact form (a schema pattern says what is accepted, nothing more);
# the calendar's own check names a date that does not exist.
DateText = Annotated[str, Field(pattern=DATE, examples=["2026-12-24"])]
MomentText = Annotated[str, Field(pattern=MOMENT, examples=["2026-12-24T13:00:00+01:00"])]


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an instant that exists") from None


# An instant with its offset, read into a datetime (a calendar date or time that does not exist is refused).
Moment = Annotated[MomentText, AfterValidator(_moment)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=500)]


class WeekIn(In):
    """Opening intervals per weekday in local time, e.g. ["09:00-12:00", "13:00-17:30"]; "22:00-06:00" runs
    overnight, "00:00-24:00" is the whole day; an omitted or empty day is closed."""

    mon: Intervals = []
    tue: Intervals = []
    wed: Intervals = []
    thu: Intervals = []
    fri: Intervals = []
    sat: Intervals = []
    sun: Intervals = []


class HolidaysIn(In):
    """A public-holiday preset: a country code (GET /calendars/holiday-countries) and optionally a subdivision."""

    country: Annotated[str, Field(pattern="^[A-Za-z]{2}$", examples=["DE"])]
    subdivision: Annotated[str, Field(min_length=1, max_length=20, examples=["BY"])] | None = None


class DateIn(In):
    """The organisation's own hours on one local date; no hours: closed all day."""

    date: DateText
    hours: Intervals = []
    label: Label = ""
    uid: Uid | None = None


class ClosureIn(In):
    """A closed span between two instants (an outage, a timed event)."""

    start: MomentText
    end: MomentText
    label: Label = ""
    uid: Uid | None = None


class SpecIn(In):
    """What a calendar version says."""

    timezone: Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]
    weekly: WeekIn
    holidays: HolidaysIn | None = None
    dates: Annotated[list[DateIn], Field(max_length=1000)] = []
    closures: Annotated[list[ClosureIn], Field(max_length=1000)] = []


class CalendarIn(In):
    """A new calendar and its first version (in force from 1970 unless `effective_from` says otherwise)."""

    name: Name
    description: Description = ""
    spec: SpecIn
    effective_from: Moment | None = None


class CalendarPatch(In):
    """A new name or description; omitted fields stay as they are."""

    name: Name | None = None
    description: Description | None = None


class VersionIn(In):
    """A new version in force from `effective_from` (now when omitted); earlier versions stay."""

    spec: SpecIn
    effective_from: Moment | None = None


class ICalIn(In):
    """An iCal feed's text (RAPPORT_ICAL_MAX_BYTES at most), items opted out by UID, and whether only to look."""

    ical: Annotated[str, Field(min_length=1)]
    feed_name: Annotated[str, Field(min_length=1, max_length=200)] = "iCal feed"
    opt_out: Annotated[list[Uid], Field(max_length=1000)] = []
    effective_from: Moment | None = None
    dry_run: bool = False


class VersionOut(Out):
    """One version of a calendar."""

    id: int
    effective_from: datetime
    spec: dict
    feed_name: str | None
    feed_opt_out: list[str]
    created_at: datetime


class CalendarOut(Out):
    """A calendar."""

    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class CalendarDetail(CalendarOut):
    """A calendar with its versions (newest first) and the service policies that count on it."""

    versions: list[VersionOut]
    used_by: list[str]


class FeedItemOut(Out):
    """One event of an iCal feed."""

    uid: str | None
    summary: str
    first: date | None
    occurrences: int
    opted_out: bool


class ICalOut(Out):
    """The feed's items, and the version the import added (null for a dry run)."""

    items: list[FeedItemOut]
    version: VersionOut | None


class Subdivision(Out):
    """A subdivision of a country (state, province, region)."""

    code: str
    name: str


class HolidayCountryOut(Out):
    """A country the holiday preset knows."""

    code: str
    name: str
    subdivisions: list[Subdivision]
