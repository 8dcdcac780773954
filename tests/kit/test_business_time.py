"""Business-time arithmetic: named DST dates, holidays, overnight and split shifts, year ends, bad input, properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.kit.business_time import (
    MAX_TARGET_SECONDS,
    add_business_seconds,
    business_seconds_between,
    is_open,
    next_open,
    open_intervals,
)
from rapport.kit.calendar_spec import (
    Calendar,
    CalendarError,
    Closure,
    InvalidInterval,
    NoOpenTime,
    TargetOutOfRange,
    UnknownHolidayCountry,
    UnknownTimezone,
)

H = 3600
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
WEEKDAYS5 = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cal(tz: str, hours: dict, **extra) -> Calendar:
    return Calendar.from_dict({"timezone": tz, "weekly": hours, **extra})


def office(tz: str = "Europe/London", **extra) -> Calendar:
    return cal(tz, {d: ["09:00-17:00"] for d in WEEKDAYS5}, **extra)


def every_day(tz: str, *intervals: str) -> Calendar:
    return cal(tz, {d: list(intervals) for d in ALL_DAYS})


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- DST ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        (LONDON, (2026, 3, 29)),
        (LONDON, (2026, 10, 25)),
        (NEW_YORK, (2026, 3, 8)),
        (NEW_YORK, (2026, 11, 1)),
        (LORD_HOWE, (2026, 4, 5)),
        (LORD_HOWE, (2026, 10, 4)),
    ],
)
def test_a_nine_to_five_day_is_eight_hours_on_dst_days(tz, day):
    c = every_day(tz.key, "09:00-17:00")
    start = local(tz, *day)
    assert business_seconds_between(c, start, start + timedelta(days=1)) == 8 * H
    assert add_business_seconds(c, local(tz, *day, 9), 8 * H) == local(tz, *day, 17)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (LONDON, (2026, 3, 29), 23),
        (LONDON, (2026, 10, 25), 25),
        (NEW_YORK, (2026, 3, 8), 23),
        (NEW_YORK, (2026, 11, 1), 25),
        (LORD_HOWE, (2026, 10, 4), 23.5),
        (LORD_HOWE, (2026, 4, 5), 24.5),
    ],
)
def test_twenty_four_seven_counts_real_elapsed_time_across_dst(tz, day, hours):
    c = Calendar.always_open(tz.key)
    start = local(tz, *day)
    end = (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)
    assert end.date() > start.date() and (end.hour, end.minute) == (0, 0)
    assert business_seconds_between(c, start, end) == hours * H
    assert add_business_seconds(c, start, hours * H) == end


def test_overnight_shift_crossing_the_dst_change_is_shorter_or_longer():
    c = every_day("Europe/London", "22:00-06:00")
    spring = business_seconds_between(c, local(LONDON, 2026, 3, 28, 12), local(LONDON, 2026, 3, 29, 12))
    autumn = business_seconds_between(c, local(LONDON, 2026, 10, 24, 12), local(LONDON, 2026, 10, 25, 12))
    assert (spring, autumn) == (7 * H, 9 * H)
    # three hours from 23:00 on the spring night: 23:00 + 3h of real time is 03:00 BST
    assert add_business_seconds(c, local(LONDON, 2026, 3, 28, 23), 3 * H) == local(LONDON, 2026, 3, 29, 3)


def test_wall_times_in_a_gap_read_with_the_offset_before_the_change():
    # London 2026-03-29: 01:00-02:00 does not exist. 00:30-01:30 runs 00:30 GMT .. 02:30 BST (one real hour);
    # 01:00-02:00 is swallowed whole (no open time).
    day = {"date": "2026-03-29", "hours": ["00:30-01:30"]}
    c = cal("Europe/London", {"mon": ["09:00-17:00"]}, dates=[day])
    assert open_intervals(c, local(LONDON, 2026, 3, 29), local(LONDON, 2026, 3, 30)) == [
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    ]
    gone = cal("Europe/London", {"mon": ["09:00-17:00"]}, dates=[{"date": "2026-03-29", "hours": ["01:00-02:00"]}])
    assert business_seconds_between(gone, local(LONDON, 2026, 3, 29), local(LONDON, 2026, 3, 30)) == 0


def test_ambiguous_wall_times_in_a_fold_are_their_first_occurrence():
    # London 2026-10-25: 01:00-02:00 happens twice; 01:00 is the first (BST), 02:00 is GMT: two real hours.
    c = cal("Europe/London", {"mon": ["09:00-17:00"]}, dates=[{"date": "2026-10-25", "hours": ["01:00-02:00"]}])
    assert open_intervals(c, local(LONDON, 2026, 10, 25), local(LONDON, 2026, 10, 26)) == [
        (datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 0, tzinfo=UTC))
    ]


# --- holidays, own dates, year end -----------------------------------------------------------------------------


def test_new_year_skips_the_holiday_and_the_weekend():
    c = office(holidays={"country": "GB", "subdivision": "ENG"})
    assert add_business_seconds(c, local(LONDON, 2026, 12, 31, 16), 2 * H) == local(LONDON, 2027, 1, 4, 10)
    # Christmas Friday and the substitute Boxing Day Monday are closed
    assert add_business_seconds(c, local(LONDON, 2026, 12, 24, 16), 2 * H) == local(LONDON, 2026, 12, 29, 10)
    assert not is_open(c, local(LONDON, 2026, 12, 28, 10))


def test_holiday_subdivisions_differ():
    scotland = office(holidays={"country": "GB", "subdivision": "SCT"})
    england = office(holidays={"country": "GB", "subdivision": "ENG"})
    jan2 = local(LONDON, 2026, 1, 2, 10)  # a Friday: a bank holiday in Scotland only
    assert not is_open(scotland, jan2) and is_open(england, jan2)


def test_own_dates_close_shorten_and_add_hours_and_win_over_holidays():
    c = office(
        holidays={"country": "GB", "subdivision": "ENG"},
        dates=[
            {"date": "2026-12-23", "hours": [], "label": "party"},
            {"date": "2026-12-24", "hours": ["09:00-13:00"], "label": "Christmas Eve"},
            {"date": "2026-12-19", "hours": ["10:00-14:00"], "label": "Saturday sale"},
            {"date": "2026-12-28", "hours": ["10:00-12:00"], "label": "open on the bank holiday"},
        ],
    )
    assert not is_open(c, local(LONDON, 2026, 12, 23, 10))
    assert add_business_seconds(c, local(LONDON, 2026, 12, 24, 9), 4 * H) == local(LONDON, 2026, 12, 24, 13)
    assert add_business_seconds(c, local(LONDON, 2026, 12, 24, 12), 2 * H) == local(LONDON, 2026, 12, 28, 11)
    assert add_business_seconds(c, local(LONDON, 2026, 12, 18, 16), 2 * H) == local(LONDON, 2026, 12, 19, 11)


def test_closures_are_cut_out_of_open_time():
    c = office(closures=[{"start": "2026-06-10T12:00:00+01:00", "end": "2026-06-10T14:00:00+01:00"}])
    assert business_seconds_between(c, local(LONDON, 2026, 6, 10, 9), local(LONDON, 2026, 6, 10, 17)) == 6 * H
    assert add_business_seconds(c, local(LONDON, 2026, 6, 10, 11), 2 * H) == local(LONDON, 2026, 6, 10, 15)


# --- shifts and interval ends ------------------------------------------------------------------------------------


def test_split_shifts():
    c = cal("America/New_York", {d: ["09:00-12:00", "13:00-17:00"] for d in WEEKDAYS5})
    assert add_business_seconds(c, local(NEW_YORK, 2026, 6, 1, 9), 3.5 * H) == local(NEW_YORK, 2026, 6, 1, 13, 30)
    assert not is_open(c, local(NEW_YORK, 2026, 6, 1, 12, 30))
    assert next_open(c, local(NEW_YORK, 2026, 6, 1, 12, 30)) == local(NEW_YORK, 2026, 6, 1, 13)


def test_overnight_friday_shift_runs_into_saturday():
    c = cal("Europe/London", {"fri": ["22:00-06:00"]})
    assert add_business_seconds(c, local(LONDON, 2026, 6, 5, 23, 30), H) == local(LONDON, 2026, 6, 6, 0, 30)
    assert is_open(c, local(LONDON, 2026, 6, 6, 5, 59))
    assert not is_open(c, local(LONDON, 2026, 6, 6, 6))
    # the shift belongs to the day it starts: a Saturday holiday does not cut it
    c2 = cal("Europe/London", {"fri": ["22:00-06:00"]}, dates=[{"date": "2026-06-06", "hours": []}])
    assert is_open(c2, local(LONDON, 2026, 6, 6, 3))


def test_a_deadline_reached_at_closing_time_is_closing_time():
    c = office()
    assert add_business_seconds(c, local(LONDON, 2026, 6, 1, 9), 8 * H) == local(LONDON, 2026, 6, 1, 17)
    assert not is_open(c, local(LONDON, 2026, 6, 1, 17))
    assert next_open(c, local(LONDON, 2026, 6, 1, 17)) == local(LONDON, 2026, 6, 2, 9)
    # from a closed time the clock starts at the next opening; zero seconds is the start itself
    assert add_business_seconds(c, local(LONDON, 2026, 6, 6, 12), 60) == local(LONDON, 2026, 6, 8, 9, 1)
    assert add_business_seconds(c, local(LONDON, 2026, 6, 6, 12), 0) == local(LONDON, 2026, 6, 6, 12)


def test_results_keep_the_starts_timezone():
    c = office()
    start = datetime(2026, 6, 1, 8, tzinfo=UTC)  # 09:00 in London
    deadline = add_business_seconds(c, start, H)
    assert deadline.tzinfo is UTC and deadline == datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_between_is_negative_when_reversed():
    c = office()
    a, b = local(LONDON, 2026, 6, 1, 9), local(LONDON, 2026, 6, 2, 10)
    assert business_seconds_between(c, a, b) == 9 * H
    assert business_seconds_between(c, b, a) == -9 * H


# --- long targets, bounds, no open time --------------------------------------------------------------------------


def test_a_one_year_target_is_computed_and_beyond_is_refused():
    c = office(holidays={"country": "GB", "subdivision": "ENG"})
    start = local(LONDON, 2026, 1, 5, 9)
    deadline = add_business_seconds(c, start, MAX_TARGET_SECONDS)
    assert business_seconds_between(c, start, deadline) == MAX_TARGET_SECONDS
    assert deadline.year == 2030  # 8,784 hours at 40 hours a week minus holidays: about four and a half years
    with pytest.raises(TargetOutOfRange):
        add_business_seconds(c, start, MAX_TARGET_SECONDS + 1)
    with pytest.raises(TargetOutOfRange):
        add_business_seconds(c, start, -1)


def test_a_calendar_without_open_time_is_an_error_not_a_loop():
    with pytest.raises(NoOpenTime):
        cal("UTC", {})
    once = cal("UTC", {}, dates=[{"date": "2026-06-01", "hours": ["09:00-10:00"]}])
    assert add_business_seconds(once, datetime(2026, 1, 1, tzinfo=UTC), H) == datetime(2026, 6, 1, 10, tzinfo=UTC)
    with pytest.raises(NoOpenTime):
        add_business_seconds(once, datetime(2026, 1, 1, tzinfo=UTC), 2 * H)
    with pytest.raises(NoOpenTime):
        next_open(once, datetime(2026, 7, 1, tzinfo=UTC))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_seconds(office(), datetime(2026, 6, 1, 9), 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_seconds_between(office(), datetime(2026, 6, 1, 9), datetime(2026, 6, 2, tzinfo=UTC))


# --- the definition --------------------------------------------------------------------------------------------


def test_definition_round_trips_through_json():
    c = office(
        holidays={"country": "DE", "subdivision": "BY"},
        dates=[{"date": "2026-12-24", "hours": ["09:00-12:00"], "label": "Heiligabend", "uid": None}],
        closures=[{"start": "2026-06-10T10:00:00+00:00", "end": "2026-06-10T11:00:00+00:00", "label": "move"}],
    )
    again = Calendar.from_dict(json.loads(json.dumps(c.to_dict())))
    assert again == c and hash(again) == hash(c)
    assert Calendar.always_open("Europe/Paris").is_always_open and not c.is_always_open


MON = {"timezone": "UTC", "weekly": {"mon": ["09:00-10:00"]}}


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        ({"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}}, UnknownTimezone, "Mars/Olympus"),
        ({"timezone": "", "weekly": {"mon": ["09:00-17:00"]}}, UnknownTimezone, "unknown timezone"),
        ({"timezone": "UTC", "weekly": {"mon": ["09:00-09:00"]}}, InvalidInterval, "empty"),
        ({"timezone": "UTC", "weekly": {"mon": ["00:00-00:00"]}}, InvalidInterval, "empty"),
        ({"timezone": "UTC", "weekly": {"mon": ["9-17"]}}, InvalidInterval, "HH:MM"),
        ({"timezone": "UTC", "weekly": {"mon": ["09:00-25:00"]}}, InvalidInterval, "25:00"),
        ({"timezone": "UTC", "weekly": {"mon": ["09:00-12:00", "11:00-14:00"]}}, InvalidInterval, "overlaps"),
        ({"timezone": "UTC", "weekly": {"fri": ["22:00-06:00"], "sat": ["05:00-12:00"]}}, InvalidInterval, "fri"),
        ({"timezone": "UTC", "weekly": {"sun": ["22:00-06:00"], "mon": ["05:00-12:00"]}}, InvalidInterval, "week"),
        ({"timezone": "UTC", "weekly": {"funday": ["09:00-10:00"]}}, InvalidInterval, "funday"),
        ({**MON, "holidays": {"country": "XX"}}, UnknownHolidayCountry, "'XX'"),
        ({**MON, "holidays": "GB"}, UnknownHolidayCountry, "'GB'"),
        ({"timezone": "UTC", "weekly": ["09:00-17:00"]}, InvalidInterval, "weekly"),
        ({**MON, "dates": ["2026-01-02"]}, CalendarError, "ISO"),
        ({**MON, "holidays": {"country": "GB", "subdivision": "ZZ"}}, UnknownHolidayCountry, "'ZZ'"),
        ({**MON, "dates": [{"date": "2026-01-02"}, {"date": "2026-01-02"}]}, InvalidInterval, "twice"),
        ({**MON, "dates": [{"date": "soon"}]}, CalendarError, "ISO"),
        (
            {**MON, "closures": [{"start": "2026-01-02T10:00:00+00:00", "end": "2026-01-02T10:00"}]},
            InvalidInterval,
            "timezone",
        ),
        (
            {**MON, "closures": [{"start": "2026-01-02T10:00:00+00:00", "end": "2026-01-02T09:00:00Z"}]},
            InvalidInterval,
            "empty",
        ),
    ],
)
def test_bad_definitions_are_clear_value_errors(data, error, text):
    with pytest.raises(error, match=None) as info:
        Calendar.from_dict(data)
    assert isinstance(info.value, ValueError) and text in str(info.value)


def test_closure_needs_a_timezone():
    with pytest.raises(InvalidInterval):
        Closure(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_touching_intervals_are_allowed_and_merge():
    c = cal("UTC", {"mon": ["09:00-12:00", "12:00-17:00"], "sun": ["20:00-24:00"]})
    assert business_seconds_between(c, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)) == 8 * H
    assert open_intervals(c, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)) == [
        (datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 1, 17, tzinfo=UTC))
    ]


# --- properties ----------------------------------------------------------------------------------------------------

settings.register_profile("business_time", max_examples=150, derandomize=True, deadline=None, database=None)

CALENDARS = [
    office(holidays={"country": "GB", "subdivision": "ENG"}, dates=[{"date": "2026-12-24", "hours": ["09:00-13:00"]}]),
    cal("America/New_York", {d: ["09:00-12:00", "13:00-17:00"] for d in WEEKDAYS5}, holidays={"country": "US"}),
    cal("Australia/Lord_Howe", {"fri": ["22:00-06:00"], "sat": ["10:00-14:00"], "sun": ["01:30-02:30"]}),
    every_day("Europe/London", "00:30-01:30", "22:00-24:00"),
    Calendar.always_open("Europe/London"),
]
LO, HI = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp()), int(datetime(2027, 2, 1, tzinfo=UTC).timestamp())
calendars = st.sampled_from(CALENDARS)
instants = st.integers(LO, HI).map(lambda t: datetime.fromtimestamp(t, UTC))
targets = st.integers(0, 40 * 86400)
prop = settings(settings.get_profile("business_time"))


@prop
@given(calendars, instants, targets)
def test_add_then_measure_round_trips(c, t, s):
    assert business_seconds_between(c, t, add_business_seconds(c, t, s)) == s


@prop
@given(calendars, instants, targets, targets)
def test_add_is_monotonic_and_additive(c, t, a, b):
    assert add_business_seconds(c, t, min(a, b)) <= add_business_seconds(c, t, max(a, b))
    assert add_business_seconds(c, add_business_seconds(c, t, a), b) == add_business_seconds(c, t, a + b)


@prop
@given(calendars, instants, instants, targets)
def test_later_starts_never_give_earlier_deadlines(c, t1, t2, s):
    t1, t2 = min(t1, t2), max(t1, t2)
    assert add_business_seconds(c, t1, s) <= add_business_seconds(c, t2, s)


@prop
@given(calendars, instants, instants, instants)
def test_between_is_additive(c, a, b, x):
    total = business_seconds_between(c, a, b) + business_seconds_between(c, b, x)
    assert total == business_seconds_between(c, a, x)


@prop
@given(calendars, instants, st.integers(1, 40 * 86400))
def test_deadlines_fall_in_open_time_or_at_an_intervals_end(c, t, s):
    deadline = add_business_seconds(c, t, s)
    just_before = deadline - timedelta(microseconds=1)
    assert is_open(c, just_before)  # the last second counted was open: inside open time or at its end
    assert business_seconds_between(c, t, just_before) < s  # and it is the earliest such instant


@prop
@given(instants, st.integers(0, MAX_TARGET_SECONDS), st.integers(0, 999_999))
def test_twenty_four_seven_is_plain_addition(t, s, micro):
    t = t.replace(microsecond=micro)
    assert add_business_seconds(Calendar.always_open("UTC"), t, s) == t + timedelta(seconds=s)
    assert add_business_seconds(CALENDARS[-1], t, s) == t + timedelta(seconds=s)
    assert business_seconds_between(CALENDARS[-1], t, t + timedelta(seconds=s)) == s


@prop
@given(calendars, instants, st.integers(0, 999_999), st.integers(1, 5 * 86400))
def test_round_trip_to_the_microsecond(c, t, micro, s):
    t = t.replace(microsecond=micro)
    assert business_seconds_between(c, t, add_business_seconds(c, t, s)) == pytest.approx(s, abs=1e-6)


def test_the_worked_example_of_the_docs():
    c = office(holidays={"country": "GB", "subdivision": "ENG"})
    assert add_business_seconds(c, local(LONDON, 2026, 12, 31, 16), 2 * H) == local(LONDON, 2027, 1, 4, 10)
    opened = office(
        holidays={"country": "GB", "subdivision": "ENG"}, dates=[{"date": "2027-01-01", "hours": ["10:00-12:00"]}]
    )
    assert add_business_seconds(opened, local(LONDON, 2026, 12, 31, 16), 2 * H) == local(LONDON, 2027, 1, 1, 11)


def test_far_apart_instants_replace_the_table_instead_of_failing():
    c = office(holidays={"country": "gb", "subdivision": "ENG"})  # the country code is case-insensitive
    for year in (2026, 1990, 2080, 2026):
        start = local(LONDON, year, 6, 5, 16)  # a weekday in none of these years' holidays
        deadline = add_business_seconds(c, start, 2 * H)
        assert business_seconds_between(c, start, deadline) == 2 * H
    with pytest.raises(TargetOutOfRange, match="too wide"):
        business_seconds_between(c, local(LONDON, 1950, 1, 1), local(LONDON, 2026, 1, 1))


def test_a_calendar_pickles_without_its_compiled_table():
    import pickle

    c = office(holidays={"country": "GB", "subdivision": "ENG"})
    add_business_seconds(c, local(LONDON, 2026, 6, 1, 9), H)  # compiles (the table holds a lock)
    again = pickle.loads(pickle.dumps(c))
    assert again == c
    assert add_business_seconds(again, local(LONDON, 2026, 6, 1, 9), H) == local(LONDON, 2026, 6, 1, 10)


@st.composite
def random_calendars(draw) -> Calendar:
    """Any weekly shape: per day up to three intervals on a half-hour grid, maybe an overnight one, own dates."""
    weekly = {}
    for day in ALL_DAYS:
        marks = sorted(draw(st.lists(st.integers(0, 48), unique=True, max_size=6)))
        pairs = list(zip(marks[::2], marks[1::2], strict=False))
        weekly[day] = [f"{a // 2:02d}:{a % 2 * 30:02d}-{b // 2:02d}:{b % 2 * 30:02d}" for a, b in pairs]
    if draw(st.booleans()):
        weekly["fri"] = [i for i in weekly["fri"] if i.split("-")[1] <= "22:00"] + ["22:00-02:00"]
        weekly["sat"] = [i for i in weekly["sat"] if i >= "02:00"]
    if not any(weekly.values()):
        weekly["wed"] = ["09:00-10:00"]
    dates = [
        {"date": f"2026-{m:02d}-{d:02d}", "hours": h}
        for m, d, h in draw(
            st.lists(
                st.tuples(st.integers(1, 12), st.integers(1, 28), st.sampled_from([[], ["10:00-11:30"]])),
                max_size=4,
                unique_by=lambda x: (x[0], x[1]),
            )
        )
    ]
    tz = draw(st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]))
    return cal(tz, weekly, dates=dates)


@prop
@given(random_calendars(), instants, st.integers(1, 2 * 86400), st.integers(0, 86400))
def test_laws_hold_for_any_weekly_shape(c, t, a, b):
    first = add_business_seconds(c, t, a)
    assert business_seconds_between(c, t, first) == a
    assert is_open(c, first - timedelta(microseconds=1))
    assert add_business_seconds(c, first, b) == add_business_seconds(c, t, a + b)


def test_threads_compiling_one_calendar_at_once_agree():
    from concurrent.futures import ThreadPoolExecutor

    c = office(holidays={"country": "GB", "subdivision": "ENG"})
    starts = [local(LONDON, 2020 + i % 12, 1 + i % 12, 1 + i % 28, 8 + i % 10) for i in range(48)]
    with ThreadPoolExecutor(8) as pool:
        deadlines = list(pool.map(lambda t: add_business_seconds(c, t, 30 * H), starts))
    # an equal calendar would share c's table through the LRU: a far-past closure makes an unequal, equivalent one
    alone = office(
        holidays={"country": "GB", "subdivision": "ENG"},
        closures=[{"start": "1900-01-01T00:00:00+00:00", "end": "1900-01-02T00:00:00+00:00"}],
    )
    fresh = [add_business_seconds(alone, t, 30 * H) for t in starts]
    assert deadlines == fresh


def test_an_overnight_spill_meeting_the_next_days_own_hours_is_their_union():
    c = cal("Europe/London", {"fri": ["22:00-06:00"]}, dates=[{"date": "2026-06-06", "hours": ["05:00-12:00"]}])
    friday, saturday_noon = local(LONDON, 2026, 6, 5, 22), local(LONDON, 2026, 6, 6, 12)
    assert business_seconds_between(c, friday, saturday_noon) == 14 * H
