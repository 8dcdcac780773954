"""The worker's threads: a slow kind stays within its cap, a killed worker's job is taken over, a late one is fenced."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from rapport.kit.clock import now
from rapport.models import Job, RateHit
from rapport.worker import queue, runner, scheduler
from rapport.worker.pool import Pool, kind_cap


@pytest.fixture
def kinds(monkeypatch):
    """Handlers for the test kinds: `slow` blocks until released, `deadline` and `note` record that they ran."""
    release, ran = threading.Event(), []
    deadline_ran = threading.Event()

    def slow(db, payload):  # waits on the outside world, as a webhook delivery does: no transaction open
        release.wait(30)
        ran.append(("slow", payload["n"]))

    def deadline(session, payload):
        ran.append(("deadline", payload["n"]))
        deadline_ran.set()

    def note(session, payload):
        session.add(RateHit(kind="test", key=payload["who"], created_at=now()))

    for kind, fn in (("test.slow", slow), ("test.deadline", deadline), ("test.note", note)):
        monkeypatch.setitem(runner.HANDLERS, kind, fn)
    monkeypatch.setattr(runner, "OUTSIDE_TRANSACTION", {*runner.OUTSIDE_TRANSACTION, "test.slow"})
    return release, deadline_ran, ran


def _queue(db, at, *jobs: tuple[str, int]) -> None:
    with db.write() as s:
        for i, (kind, n) in enumerate(jobs):
            scheduler.schedule(s, kind, f"{kind}:{n}", at + timedelta(seconds=i), {"n": n})


def test_a_kind_at_its_cap_is_passed_over_for_the_jobs_behind_it(db, settings, frozen_clock):
    settings.job_kind_limits = {"test.slow": 2}
    start = frozen_clock[0] - timedelta(minutes=1)
    _queue(db, start, *[("test.slow", n) for n in range(5)], ("test.deadline", 1), ("test.deadline", 2))
    with db.write() as s:
        claimed = queue.claim(s, limit=4, owner="w", running={"test.slow": 1}, caps=kind_cap)
    # One slow job runs already: one more may, then the deadlines behind the other three slow ones.
    assert [j.kind for j in claimed] == ["test.slow", "test.deadline", "test.deadline"]
    assert kind_cap("test.slow") == 2 and kind_cap("test.deadline") == settings.job_kind_concurrency


def test_a_slow_kind_never_takes_every_thread(db, settings, frozen_clock, kinds):
    release, deadline_ran, ran = kinds
    settings.job_kind_limits = {"test.slow": 2}
    start = frozen_clock[0] - timedelta(minutes=1)
    _queue(db, start, *[("test.slow", n) for n in range(4)])
    pool = Pool(db, threads=3, owner="pool")
    try:
        assert pool.fill() == 2  # two slow jobs hold two threads; the third stays free for other kinds
        assert pool.running() == {"test.slow": 2} and pool.free() == 1
        _queue(db, frozen_clock[0], ("test.deadline", 1))  # a deadline falls due behind the two waiting slow jobs
        assert pool.fill() == 1
        assert deadline_ran.wait(30)  # it ran while both slow jobs still block
        assert ran == [("deadline", 1)]
    finally:
        release.set()
        pool.close()
    with db.read() as s:
        left = sorted(s.scalars(select(Job.dedupe_key)))
    assert left == ["test.slow:2", "test.slow:3"]  # never claimed: the kind was at its cap


def test_a_killed_workers_job_is_taken_over_and_its_late_finish_is_fenced(db, settings, frozen_clock, kinds):
    _queue(db, frozen_clock[0], ("test.note", 0))
    with db.write() as s:
        [job] = queue.claim(s, limit=1, owner="killed")
        job_id = job.id
    # The worker is killed: no heartbeat. Within the lease nobody takes the job; after it, another worker does.
    frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds - 1)
    with db.write() as s:
        assert queue.claim(s, limit=1, owner="standby") == []
    frozen_clock[0] += timedelta(seconds=2)
    with db.write() as s:
        [taken] = queue.claim(s, limit=1, owner="standby")
    assert taken.id == job_id
    # The first worker was only stalled and finishes its run late: its writes are rolled back, the job stays taken.
    runner.run_one(db, job_id, "test.note", {"who": "killed"}, job, "killed")
    with db.read() as s:
        assert s.scalars(select(RateHit.key)).all() == []
        assert s.get(Job, job_id).claimed_by == "standby"
    runner.run_one(db, job_id, "test.note", {"who": "standby"}, taken, "standby")
    with db.read() as s:
        assert s.scalars(select(RateHit.key)).all() == ["standby"]
        assert s.get(Job, job_id) is None


def test_a_late_failure_does_not_touch_the_job_another_worker_took(db, settings, frozen_clock):
    _queue(db, frozen_clock[0], ("test.missing", 0))
    with db.write() as s:
        [job] = queue.claim(s, limit=1, owner="killed")
    frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds + 1)
    with db.write() as s:
        queue.claim(s, limit=1, owner="standby")
    runner.run_one(db, job.id, "test.missing", {}, job, "killed")  # no handler: it fails, but not its job any more
    with db.read() as s:
        row = s.get(Job, job.id)
        assert (row.state, row.claimed_by, row.attempts, row.last_error) == ("claimed", "standby", 0, None)


def test_the_worker_runs_jobs_on_its_threads(db, settings, kinds):
    release, deadline_ran, ran = kinds
    release.set()
    _queue(db, now() - timedelta(seconds=5), ("test.deadline", 7))
    worker = runner.Worker(db, interval=0.05, min_gap=0.01, threads=2)
    worker.start()
    try:
        assert deadline_ran.wait(30)
    finally:
        worker.stop()
        worker.join(timeout=30)
    assert not worker.is_alive() and ran == [("deadline", 7)]
