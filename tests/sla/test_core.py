"""The clocks' pure core and the plan: examples, and properties that hold for any run of pauses and firings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.kit.business_time import business_seconds_between
from rapport.kit.calendar_spec import Calendar
from rapport.sla import core, plan
from rapport.sla.plan import Promise
from rapport.sla.targets import parse_one
from tests.sla.conftest import OFFICE

CAL = Calendar.from_dict(OFFICE)
FRI_1630 = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
MON_9 = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
HOUR = 3600

calendars = st.sampled_from([None, CAL])
starts = st.integers(0, 14 * 24 * 3600).map(lambda s: datetime(2026, 11, 2, tzinfo=UTC) + timedelta(seconds=s))
gaps = st.lists(st.integers(1, 3 * 24 * 3600), min_size=1, max_size=8)


def counted(cal, a, b) -> int:
    return int((b - a).total_seconds()) if cal is None else int(business_seconds_between(cal, a, b))


def test_the_example_timeline_friday_afternoon_to_monday():
    clock = core.start("first_reply", HOUR, FRI_1630, calendar=CAL, warn_share=0.25)
    assert clock.due_at == MON_9 + timedelta(minutes=30) and clock.warn_at == MON_9 + timedelta(minutes=15)
    clock, did = core.fire(clock, MON_9 + timedelta(minutes=20))
    assert [(h.name, h.at) for h in did] == [("sla.warned", MON_9 + timedelta(minutes=15))]
    clock, did = core.fire(clock, MON_9 + timedelta(minutes=31))
    assert [(h.name, h.at) for h in did] == [("sla.breached", MON_9 + timedelta(minutes=30))]
    clock, did = core.stop(clock, MON_9 + timedelta(hours=1))
    assert did == [] and clock.state == core.BREACHED and clock.measured == 90 * 60


@settings(max_examples=150, deadline=None)
@given(calendars, starts, gaps)
def test_measured_is_business_time_from_start_to_stop_less_the_paused_spans(cal, start, steps):
    clock = core.start("resolution", 10**7, start, calendar=cal)
    at, paused_total, paused_since = start, 0, None
    for i, gap in enumerate(steps):
        at += timedelta(seconds=gap)
        if i % 2 == 0:
            clock, _ = core.pause(clock, at, "pending")
            paused_since = at
        else:
            clock, _ = core.resume(clock, at)
            paused_total += counted(cal, paused_since, at)
            paused_since = None
    stop_at = at + timedelta(seconds=977)
    if paused_since is not None:
        paused_total += counted(cal, paused_since, stop_at)
    clock, _ = core.stop(clock, stop_at)
    assert clock.measured == counted(cal, start, stop_at) - paused_total


@settings(max_examples=150, deadline=None)
@given(calendars, starts, gaps, st.integers(60, 40 * HOUR))
def test_a_running_clock_is_due_when_what_is_left_is_counted(cal, start, steps, seconds):
    clock = core.start("resolution", seconds, start, calendar=cal, warn_share=0.25)
    at = start
    for i, gap in enumerate(steps):
        at += timedelta(seconds=gap // 8)
        clock, _ = core.pause(clock, at, "on_hold") if i % 2 == 0 else core.resume(clock, at)
    clock, _ = core.resume(clock, at)
    if clock.state == core.RUNNING:
        assert counted(cal, clock.running_since, clock.due_at) == max(seconds - clock.spent, 0)


@settings(max_examples=150, deadline=None)
@given(calendars, starts, st.lists(st.integers(0, 5 * 24 * 3600), min_size=1, max_size=10))
def test_fire_never_records_twice(cal, start, offsets):
    clock = core.start("first_reply", HOUR, start, calendar=cal, warn_share=0.25)
    recorded = []
    for offset in offsets:  # in any order, repeated or not
        clock, did = core.fire(clock, start + timedelta(seconds=offset))
        recorded += did
        again, twice = core.fire(clock, start + timedelta(seconds=offset))
        assert twice == [] and again == clock
    names = [h.name for h in recorded]
    assert names.count("sla.warned") <= 1 and names.count("sla.breached") <= 1
    # Each at its computed instant, whenever the job came.
    for h in recorded:
        assert h.at == (clock.warned_at if h.name == "sla.warned" else clock.breached_at)
    if names.count("sla.breached"):
        assert clock.breached_at == clock.due_at


def promises(*raw: dict) -> dict[str, Promise]:
    targets = [parse_one(r) for r in raw]
    return {t.kind: Promise(t, CAL if t.business else None) for t in targets}


STANDARD = promises(
    {"kind": "first_reply", "seconds": HOUR, "calendar_id": 1},
    {"kind": "next_reply", "seconds": 2 * HOUR, "calendar_id": 1},
    {"kind": "resolution", "seconds": 8 * HOUR, "calendar_id": 1},
)


def test_plan_pending_pauses_resolution_only_and_solving_stops_it():
    facts = plan.Facts(status="new", created_at=MON_9)
    out = plan.react(STANDARD, {}, plan.Applied(MON_9, facts))
    assert set(out.clocks) == {"first_reply", "resolution"}
    open_ = dict(out.clocks)
    out = plan.react(STANDARD, open_, plan.StatusMoved(MON_9 + timedelta(minutes=10), "new", "pending"))
    assert set(out.clocks) == {"resolution"} and out.clocks["resolution"].state == core.PAUSED
    open_.update(out.clocks)
    out = plan.react(STANDARD, open_, plan.StatusMoved(MON_9 + timedelta(minutes=20), "pending", "solved"))
    assert out.clocks["resolution"].state == core.MET and out.clocks["first_reply"].state == core.CANCELLED


def test_plan_a_reopened_conversation_gets_a_fresh_resolution_clock_and_withdrawn_cancels():
    out = plan.react(STANDARD, {}, plan.StatusMoved(MON_9, "solved", "open"))
    assert out.clocks["resolution"].started_at == MON_9
    out = plan.react(STANDARD, dict(out.clocks), plan.Withdrawn(MON_9 + timedelta(minutes=1)))
    assert out.clocks["resolution"].state == core.CANCELLED and out.happened == []
