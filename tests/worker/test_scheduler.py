"""The scheduler: jobs by key (schedule once, move, cancel), dead jobs retried or discarded, claims never overlap."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.models import Job
from rapport.worker import queue, scheduler


def _jobs(db) -> list[Job]:
    with db.read() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def test_schedule_is_idempotent_by_key(db, frozen_clock):
    at = frozen_clock[0] + timedelta(hours=1)
    with db.write() as s:
        assert scheduler.schedule(s, "test.kind", "k:1", at, {"n": 1})
        assert not scheduler.schedule(s, "test.kind", "k:1", at + timedelta(hours=5), {"n": 2})
    with db.write() as s:
        assert not scheduler.schedule(s, "test.kind", "k:1", at, {"n": 3})  # from another transaction too
    [job] = _jobs(db)
    assert (job.kind, job.dedupe_key, job.due_at, job.payload, job.state) == (
        "test.kind",
        "k:1",
        at,
        {"n": 1},
        "queued",
    )


def test_reschedule_moves_a_waiting_job_only(db, settings, frozen_clock):
    start = frozen_clock[0]
    with db.write() as s:
        scheduler.schedule(s, "test.kind", "wait", start + timedelta(hours=1))
        scheduler.schedule(s, "test.kind", "busy", start)
    with db.write() as s:
        assert scheduler.reschedule(s, "wait", start + timedelta(days=1))
        assert not scheduler.reschedule(s, "nothing", start)
    with db.write() as s:
        [claimed] = queue.claim(s, limit=10, owner="w")  # "busy" is due now; "wait" is tomorrow
        assert claimed.dedupe_key == "busy"
    with db.write() as s:
        assert not scheduler.reschedule(s, "busy", start + timedelta(days=3))  # a running job is not moved
    due = {j.dedupe_key: j.due_at for j in _jobs(db)}
    assert due == {"wait": start + timedelta(days=1), "busy": start + timedelta(seconds=settings.job_lease_seconds)}


def test_cancel_removes_waiting_and_dead_jobs_never_a_running_one(db, settings, frozen_clock):
    start = frozen_clock[0]
    with db.write() as s:
        for key in ("waiting", "running", "dead"):
            scheduler.schedule(s, "test.kind", key, start + timedelta(minutes=5 if key == "waiting" else 0))
        for job in queue.claim(s, limit=10, owner="w"):
            if job.dedupe_key == "dead":
                job.attempts = job.max_attempts - 1
                s.flush()
                assert queue.fail(s, job, "boom", "w") is True
    with db.write() as s:
        assert scheduler.cancel(s, "waiting")
        assert scheduler.cancel(s, "dead")
        assert not scheduler.cancel(s, "running")
        assert not scheduler.cancel(s, "never")
    assert [j.dedupe_key for j in _jobs(db)] == ["running"]
    # Its worker died: once the lease ran out the claim is no longer running, and cancel removes it.
    frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds + 1)
    with db.write() as s:
        assert scheduler.cancel(s, "running")
    assert _jobs(db) == []


def test_a_dead_job_is_retried_with_full_attempts_or_discarded(db, frozen_clock):
    with db.write() as s:
        scheduler.schedule(s, "test.kind", "a", frozen_clock[0], max_attempts=1)
        scheduler.schedule(s, "test.kind", "b", frozen_clock[0], max_attempts=1)
        for job in queue.claim(s, limit=10, owner="w"):
            queue.fail(s, job, "ValueError: no", "w")
    a, b = _jobs(db)
    assert (a.state, a.attempts, a.last_error) == ("dead", 1, "ValueError: no")
    frozen_clock[0] += timedelta(hours=2)
    with db.write() as s:
        assert [j.id for j in scheduler.dead(s)] == [b.id, a.id]
        assert scheduler.retry(s, a.id) and not scheduler.retry(s, a.id)  # queued now: not dead any more
        assert scheduler.discard(s, b.id) and not scheduler.discard(s, a.id)
    [again] = _jobs(db)
    assert (again.id, again.state, again.attempts, again.due_at) == (a.id, "queued", 0, frozen_clock[0])
    assert again.last_error == "ValueError: no"  # what went wrong stays visible until it runs again


def test_two_claimers_at_once_never_take_the_same_job(db, engine, frozen_clock):
    with db.write() as s:
        for n in range(6):
            scheduler.schedule(s, "test.kind", f"k{n}", frozen_clock[0])
    if engine.dialect.name == "postgresql":
        # A's claim is still uncommitted (its rows locked) when B claims: B skips them instead of waiting.
        with db.write() as a:
            mine = {j.id for j in queue.claim(a, limit=4, owner="a")}
            with db.write() as b:
                theirs = {j.id for j in queue.claim(b, limit=10, owner="b")}
    else:
        # SQLite runs one write transaction at a time: B claims after A committed.
        with db.write() as a:
            mine = {j.id for j in queue.claim(a, limit=4, owner="a")}
        with db.write() as b:
            theirs = {j.id for j in queue.claim(b, limit=10, owner="b")}
    assert len(mine) == 4 and len(theirs) == 2 and not mine & theirs
    with db.read() as s:
        owners = dict(s.execute(select(Job.claimed_by, func.count()).group_by(Job.claimed_by)).all())
    assert owners == {"a": 4, "b": 2}
