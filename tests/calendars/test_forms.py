"""The calendar form's text fields to a spec and back (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.calendars.forms import effective_from, form_from, spec_from
from rapport.kit.calendar_spec import Calendar
from rapport.kit.problems import Invalid


def test_the_week_grid_and_own_dates_read_as_a_spec_and_back():
    form = {
        "timezone": "Europe/Berlin", "weekly_mon": "9:00-12:00, 13:00-17:30", "weekly_sat": "22:00-06:00",
        "holiday_country": "de", "holiday_subdivision": "BY",
        "dates": "2026-12-24 closed Christmas Eve\n\n2026-12-31 09:00-11:00, 12:00-13:00 New Year's Eve",
    }  # fmt: skip
    spec = spec_from(form)
    assert spec["weekly"]["mon"] == ["09:00-12:00", "13:00-17:30"] and spec["weekly"]["sat"] == ["22:00-06:00"]
    assert spec["dates"] == [
        {"date": "2026-12-24", "hours": [], "label": "Christmas Eve"},
        {"date": "2026-12-31", "hours": ["09:00-11:00", "12:00-13:00"], "label": "New Year's Eve"},
    ]
    back = form_from(Calendar.from_dict(spec))
    assert back["weekly_mon"] == "09:00-12:00, 13:00-17:30" and back["weekly_tue"] == ""
    assert back["holiday_country"] == "DE" and back["always_open"] == ""
    assert back["dates"].splitlines() == [
        "2026-12-24 closed Christmas Eve", "2026-12-31 09:00-11:00, 12:00-13:00 New Year's Eve"
    ]  # fmt: skip
    always = spec_from({"timezone": "UTC", "always_open": "on", "weekly_mon": "ignored"})
    assert Calendar.from_dict(always).is_always_open and form_from(Calendar.from_dict(always))["always_open"] == "on"


def test_a_new_version_keeps_the_previous_feed_items_and_closures_but_not_its_own_dates():
    previous = Calendar.from_dict(
        {
            "timezone": "UTC",
            "weekly": {"mon": ["09:00-17:00"]},
            "dates": [
                {"date": "2026-12-24", "hours": [], "label": "own"},
                {"date": "2026-12-04", "hours": [], "label": "Inventory", "uid": "inv"},
                {"date": "2026-12-05", "hours": [], "label": "Clash", "uid": "clash"},
            ],
            "closures": [{"start": "2026-12-11T15:00:00+00:00", "end": "2026-12-11T18:00:00+00:00", "label": "x"}],
        }
    )
    spec = spec_from({"timezone": "UTC", "weekly_tue": "10:00-12:00", "dates": "2026-12-05 10:00-11:00"}, previous)
    assert [(d["date"], d.get("uid")) for d in spec["dates"]] == [("2026-12-05", None), ("2026-12-04", "inv")]
    assert [c["label"] for c in spec["closures"]] == ["x"]
    assert "inv" not in form_from(previous)["dates"] and "own" in form_from(previous)["dates"]


@pytest.mark.parametrize(
    ("dates", "words"),
    [("24.12.2026 closed", "is not a date"), ("2026-12-24", "write 'closed' or hours"), ("2026-12-24 soon", "closed")],
)
def test_an_own_date_line_that_cannot_be_read_names_its_line(dates, words):
    with pytest.raises(Invalid, match=words) as caught:
        spec_from({"timezone": "UTC", "weekly_mon": "09:00-17:00", "dates": f"2026-12-01 closed\n{dates}"})
    assert "line 2" in caught.value.detail and caught.value.extra["errors"] == [{"field": "dates"}]


def test_in_force_from_is_midnight_in_the_calendars_zone():
    assert effective_from("", "Europe/Berlin") is None
    assert effective_from("2027-01-01", "Europe/Berlin").astimezone(UTC) == datetime(2026, 12, 31, 23, tzinfo=UTC)
    with pytest.raises(Invalid) as caught:
        effective_from("2027-01-01", "Nowhere/Else")
    assert caught.value.extra["errors"] == [{"field": "timezone"}]
