"""The calendars service: versions by effective instant, validation as 422s naming the part, in-use refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rapport.calendars import feeds, service
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.business_time import is_open
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.models import BusinessCalendar, CalendarVersion, Event
from rapport.models.enums import Role
from rapport.sla import policies
from tests.calendars.helpers import NIGHTS, OFFICE

AGENT = Actor(kind="agent", id=None, role=Role.agent, name="Alex")


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_a_calendar_starts_with_a_version_that_applies_back_to_1970(db, frozen_clock):
    with db.write() as s:
        row = service.create(s, SYSTEM, name="  Office   hours ", description="Berlin", spec=OFFICE)
        assert row.name == "Office hours"
    with db.read() as s:
        (version,) = service.versions(s, row.id)
        assert version.effective_from == service.EPOCH
        assert service.version_at(s, row.id, datetime(1999, 1, 1, tzinfo=UTC)).id == version.id
        cal = service.calendar_of(version)
        assert cal.timezone == "Europe/Berlin" and cal.holidays.subdivision == "BY"
        assert service.calendar_of(version) is cal  # parsed once per version
        assert is_open(cal, datetime(2026, 11, 2, 10, 0, tzinfo=UTC))  # Monday 11:00 in Berlin
        assert not is_open(cal, datetime(2026, 11, 2, 11, 30, tzinfo=UTC))  # the lunch break
        assert [e.name for e in s.scalars(select(Event))] == ["calendar.created"]


def test_version_at_picks_the_version_in_force_and_a_clock_keeps_its_own(db, frozen_clock):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE, effective_from=frozen_clock[0]).id
    later = frozen_clock[0] + timedelta(days=30)
    with db.write() as s:
        second = service.revise(s, SYSTEM, cid, spec=service.always_open("Europe/Berlin"), effective_from=later)
    frozen_clock[0] += timedelta(days=1)
    with db.write() as s:
        third = service.revise(s, SYSTEM, cid, spec=NIGHTS)  # now: between the first and the second
    with db.read() as s:
        assert service.version_at(s, cid, frozen_clock[0] - timedelta(days=2)) is None  # before the first
        first = service.version_at(s, cid, frozen_clock[0] - timedelta(hours=1))
        assert first.spec["timezone"] == "Europe/Berlin" and first.id not in (second.id, third.id)
        assert service.version_at(s, cid, frozen_clock[0]).id == third.id
        assert service.version_at(s, cid, later - timedelta(seconds=1)).id == third.id
        assert service.version_at(s, cid, later).id == second.id
        assert service.calendar_of(service.version_at(s, cid, later)).is_always_open
        assert service.latest(s, cid).id == second.id
        assert [v.id for v in service.versions(s, cid)] == [second.id, third.id, first.id]
        # a clock that started under the first version still reads it (versions are never edited)
        assert service.calendar_of(first).timezone == "Europe/Berlin"


def test_a_second_version_at_the_same_instant_is_a_conflict_and_writes_nothing(db, frozen_clock):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        service.revise(s, SYSTEM, cid, spec=NIGHTS)
    with pytest.raises(Conflict, match="already has a version effective from"), db.write() as s:
        service.revise(s, SYSTEM, cid, spec=OFFICE, effective_from=frozen_clock[0] + timedelta(microseconds=300))
    with db.read() as s:
        assert _count(s, CalendarVersion) == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown timezone 'Mars/Olympus'"),
        ({"weekly": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "weekly.mon", "overlaps"),
        ({"weekly": {"mon": ["09:00-09:00"]}}, "weekly.mon", "empty interval"),
        ({"weekly": {"mon": ["9am-5pm"]}}, "weekly.mon", "not a time"),
        ({"weekly": {"sun": ["22:00-06:00"], "mon": ["05:00-09:00"]}}, "weekly", "overlaps"),
        ({"weekly": {}, "dates": []}, "weekly", "no open time"),
        ({"holidays": {"country": "XX"}}, "holidays.country", "no holidays known for country 'XX'"),
        ({"holidays": {"country": "DE", "subdivision": "ZZ"}}, "holidays.subdivision", "no subdivision 'ZZ'"),
        ({"dates": [{"date": "2026-12-24", "hours": ["10:00-12:00", "11:00-14:00"]}]}, "dates", "overlaps"),
    ],
)
def test_bad_input_is_a_422_naming_its_part_and_nothing_is_written(db, frozen_clock, change, field, words):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    for attempt in ("create", "revise"):
        with pytest.raises(Invalid) as caught, db.write() as s:
            if attempt == "create":
                service.create(s, SYSTEM, name="Other", spec={**OFFICE, **change})
            else:
                service.revise(s, SYSTEM, cid, spec={**OFFICE, **change})
        assert caught.value.extra["errors"][0]["field"] == field
        assert words in caught.value.detail
    with db.read() as s:
        assert (_count(s, BusinessCalendar), _count(s, CalendarVersion)) == (1, 1)
        assert [e.name for e in s.scalars(select(Event))] == ["calendar.created"]


def test_names_are_unique_whatever_their_case_and_only_admins_write(db, frozen_clock):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    with pytest.raises(Conflict, match="already a calendar named 'Office'"), db.write() as s:
        service.create(s, SYSTEM, name="office", spec=NIGHTS)
    with pytest.raises(Forbidden), db.write() as s:
        service.create(s, AGENT, name="Mine", spec=NIGHTS)
    with pytest.raises(Forbidden), db.write() as s:
        service.revise(s, AGENT, cid, spec=NIGHTS)
    with db.write() as s:
        row = service.update(s, SYSTEM, cid, name="Office (Berlin)", description="Weekdays")
        assert (row.name, row.description) == ("Office (Berlin)", "Weekdays")
    with pytest.raises(NotFound), db.read() as s:
        service.get(s, cid + 1)


def test_a_calendar_in_use_cannot_be_deleted_and_the_policies_are_named(db, frozen_clock):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        other = service.create(s, SYSTEM, name="Nights", spec=NIGHTS).id
        target = {"kind": "first_reply", "seconds": 3600, "business": True, "calendar_id": cid}
        gold = policies.create(s, SYSTEM, name="Gold", targets=[target])
        policies.create(s, SYSTEM, name="Silver", targets=[target])
        policies.create(s, SYSTEM, name="Bronze", targets=[{"kind": "first_reply", "seconds": 60, "business": False}])
    frozen_clock[0] += timedelta(hours=1)
    with db.write() as s:  # Gold's newest version counts on another calendar: its older one still counts on this
        policies.revise(s, SYSTEM, gold.id, condition=None, targets=[{**target, "calendar_id": other}])
    with pytest.raises(Conflict) as caught, db.write() as s:
        service.delete(s, SYSTEM, cid)
    assert "'Gold', 'Silver'" in caught.value.detail and caught.value.extra["policies"] == ["Gold", "Silver"]
    with db.read() as s:
        assert _count(s, BusinessCalendar) == 2 and _count(s, CalendarVersion) == 2
        assert service.using(s, other) == ["Gold"]
    with db.write() as s:
        lone = service.create(s, SYSTEM, name="Spare", spec=NIGHTS).id
        service.revise(s, SYSTEM, lone, spec=OFFICE)
    with db.write() as s:
        service.delete(s, SYSTEM, lone)
    with db.read() as s:
        assert s.get(BusinessCalendar, lone) is None
        assert _count(s, CalendarVersion) == 2
        assert s.scalars(select(Event.name).order_by(Event.id.desc())).first() == "calendar.deleted"


def test_always_open_is_just_a_spec(db):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="24/7", spec=service.always_open("UTC")).id
    with db.read() as s:
        cal = service.calendar_of(service.latest(s, cid))
        assert cal.is_always_open and cal.timezone == "UTC"
    with pytest.raises(Invalid, match="unknown timezone"):
        service.always_open("Nowhere/Else")


def test_effective_from_needs_a_zone_and_a_year_from_1970(db, frozen_clock):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    for bad in (datetime(2026, 1, 1), datetime(1969, 12, 31, tzinfo=UTC)):
        with pytest.raises(Invalid) as caught, db.write() as s:
            service.revise(s, SYSTEM, cid, spec=NIGHTS, effective_from=bad)
        assert caught.value.extra["errors"] == [{"field": "effective_from"}]


def test_feed_items_are_listed_kept_and_replaced_by_the_next_import(db, frozen_clock):
    from tests.calendars.helpers import INVENTORY, OUTING, PARTY, feed

    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        items = feeds.preview(s, SYSTEM, cid, feed(INVENTORY, PARTY, OUTING), opt_out=["outing@example.com"])
    assert [(i.uid, i.summary, str(i.first), i.occurrences, i.opted_out) for i in items] == [
        ("inventory@example.com", "Inventory day", "2026-12-04", 1, False),
        ("party@example.com", "Team party", "2026-12-11", 1, False),
        ("outing@example.com", "Outing", "2026-12-18", 1, True),
    ]
    with db.read() as s:
        assert _count(s, CalendarVersion) == 1  # a preview writes nothing
    with db.write() as s:
        version, _ = feeds.import_feed(
            s, SYSTEM, cid, feed(INVENTORY, PARTY, OUTING), feed_name="Closures", opt_out=["outing@example.com"]
        )
    with db.read() as s:
        version = s.get(CalendarVersion, version.id)
        assert (version.feed_name, version.feed_opt_out) == ("Closures", ["outing@example.com"])
        cal = service.calendar_of(version)
        assert [(str(d.date), d.uid) for d in cal.dates] == [
            ("2026-12-24", None), ("2026-12-04", "inventory@example.com")
        ]  # fmt: skip
        assert [c.uid for c in cal.closures] == ["party@example.com"]
        assert not is_open(cal, datetime(2026, 12, 11, 15, 0, tzinfo=UTC))  # 16:00 in Berlin: the party
    frozen_clock[0] += timedelta(minutes=1)
    with db.write() as s:  # an edit of the hours keeps the feed, its name and its opt-outs
        spec = {**service.latest(s, cid).spec, "weekly": {"mon": ["08:00-16:00"]}}
        kept = service.revise(s, SYSTEM, cid, spec=spec)
        assert (kept.feed_name, kept.feed_opt_out) == ("Closures", ["outing@example.com"])
    frozen_clock[0] += timedelta(minutes=1)
    with db.write() as s:  # a new import replaces the last feed's items; the own date stays
        version, _ = feeds.import_feed(s, SYSTEM, cid, feed(OUTING), feed_name="Outings")
        cal = service.calendar_of(version)
        assert [(str(d.date), d.uid) for d in cal.dates] == [("2026-12-24", None), ("2026-12-18", "outing@example.com")]
        assert cal.closures == () and cal.weekly[0][0].start == 8 * 60


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("not a calendar at all", Invalid, "not an iCal calendar"),
        ("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", Invalid, "not an iCal calendar"),
    ],
)
def test_a_feed_that_is_not_ical_is_refused_and_nothing_is_written(db, frozen_clock, text, error, words):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    with pytest.raises(error, match=words) as caught, db.write() as s:
        feeds.import_feed(s, SYSTEM, cid, text, feed_name="Bad")
    assert caught.value.extra["errors"][0]["field"] == "ical"
    with db.read() as s:
        assert _count(s, CalendarVersion) == 1


def test_a_feed_larger_than_the_setting_is_refused_naming_it(db, frozen_clock, settings):
    from rapport.kit.problems import TooLarge
    from tests.calendars.helpers import INVENTORY, feed

    settings.ical_max_bytes = 1024
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
    big = feed(*[INVENTORY.replace("inventory@", f"i{n}@") for n in range(20)])
    with pytest.raises(TooLarge, match="RAPPORT_ICAL_MAX_BYTES") as caught, db.write() as s:
        feeds.import_feed(s, SYSTEM, cid, big, feed_name="Big")
    assert caught.value.status == 413 and "1,024" in caught.value.detail
    with db.read() as s:
        assert _count(s, CalendarVersion) == 1


def test_a_calendar_a_clock_measured_on_stays_even_when_no_policy_names_it_any_more(db, world, frozen_clock):
    from rapport.conversations.inbound import receive_inbound
    from rapport.conversations.inbound_types import Inbound
    from rapport.models import SlaClock, SlaPolicy, SlaPolicyVersion

    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        version_id = service.latest(s, cid).id
        got = receive_inbound(
            s, SYSTEM, Inbound(inbox_id=world.api_inbox.id, sender_kind="email", sender_address="jo@customer.test",
                               sender_name="Jo", subject="Hi", text="Hello")
        )  # fmt: skip
        around_the_clock = {"kind": "first_reply", "seconds": 60, "business": False}
        policy = policies.create(s, SYSTEM, name="Gold", targets=[around_the_clock])
        policy_version = s.scalar(select(SlaPolicyVersion.id).where(SlaPolicyVersion.policy_id == policy.id))
        s.add(
            SlaClock(
                conversation_id=got.conversation_id, policy_version_id=policy_version, target="first_reply",
                state="running", target_seconds=60, calendar_version_id=version_id, started_at=frozen_clock[0],
                updated_at=frozen_clock[0],
            )
        )  # fmt: skip
    with pytest.raises(Conflict, match="measured 1 service clock"), db.write() as s:
        service.delete(s, SYSTEM, cid)
    with db.read() as s:
        assert s.get(BusinessCalendar, cid) is not None and _count(s, SlaPolicy) == 1
