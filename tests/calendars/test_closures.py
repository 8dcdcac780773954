"""Closures on the calendar's admin page: added by date or span, listed, removed; each a new version from now."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rapport.calendars import feeds, service
from rapport.kernel.permissions import SYSTEM
from rapport.kit.business_time import business_seconds_between
from rapport.models import CalendarVersion, Event
from tests.calendars.helpers import OFFICE, PARTY, feed
from tests.conftest import sign_in_as

BERLIN_DEC_4 = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # midnight in Berlin
STOCK_TAKE = {"closure_label": "Stock-take", "closure_start": "2026-12-04"}


def _office(db) -> int:
    with db.write() as s:
        return service.create(s, SYSTEM, name="Office", spec=OFFICE).id


def _versions(db, cid: int) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(CalendarVersion).where(CalendarVersion.calendar_id == cid))


def _add(client, csrf: str, cid: int, **fields):
    return client.post(f"/admin/calendars/{cid}/closures", data={"csrf_token": csrf, **fields})


def test_a_closed_day_is_a_new_version_from_now_and_listed_to_come(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    cid = _office(db)
    assert "No closures to come." in client.get(f"/admin/calendars/{cid}").text
    r = _add(client, csrf, cid, **STOCK_TAKE)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/calendars/{cid}", r.text
    with db.read() as s:
        newest, first = service.versions(s, cid)
        assert newest.effective_from == frozen_clock[0]  # in force from now; the first version stays as it was
        assert first.spec["closures"] == []
        closed = service.calendar_of(newest).closures
        assert [(c.start, c.end, c.label, c.uid) for c in closed] == [
            (BERLIN_DEC_4, BERLIN_DEC_4 + timedelta(days=1), "Stock-take", None)
        ]
        assert (newest.spec["weekly"], newest.spec["dates"]) == (first.spec["weekly"], first.spec["dates"])
        day = (BERLIN_DEC_4, BERLIN_DEC_4 + timedelta(days=1))
        assert business_seconds_between(service.calendar_of(first), *day) == 7.5 * 3600
        assert business_seconds_between(service.calendar_of(newest), *day) == 0
        assert s.scalar(select(func.count()).select_from(Event).where(Event.name == "calendar.updated")) == 1
    page = client.get(f"/admin/calendars/{cid}").text
    assert "<strong>Stock-take</strong>: Fri 2026-12-04 00:00 to Sat 2026-12-05 00:00" in page
    assert "No closures to come." not in page


def test_a_span_of_hours_and_the_hours_form_keeps_the_closures(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    cid = _office(db)
    move = {"closure_label": "  Office   move ", "closure_start": "2026-11-10", "closure_start_time": "13:00",
            "closure_end": "2026-11-11", "closure_end_time": "12:00"}  # fmt: skip
    assert _add(client, csrf, cid, **move).status_code == 303
    # one version per instant: a second edit within the same second is refused, and saved a moment later
    morning = {"closure_label": "Training", "closure_start": "2026-11-20", "closure_end_time": "10:30"}
    r = _add(client, csrf, cid, **morning)
    assert r.status_code == 422 and "saved a moment ago" in r.text
    frozen_clock[0] += timedelta(seconds=1)
    assert _add(client, csrf, cid, **morning).status_code == 303
    with db.read() as s:
        newest, middle, _ = service.versions(s, cid)
        assert newest.effective_from == middle.effective_from + timedelta(seconds=1)
        spans = [(c.start, c.end, c.label) for c in service.calendar_of(newest).closures]
    assert spans == [
        (datetime(2026, 11, 10, 12, tzinfo=UTC), datetime(2026, 11, 11, 11, tzinfo=UTC), "Office move"),
        (datetime(2026, 11, 19, 23, tzinfo=UTC), datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "Training"),
    ]
    form = {"csrf_token": csrf, "timezone": "Europe/Berlin", "weekly_mon": "08:00-16:00"}
    frozen_clock[0] += timedelta(minutes=1)
    assert client.post(f"/admin/calendars/{cid}/versions", data=form).status_code == 303
    with db.read() as s:
        assert len(service.calendar_of(service.latest(s, cid)).closures) == 2  # carried into the hours' new version


def test_bad_closures_are_shown_beside_their_field_and_nothing_is_saved(client, world, db, frozen_clock, settings):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    cid = _office(db)
    with db.write() as s:
        feeds.import_feed(s, SYSTEM, cid, feed(PARTY), feed_name="Events")  # 2026-12-11 15:00-18:00 in Berlin
    frozen_clock[0] += timedelta(minutes=1)
    assert _add(client, csrf, cid, **STOCK_TAKE).status_code == 303
    saved = _versions(db, cid)
    settings.calendar_closure_max_days = 10
    cases = [
        ({"closure_label": " "}, "closure-label", "name the closure in 1 to 200 characters"),
        ({"closure_label": "x" * 201}, "closure-label", "name the closure in 1 to 200 characters"),
        ({"closure_start": ""}, "closure-start", "give the date the closure starts"),
        ({"closure_start": "04.12.2026"}, "closure-start", "is not a date yyyy-mm-dd"),
        ({"closure_end": "9999-12-31"}, "closure-end", "past the years a calendar can hold"),
        ({"closure_start_time": "25:00"}, "closure-start-time", "is not a time hh:mm"),
        ({"closure_start": "2026-12-08", "closure_end": "2026-12-07"}, "closure-end", "ends before it starts"),
        ({"closure_start": "2026-12-08", "closure_start_time": "14:00", "closure_end_time": "13:00"},
         "closure-end", "ends before it starts"),
        ({"closure_start": "2026-12-08", "closure_start_time": "14:00", "closure_end_time": "14:00"},
         "closure-end", "ends before it starts"),
        ({"closure_start": "2027-01-01", "closure_end": "2027-01-11"}, "closure-end",
         "at most 10 days (rapport_calendar_closure_max_days)"),
        ({"closure_start": "2026-10-01"}, "closure-end", "already over"),
        ({"closure_start_time": "12:00", "closure_end_time": "13:00"}, "closure-start",
         "overlaps the closure 'stock-take' (2026-12-04 00:00 to 2026-12-05 00:00)"),
        ({}, "closure-start", "overlaps the closure 'stock-take'"),  # the same again
        ({"closure_start": "2026-12-11"}, "closure-start", "overlaps the feed's closure 'team party'"),
    ]  # fmt: skip
    for change, field, words in cases:
        r = _add(client, csrf, cid, **{**STOCK_TAKE, "closure_label": "Inventory", **change})
        assert r.status_code == 422 and "Nothing was saved" in r.text, change
        error = re.search(rf'<p class="error field-error" id="{field}-error">(.*?)</p>', r.text)
        assert error and words in html.unescape(error[1]).lower(), (change, re.findall(r"error.*", r.text))
    assert _versions(db, cid) == saved
    settings.calendar_closure_max_days = 11
    frozen_clock[0] += timedelta(minutes=1)
    longest = {**STOCK_TAKE, "closure_start": "2027-01-01", "closure_end": "2027-01-11"}
    assert _add(client, csrf, cid, **longest).status_code == 303


def test_a_closure_is_removed_by_its_button_and_only_once(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    cid = _office(db)
    with db.write() as s:
        feeds.import_feed(s, SYSTEM, cid, feed(PARTY), feed_name="Events")
    frozen_clock[0] += timedelta(minutes=1)
    _add(client, csrf, cid, **STOCK_TAKE)
    frozen_clock[0] += timedelta(minutes=1)
    _add(client, csrf, cid, closure_label="Move", closure_start="2026-12-14")
    page = client.get(f"/admin/calendars/{cid}").text
    forms = re.findall(r'closures/remove".*?name="start" value="([^"]+)">\s*<input type="hidden" name="end" '
                       r'value="([^"]+)">', page, re.S)  # fmt: skip
    assert len(forms) == 2  # the feed's closure is the feed's: no remove button
    assert 'aria-label="Remove the closure Stock-take (2026-12-04 00:00)"' in page
    frozen_clock[0] += timedelta(minutes=1)
    remove = {"csrf_token": csrf, "start": forms[0][0], "end": forms[0][1]}
    r = client.post(f"/admin/calendars/{cid}/closures/remove", data=remove)
    assert r.status_code == 303, r.text
    with db.read() as s:
        newest = service.latest(s, cid)
        assert newest.effective_from == frozen_clock[0]
        assert [(c.label, c.uid) for c in service.calendar_of(newest).closures] == [
            ("Team party", "party@example.com"), ("Move", None)
        ]  # fmt: skip
        assert newest.feed_name == "Events"
    saved = _versions(db, cid)
    again = client.post(f"/admin/calendars/{cid}/closures/remove", data=remove)
    assert again.status_code == 422 and "no longer in the calendar" in again.text
    bad = client.post(f"/admin/calendars/{cid}/closures/remove", data={**remove, "start": "yesterday"})
    assert bad.status_code == 422 and "not one the calendar knows" in bad.text
    assert _versions(db, cid) == saved
    assert "<strong>Stock-take</strong>" not in client.get(f"/admin/calendars/{cid}").text


def test_a_closure_reaching_into_a_version_to_come_is_refused(client, world, db, frozen_clock):
    csrf = sign_in_as(client, "ada@example.com", "correct horse battery")
    cid = _office(db)
    with db.write() as s:
        service.revise(s, SYSTEM, cid, spec=OFFICE, effective_from=datetime(2026, 12, 1, tzinfo=UTC))
    r = _add(client, csrf, cid, closure_label="Audit", closure_start="2026-11-30", closure_end="2026-12-02")
    assert r.status_code == 422 and "in force from 2026-12-01 01:00 is still to come" in r.text
    assert _versions(db, cid) == 2
    r = _add(client, csrf, cid, closure_label="Audit", closure_start="2026-11-27")
    assert r.status_code == 303
    with db.read() as s:
        now_version = service.version_at(s, cid, frozen_clock[0])
        assert [c.label for c in service.calendar_of(now_version).closures] == ["Audit"]
        assert service.calendar_of(service.latest(s, cid)).closures == ()  # the version to come stays as it was
    assert "<strong>Audit</strong>" in client.get(f"/admin/calendars/{cid}").text
