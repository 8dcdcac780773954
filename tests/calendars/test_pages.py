"""The calendar admin pages: the list, a new calendar, its week grid, holidays, own dates, iCal feed and versions."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from rapport.calendars import service
from rapport.kernel.permissions import SYSTEM
from rapport.models import BusinessCalendar, CalendarVersion
from rapport.sla import policies
from tests.calendars.helpers import INVENTORY, OFFICE, PARTY, feed
from tests.conftest import sign_in_as

WEEK = {"weekly_mon": "09:00-12:00, 13:00-17:30", "weekly_fri": "22:00-06:00"}


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(BusinessCalendar)),
            s.scalar(select(func.count()).select_from(CalendarVersion)),
        )


def test_only_admins_see_the_pages_and_forms_carry_csrf(client, world):
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    assert client.get("/admin/calendars").status_code == 403
    client.cookies.clear()
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/admin/calendars")
    assert page.status_code == 200 and "No calendars yet" in page.text
    assert 'href="/admin/calendars"' in client.get("/admin").text  # the admin section is listed
    form = {"name": "Office", "timezone": "Europe/Berlin", **WEEK}
    assert client.post("/admin/calendars/new", data=form).status_code == 403  # no CSRF token
    r = client.post("/admin/calendars/new", data={"csrf_token": csrf, **form})
    assert r.status_code == 303 and re.match(r"^/admin/calendars/\d+$", r.headers["location"])


def test_a_new_calendar_from_the_week_grid_with_a_holiday_preset_and_own_dates(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    new = client.get("/admin/calendars/new")
    assert new.status_code == 200 and 'value="09:00-17:00"' in new.text and "Europe/Berlin" in new.text
    form = {
        "csrf_token": csrf, "name": "Office", "description": "Munich", "timezone": "Europe/Berlin", **WEEK,
        "holiday_country": "DE", "holiday_subdivision": "BY",
        "dates": "2026-12-24 closed Christmas Eve\n2026-12-31 09:00-13:00 New Year's Eve",
    }  # fmt: skip
    r = client.post("/admin/calendars/new", data=form)
    assert r.status_code == 303, r.text
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    with db.read() as s:
        spec = service.latest(s, cid).spec
    assert spec["weekly"] == {"mon": ["09:00-12:00", "13:00-17:30"], "fri": ["22:00-06:00"]}
    assert spec["holidays"] == {"country": "DE", "subdivision": "BY"}
    assert [(d["date"], d["hours"], d["label"]) for d in spec["dates"]] == [
        ("2026-12-24", [], "Christmas Eve"), ("2026-12-31", ["09:00-13:00"], "New Year's Eve")
    ]  # fmt: skip
    page = client.get(f"/admin/calendars/{cid}")
    assert page.status_code == 200
    assert 'value="09:00-12:00, 13:00-17:30"' in page.text and 'value="22:00-06:00"' in page.text
    assert "Erster Weihnachtstag" in page.text or "Christmas Day" in page.text  # the next 12 months' holidays
    assert "2026-12-31 09:00-13:00 New Year&#39;s Eve" in page.text
    assert "the beginning" in page.text and "in force" in page.text
    listed = client.get("/admin/calendars").text
    assert "Office" in listed and "No service policy" in listed


def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    base = {"csrf_token": csrf, "name": "Office", "timezone": "Europe/Berlin", **WEEK}
    cases = [
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"weekly_mon": "09:00-12:00, 11:00-13:00"}, "overlaps"),
        ({"weekly_tue": "10:00-10:00"}, "empty interval"),
        ({"holiday_country": "XX"}, "no holidays known for country"),
        ({"holiday_country": "DE", "holiday_subdivision": "ZZ"}, "has no subdivision"),
        ({"dates": "24.12.2026 closed"}, "is not a date yyyy-mm-dd"),
        ({"effective_from": "soon"}, "is not a date yyyy-mm-dd"),
    ]
    for change, words in cases:
        r = client.post("/admin/calendars/new", data={**base, **change})
        assert r.status_code == 422 and words in r.text.lower() and "Nothing was saved" in r.text, change
    assert _counts(db) == (0, 0)
    r = client.post("/admin/calendars/new", data=base)
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    for change, words in cases:
        r = client.post(f"/admin/calendars/{cid}/versions", data={**base, **change})
        assert r.status_code == 422 and words in r.text.lower(), change
    assert _counts(db) == (1, 1)


def test_a_new_version_from_a_date_and_the_history_lists_both(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    form = {"csrf_token": csrf, "timezone": "Europe/Berlin", "always_open": "on", "effective_from": "2027-01-01"}
    r = client.post(f"/admin/calendars/{cid}/versions", data=form)
    assert r.status_code == 303, r.text
    with db.read() as s:
        newest, first = service.versions(s, cid)
        assert newest.effective_from.isoformat() == "2026-12-31T23:00:00+00:00"  # midnight in Berlin
        assert service.calendar_of(newest).is_always_open
        assert first.spec["dates"][0]["label"] == "Christmas Eve"
    page = client.get(f"/admin/calendars/{cid}").text
    assert "2027-01-01 00:00" in page and "to come" in page and "24/7" in page
    again = client.post(f"/admin/calendars/{cid}/versions", data=form)
    assert again.status_code == 422 and "already has a version effective from" in again.text
    r = client.post(f"/admin/calendars/{cid}", data={"csrf_token": csrf, "name": "Head office", "description": "HQ"})
    assert r.status_code == 303
    with db.read() as s:
        assert service.get(s, cid).name == "Head office" and len(service.versions(s, cid)) == 2


def test_an_ical_file_is_read_items_opted_out_and_imported(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    text = feed(INVENTORY, PARTY)
    r = client.post(
        f"/admin/calendars/{cid}/ical",
        data={"csrf_token": csrf, "action": "preview", "feed_name": "Closures"},
        files={"ical_file": ("closures.ics", text.encode(), "text/calendar")},
    )
    assert r.status_code == 200, r.text
    assert "Inventory day" in r.text and 'value="party@example.com"' in r.text and "Import as a new version" in r.text
    assert _counts(db) == (1, 1)
    r = client.post(
        f"/admin/calendars/{cid}/ical",
        data={"csrf_token": csrf, "action": "import", "feed_name": "Closures", "ical_text": text,
              "opt_out": ["party@example.com"]},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    with db.read() as s:
        version = service.latest(s, cid)
        assert (version.feed_name, version.feed_opt_out) == ("Closures", ["party@example.com"])
        assert [d["uid"] for d in version.spec["dates"]] == [None, "inventory@example.com"]
    page = client.get(f"/admin/calendars/{cid}").text
    assert "Closures" in page and "Inventory day" in page
    # the hours form keeps the feed's dates out of the own dates, and a new version carries them on
    assert "inventory@example.com" not in re.search(r'<textarea id="calendar-dates".*?</textarea>', page, re.S)[0]


def test_a_bad_or_oversized_feed_is_refused_on_the_page(client, world, db, frozen_clock, settings):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    data = {"csrf_token": csrf, "action": "preview"}
    r = client.post(f"/admin/calendars/{cid}/ical", data={**data, "ical_text": "hello"})
    assert r.status_code == 422 and "not an iCal calendar" in r.text
    r = client.post(f"/admin/calendars/{cid}/ical", data=data)
    assert r.status_code == 422 and "Choose an iCal file" in r.text
    settings.ical_max_bytes = 1024
    big = feed(*[INVENTORY.replace("inventory@", f"i{n}@") for n in range(20)])
    r = client.post(f"/admin/calendars/{cid}/ical", data={**data, "action": "import", "ical_text": big})
    assert r.status_code == 422 and "RAPPORT_ICAL_MAX_BYTES" in r.text
    assert "i19@example.com" not in r.text  # the oversized feed is not sent back
    assert _counts(db) == (1, 1)


def test_deleting_a_calendar_in_use_names_the_policies(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        spare = service.create(s, SYSTEM, name="Spare", spec=OFFICE).id
        target = {"kind": "first_reply", "seconds": 3600, "business": True, "calendar_id": cid}
        policies.create(s, SYSTEM, name="Gold", targets=[target])
    r = client.post(f"/admin/calendars/{cid}/delete", data={"csrf_token": csrf})
    assert r.status_code == 422 and "in use by the service policy &#39;Gold&#39;" in r.text
    assert "Gold" in client.get("/admin/calendars").text
    r = client.post(f"/admin/calendars/{spare}/delete", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/admin/calendars"
    assert _counts(db) == (1, 1)


def test_the_subdivision_field_follows_the_country(client, world):
    sign_in_as(client, "ada@example.com", "correct horse battery")
    r = client.get("/admin/calendars/subdivisions?holiday_country=DE", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'value="BY"' in r.text and "Bayern" in r.text
    r = client.get("/admin/calendars/subdivisions?holiday_country=XX")
    assert r.status_code == 200 and "None for this country" in r.text
