"""Work at a time, by key: schedule, reschedule and cancel jobs; find, retry and discard dead ones.

A key names one job (the jobs table's unique `dedupe_key`), so scheduling is idempotent: a second `schedule` with a
key already queued does nothing, whichever process asks. Domains say what they want done and when through these
functions; only the worker package reads or writes `jobs` rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, not_, select, update
from sqlalchemy.orm import Session

from rapport.db.bulk import dialect_insert
from rapport.kit.clock import now
from rapport.models import Job

WAITING, CLAIMED, DEAD = "queued", "claimed", "dead"


def schedule(
    session: Session, kind: str, key: str, at: datetime, payload: dict | None = None, *, max_attempts: int = 8
) -> bool:
    """Queue job `kind` under `key` to run at `at` (in the caller's transaction); False when the key is taken."""
    # A Core insert of the table with RETURNING: its answer says whether the row went in on both databases (an
    # ORM-enabled insert reports no rowcount on psycopg).
    stmt = dialect_insert(session, Job.__table__).values(
        kind=kind,
        payload=payload or {},
        dedupe_key=key,
        state=WAITING,
        due_at=at,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now(),
    )
    inserted = session.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Job.id))
    return inserted.first() is not None


def reschedule(session: Session, key: str, at: datetime) -> bool:
    """Move the waiting job under `key` to `at`; False when there is none (a running or dead job is not moved)."""
    result = session.execute(update(Job).where(Job.dedupe_key == key, Job.state == WAITING).values(due_at=at))
    return result.rowcount == 1


def cancel(session: Session, key: str) -> bool:
    """Remove the job under `key` unless it is running now; True when one was removed.

    A claim whose lease ran out (its worker died) is not running: it is removed too.
    """
    running = and_(Job.state == CLAIMED, Job.due_at > now())
    return session.execute(delete(Job).where(Job.dedupe_key == key, not_(running))).rowcount == 1


def find(session: Session, key: str | None, *, lock: bool = False) -> Job | None:
    """The job under `key`, if any (`lock`: held until the transaction ends, so a decision on it stands)."""
    if not key:
        return None
    query = select(Job).where(Job.dedupe_key == key)
    return session.scalars(query.with_for_update() if lock else query).first()


def due_at(session: Session, key: str) -> datetime | None:
    """When the job under `key` is due (for a claimed job: when its lease ends), or None."""
    return session.scalar(select(Job.due_at).where(Job.dedupe_key == key))


def running(job: Job) -> bool:
    """True while a worker holds the job under a live lease."""
    return job.state == CLAIMED and job.due_at > now()


def dead(session: Session, *, kind: str | None = None, before: int | None = None, limit: int = 50) -> list[Job]:
    """Dead jobs (every attempt failed), newest first, optionally of one kind and with an id below `before`."""
    query = select(Job).where(Job.state == DEAD)
    if kind:
        query = query.where(Job.kind == kind)
    if before:
        query = query.where(Job.id < before)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def dead_kinds(session: Session) -> list[str]:
    """The kinds that have dead jobs."""
    return list(session.scalars(select(Job.kind).where(Job.state == DEAD).distinct().order_by(Job.kind)))


def get_dead(session: Session, job_id: int) -> Job | None:
    """The dead job `job_id`, or None."""
    return session.scalars(select(Job).where(Job.id == job_id, Job.state == DEAD)).first()


def retry(session: Session, job_id: int) -> bool:
    """Queue a dead job again now with a full set of attempts (its last error stays till it runs); False if not dead."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == DEAD)
        .values(state=WAITING, attempts=0, due_at=now(), claimed_by=None)
    )
    return result.rowcount == 1


def discard(session: Session, job_id: int) -> bool:
    """Delete a dead job; False when it is not dead (a waiting or running job is not discarded here)."""
    return session.execute(delete(Job).where(Job.id == job_id, Job.state == DEAD)).rowcount == 1


def forget_dead(session: Session, kind: str, created_before: datetime) -> int:
    """Delete the dead jobs of `kind` created before `created_before`; returns how many."""
    result = session.execute(delete(Job).where(Job.state == DEAD, Job.kind == kind, Job.created_at < created_before))
    return result.rowcount
