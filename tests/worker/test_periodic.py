"""Periodic jobs: their periods (in a timezone, across a DST change), and one firing per period over processes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from rapport.db.engine import make_engine
from rapport.db.session import Database
from rapport.models import Job, LoginAttempt, PeriodicRun, RateHit
from rapport.worker import periodic
from rapport.worker.runner import load_handlers, run_due

RAN: list[str] = []


@pytest.fixture
def declared(monkeypatch):
    """Only the test's periodic jobs are declared (the real ones are put back afterwards)."""
    monkeypatch.setattr(periodic, "PERIODIC", {})
    RAN.clear()

    def declare(name: str, **when) -> None:
        periodic.periodic(name, **when)(lambda session, payload: RAN.append(f"{name}@{payload['period']}"))

    return declare


def _fired(db) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(j.kind, j.dedupe_key) for j in s.scalars(select(Job).order_by(Job.id))]


def test_periods_every_n_minutes_and_daily_in_a_timezone():
    every = periodic.Periodic("e", lambda s, p: None, every=timedelta(minutes=15))
    moment = datetime(2026, 11, 2, 9, 7, 30, tzinfo=UTC)
    assert every.period(moment) == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert every.next_period(moment) == datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
    daily = periodic.Periodic(
        "d", lambda s, p: None, daily_at=datetime(2000, 1, 1, 9, 0).time(), timezone="America/New_York"
    )
    # 09:00 in New York is 14:00 UTC in winter; before it, the period is yesterday's.
    assert daily.period(datetime(2026, 3, 7, 13, 59, tzinfo=UTC)) == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert daily.period(datetime(2026, 3, 7, 14, 0, tzinfo=UTC)) == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    # Clocks go forward on 8 March 2026: the next 09:00 is 13:00 UTC, a day less an hour later.
    assert daily.next_period(datetime(2026, 3, 7, 15, 0, tzinfo=UTC)) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)


def test_periods_every_n_seconds():
    every = periodic.Periodic("s", lambda s, p: None, every=timedelta(seconds=1))
    moment = datetime(2026, 11, 2, 9, 7, 30, 500000, tzinfo=UTC)
    assert every.period(moment) == datetime(2026, 11, 2, 9, 7, 30, tzinfo=UTC)
    assert every.next_period(moment) == datetime(2026, 11, 2, 9, 7, 31, tzinfo=UTC)


def test_a_declaration_needs_one_period_and_a_real_zone():
    with pytest.raises(ValueError, match="one of every_minutes, every_seconds or daily_at"):
        periodic.periodic("x", every_minutes=5, daily_at="03:00")
    with pytest.raises(ValueError, match="one of every_minutes, every_seconds or daily_at"):
        periodic.periodic("x", every_minutes=5, every_seconds=5)
    with pytest.raises(ValueError, match="at least 1"):
        periodic.periodic("x", every_minutes=0)
    with pytest.raises(ValueError, match="every_seconds must be at least 1"):
        periodic.periodic("x", every_seconds=0)
    with pytest.raises(Exception, match="Nowhere"):
        periodic.periodic("x", daily_at="03:00", timezone="Europe/Nowhere")


def test_each_period_fires_once_even_after_its_job_ran(db, declared, frozen_clock):
    declared("test.every", every_minutes=10)
    with db.write() as s:
        assert periodic.fire_due(s) == ["test.every"]
        assert periodic.fire_due(s) == []
    assert run_due(db) == 1 and RAN == ["test.every@2026-11-02T09:00:00+00:00"]
    frozen_clock[0] += timedelta(minutes=9)
    with db.write() as s:
        assert periodic.fire_due(s) == []  # the job is gone, the period is not: nothing fires again
    frozen_clock[0] += timedelta(minutes=1)
    with db.write() as s:
        assert periodic.fire_due(s) == ["test.every"]
    run_due(db)
    assert RAN[-1] == "test.every@2026-11-02T09:10:00+00:00"


def test_missed_periods_fire_once_when_a_worker_starts(db, declared, frozen_clock):
    declared("test.daily", daily_at="03:00", timezone="Europe/Paris")
    with db.write() as s:
        periodic.fire_due(s)
    frozen_clock[0] += timedelta(days=3)
    with db.write() as s:
        assert periodic.fire_due(s) == ["test.daily"]
    run_due(db)
    # 03:00 in Paris is 02:00 UTC in November: the first fired for today's, then only the latest missed one.
    assert RAN == ["test.daily@2026-11-02T02:00:00+00:00", "test.daily@2026-11-05T02:00:00+00:00"]


def test_two_processes_fire_a_period_once(db, engine, declared, frozen_clock):
    declared("test.every", every_minutes=5)
    # A second process: its own engine (its own connections) on the same database.
    other = Database(make_engine(engine.url.render_as_string(hide_password=False)))
    try:
        if engine.dialect.name == "postgresql":
            outcome: list[list[str]] = []
            with db.write() as first:
                assert periodic.fire_due(first) == ["test.every"]
                late = threading.Thread(target=lambda: outcome.append(_fire(other)))
                late.start()
                _wait_for_a_lock_wait(db)  # the other process's insert waits on this uncommitted one
            late.join(timeout=30)
            assert outcome == [[]]
        else:
            with db.write() as first:
                assert periodic.fire_due(first) == ["test.every"]
            assert _fire(other) == []  # SQLite: one write transaction at a time
    finally:
        other.engine.dispose()
    assert _fired(db) == [("test.every", "periodic:test.every:2026-11-02T09:00:00+00:00")]
    with db.read() as s:
        assert s.get(PeriodicRun, "test.every").period == frozen_clock[0]


def test_the_ticker_writes_only_when_a_period_may_have_begun(db, declared, frozen_clock):
    declared("test.every", every_minutes=10)
    ticker = periodic.Ticker(db)
    assert ticker.tick() == ["test.every"]
    assert ticker.next_at == frozen_clock[0] + timedelta(minutes=10)
    with db.write() as s:
        s.execute(PeriodicRun.__table__.delete())  # were it to look, it would fire again
    frozen_clock[0] += timedelta(minutes=9, seconds=59)
    assert ticker.tick() == []
    frozen_clock[0] += timedelta(seconds=1)
    assert ticker.tick() == ["test.every"]


def test_old_sign_in_attempts_and_rate_hits_are_purged(db, settings, frozen_clock):
    load_handlers()
    assert {"agents.purge_login_attempts", "ratelimit.purge_hits"} <= set(periodic.PERIODIC)
    stamp = frozen_clock[0]
    with db.write() as s:
        for days in (0, 29, 31):
            s.add(
                LoginAttempt(
                    email=f"{days}@x.test", ip="10.0.0.1", succeeded=False, attempted_at=stamp - timedelta(days=days)
                )
            )
        for hours in (1, 23, 25):
            s.add(RateHit(kind="mail:to", key=f"{hours}", created_at=stamp - timedelta(hours=hours)))
        periodic.fire_due(s)
    run_due(db)
    with db.read() as s:
        assert sorted(s.scalars(select(LoginAttempt.email))) == ["0@x.test", "29@x.test"]
        assert sorted(s.scalars(select(RateHit.key))) == ["1", "23"]


def _fire(database: Database) -> list[str]:
    with database.write() as s:
        return periodic.fire_due(s)


def _wait_for_a_lock_wait(db) -> None:
    """Until another connection waits on a row lock (a condition, polled; never a fixed sleep)."""
    deadline = time.monotonic() + 30
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with db.read() as s:
            if s.scalar(query):
                return
        time.sleep(0.01)
    raise AssertionError("the second process never waited on the first one's period")
