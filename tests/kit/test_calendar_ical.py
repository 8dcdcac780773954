"""iCal feed import: all-day and timed events, recurrence within a horizon, opt-out by UID, size limit, not-iCal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from rapport.kit.business_time import add_business_seconds, business_seconds_between, is_open
from rapport.kit.calendar_ical import ICalError, ICalTooLarge, import_ical
from rapport.kit.calendar_spec import Calendar

LONDON = ZoneInfo("Europe/London")
H = 3600


def feed(*events: str) -> str:
    body = "\r\n".join(e.strip().replace("\n", "\r\n") for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}\r\nEND:VCALENDAR\r\n"


def event(uid: str, *lines: str) -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"])


def load(text: str, **kw):
    args = {
        "timezone": "Europe/London",
        "horizon_start": date(2026, 1, 1),
        "horizon_end": date(2027, 12, 31),
        "max_bytes": 100_000,
    }
    return import_ical(text, **{**args, **kw})


def office() -> Calendar:
    return Calendar.from_dict(
        {"timezone": "Europe/London", "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    )


def test_all_day_events_close_dates_and_timed_events_close_spans():
    result = load(
        feed(
            event("away", "SUMMARY:Away day", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260612"),
            event(
                "training",
                "SUMMARY:Training",
                "DTSTART;TZID=Europe/London:20260615T130000",
                "DTEND;TZID=Europe/London:20260615T150000",
            ),
            event("single", "DTSTART;VALUE=DATE:20260701"),
        )
    )
    assert [(o.date, o.hours, o.uid) for o in result.dates] == [
        (date(2026, 6, 10), (), "away"),
        (date(2026, 6, 11), (), "away"),  # DTEND of an all-day event is exclusive
        (date(2026, 7, 1), (), "single"),
    ]
    assert [(c.start, c.end, c.label) for c in result.closures] == [
        (datetime(2026, 6, 15, 12, tzinfo=UTC), datetime(2026, 6, 15, 14, tzinfo=UTC), "Training")
    ]
    assert set(result.uids) == {"away", "training", "single"}
    c = office().with_feed(result.dates, result.closures)
    assert not is_open(c, datetime(2026, 6, 11, 10, tzinfo=LONDON))
    assert is_open(c, datetime(2026, 6, 12, 10, tzinfo=LONDON))
    day = datetime(2026, 6, 15, tzinfo=LONDON)
    assert business_seconds_between(c, day, datetime(2026, 6, 16, tzinfo=LONDON)) == 6 * H
    assert add_business_seconds(c, datetime(2026, 6, 9, 16, tzinfo=LONDON), 2 * H) == datetime(
        2026, 6, 12, 10, tzinfo=LONDON
    )


def test_recurring_events_expand_only_within_the_horizon_with_exdates_and_moved_instances():
    result = load(
        feed(
            event(
                "standup",
                "SUMMARY:All hands",
                "DTSTART;TZID=Europe/London:20260302T090000",
                "DTEND;TZID=Europe/London:20260302T100000",
                "RRULE:FREQ=WEEKLY;COUNT=6",
                "EXDATE;TZID=Europe/London:20260316T090000",
            ),
            event(
                "standup",
                "RECURRENCE-ID;TZID=Europe/London:20260323T090000",
                "DTSTART;TZID=Europe/London:20260324T090000",
                "DTEND;TZID=Europe/London:20260324T100000",
            ),
            event("founders", "SUMMARY:Founders day", "DTSTART;VALUE=DATE:20200505", "RRULE:FREQ=YEARLY"),
        )
    )
    assert [o.date for o in result.dates] == [date(2026, 5, 5), date(2027, 5, 5)]  # unbounded rule, bounded horizon
    starts = sorted(c.start.astimezone(LONDON) for c in result.closures)
    assert starts == [
        datetime(2026, 3, 2, 9, tzinfo=LONDON),
        datetime(2026, 3, 9, 9, tzinfo=LONDON),
        datetime(2026, 3, 24, 9, tzinfo=LONDON),  # the moved instance, not 03-23
        datetime(2026, 3, 30, 9, tzinfo=LONDON),  # after the DST change: still 09:00 wall-clock
        datetime(2026, 4, 6, 9, tzinfo=LONDON),
    ]


def test_items_can_be_opted_out_by_uid_and_cancelled_events_are_ignored():
    text = feed(
        event("keep", "DTSTART;VALUE=DATE:20260610"),
        event("skip", "DTSTART;VALUE=DATE:20260611"),
        event("gone", "STATUS:CANCELLED", "DTSTART;VALUE=DATE:20260612"),
    )
    assert [o.uid for o in load(text).dates] == ["keep", "skip"]
    assert [o.uid for o in load(text, exclude_uids={"skip"}).dates] == ["keep"]
    assert "skip" in load(text, exclude_uids={"skip"}).uids  # still listed so the opt-out can be undone


def test_the_organisations_own_dates_win_over_the_feed():
    result = load(feed(event("x", "DTSTART;VALUE=DATE:20260610")))
    own = Calendar.from_dict({**office().to_dict(), "dates": [{"date": "2026-06-10", "hours": ["10:00-12:00"]}]})
    merged = own.with_feed(result.dates, result.closures)
    assert is_open(merged, datetime(2026, 6, 10, 11, tzinfo=LONDON))


def test_a_feed_larger_than_the_limit_is_refused_naming_the_limit():
    text = feed(*(event(f"e{i}", f"DTSTART;VALUE=DATE:2026{(i % 12) + 1:02d}01") for i in range(50)))
    with pytest.raises(ICalTooLarge, match="RAPPORT_CALENDAR_ICAL_MAX_BYTES") as info:
        load(text, max_bytes=1000, limit_name="RAPPORT_CALENDAR_ICAL_MAX_BYTES")
    assert isinstance(info.value, ValueError) and "1,000" in str(info.value)
    with pytest.raises(ICalTooLarge, match="max_bytes"):
        load(text, max_bytes=1000)


@pytest.mark.parametrize(
    "text",
    [
        "this is not a calendar",
        "<html><body>Not found</body></html>",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Someone\r\nEND:VCARD\r\n",
        feed(event("nostart", "SUMMARY:no start")),
    ],
)
def test_not_ical_is_a_clear_error(text):
    with pytest.raises(ICalError) as info:
        load(text)
    assert isinstance(info.value, ValueError)
    assert "iCal" in str(info.value) or "DTSTART" in str(info.value)


def test_until_written_in_the_wrong_form_is_repaired():
    result = load(
        feed(
            # a zoned DTSTART with a local UNTIL (RFC 5545 wants UTC) and an all-day DTSTART with a UTC UNTIL
            event(
                "zoned",
                "DTSTART;TZID=Europe/London:20260302T090000",
                "DTEND;TZID=Europe/London:20260302T100000",
                "RRULE:FREQ=DAILY;UNTIL=20260304T090000",
            ),
            event("allday", "DTSTART;VALUE=DATE:20260601", "RRULE:FREQ=DAILY;UNTIL=20260603T000000Z"),
        )
    )
    assert len(result.closures) == 3
    assert [o.date for o in result.dates] == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]


def test_a_horizon_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="horizon"):
        load(feed(event("x", "DTSTART;VALUE=DATE:20260610")), horizon_end=date(2025, 1, 1))


def test_floating_times_are_the_calendars_zone_and_duration_is_honoured():
    result = load(
        feed(
            event("floating", "DTSTART:20260701T120000", "DURATION:PT90M"),
            event("utc", "DTSTART:20260702T120000Z", "DTEND:20260702T130000Z"),
        )
    )
    assert [(c.start, c.end) for c in result.closures] == [
        (datetime(2026, 7, 1, 11, tzinfo=UTC), datetime(2026, 7, 1, 12, 30, tzinfo=UTC)),  # 12:00 BST
        (datetime(2026, 7, 2, 12, tzinfo=UTC), datetime(2026, 7, 2, 13, tzinfo=UTC)),
    ]
