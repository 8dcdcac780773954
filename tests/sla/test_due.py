"""The due-time job: warnings and breaches recorded once at their computed instants, through ix_sla_clocks_next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import Event
from rapport.sla import due
from rapport.worker import periodic
from rapport.worker.runner import load_handlers, run_due
from tests.plans import plan_of
from tests.sla.conftest import clocks, conversation, sla_events, write_in

MON_9 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def fire(db, at: datetime, **options) -> int:
    with db.write() as s:
        return due.fire_due(s, at, **options)


def test_the_job_warns_then_breaches_at_the_computed_instants(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    assert fire(db, MON_9 + timedelta(minutes=44)) == 0
    frozen_clock[0] = MON_9 + timedelta(minutes=50)
    assert fire(db, frozen_clock[0]) == 1
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.warned_at == MON_9 + timedelta(minutes=45) and first.next_at == MON_9 + timedelta(hours=1)
    assert first.state == "running"
    frozen_clock[0] = MON_9 + timedelta(minutes=70)
    assert fire(db, frozen_clock[0]) == 1
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.state == "breached" and first.breached_at == MON_9 + timedelta(hours=1) and first.next_at is None
    assert fire(db, frozen_clock[0]) == 0  # nothing is due twice
    events = [(n, at) for n, _, at in sla_events(db, conv_id) if n != "sla.applied"]
    assert events == [("sla.warned", MON_9 + timedelta(minutes=45)), ("sla.breached", MON_9 + timedelta(hours=1))]
    # A breached clock stays the nearest deadline until it stops; the reply then records no second breach.
    assert conversation(db, conv_id).sla_due_at == MON_9 + timedelta(hours=1)
    from tests.sla.test_runtime import reply

    frozen_clock[0] = MON_9 + timedelta(minutes=80)
    reply(db, world, conv_id)
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.state == "breached" and first.measured_seconds == 4800 and first.stopped_at == frozen_clock[0]
    assert [n for n, _, _ in sla_events(db, conv_id)].count("sla.breached") == 1


def test_a_late_run_records_both_at_their_instants_in_one_go(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(hours=3)
    assert fire(db, frozen_clock[0]) == 1
    events = [(n, p["target"], at) for n, p, at in sla_events(db, conv_id) if n != "sla.applied"]
    assert events == [
        ("sla.warned", "first_reply", MON_9 + timedelta(minutes=45)),
        ("sla.breached", "first_reply", MON_9 + timedelta(hours=1)),
    ]


def test_the_periodic_job_is_declared_every_second_and_runs_in_the_worker(db, world, policy, frozen_clock):
    load_handlers()
    job = periodic.PERIODIC["sla.due"]
    assert job.every == timedelta(seconds=1)
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=61)
    with db.write() as s:
        assert "sla.due" in periodic.fire_due(s, frozen_clock[0])
    assert run_due(db) >= 1
    assert clocks(db, conv_id)["first_reply"][0].state == "breached"


def _claim_plan(db, at: datetime) -> str:
    return plan_of(db, lambda s: due.fire_due(s, at), wants=("FROM sla_clocks", "ORDER BY"), write=True)


def test_the_claim_reads_through_the_partial_index(db, world, policy, frozen_clock):
    write_in(db, world)
    plan = _claim_plan(db, MON_9 + timedelta(minutes=1))
    assert "ix_sla_clocks_next" in plan, plan
    assert "SORT" not in plan.upper().replace("SORTED", ""), plan  # the index gives the order


def test_two_sessions_never_fire_one_clock_twice(db, world, policy, frozen_clock):
    first = write_in(db, world)
    second = write_in(db, world, inbox=world.email_inbox, address="kim@customer.test")
    at = MON_9 + timedelta(hours=2)
    if db.engine.dialect.name == "postgresql":
        with Session(db.engine) as one, Session(db.engine) as two:
            assert due.fire_due(one, at, limit=1) == 1  # holds its clock locked until it commits
            assert due.fire_due(two, at, limit=1) == 1  # skips it (SKIP LOCKED) and takes the other
            assert due.fire_due(two, at) == 0  # nothing else is due that it may take
            one.commit()
            two.commit()
    else:
        # SQLite has one writer at a time: a second worker's claim comes after the first commits, and finds the
        # fired clocks no longer due.
        with db.write() as one:
            assert due.fire_due(one, at) == 2
        with db.write() as two:
            assert due.fire_due(two, at) == 0
    with db.write() as again:
        assert due.fire_due(again, at) == 0
    with db.read() as s:
        names = list(s.scalars(select(Event.name).where(Event.name == "sla.breached")))
    assert len(names) == 2
    for conv_id in (first, second):
        assert [n for n, _, _ in sla_events(db, conv_id)].count("sla.breached") == 1


def test_the_documented_timeline_end_to_end(db, world, policy, frozen_clock):
    """docs/sla.md: Friday 16:30 on Mon–Fri 09–17, 1 business hour: due Monday 09:30, warned 09:15, breached 09:30,
    replied 10:00, measured 1 h 30 min."""
    from tests.sla.test_runtime import reply

    friday = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    frozen_clock[0] = friday
    conv_id = write_in(db, world)
    assert conversation(db, conv_id).sla_due_at == monday + timedelta(minutes=30)
    for minutes in (16, 31):
        frozen_clock[0] = monday + timedelta(minutes=minutes)
        fire(db, frozen_clock[0])
    frozen_clock[0] = monday + timedelta(hours=1)
    reply(db, world, conv_id)
    events = [(n, p.get("target"), at) for n, p, at in sla_events(db, conv_id)]
    assert events == [
        ("sla.applied", None, friday),
        ("sla.warned", "first_reply", monday + timedelta(minutes=15)),
        ("sla.breached", "first_reply", monday + timedelta(minutes=30)),
    ]
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.state == "breached" and first.measured_seconds == 90 * 60
