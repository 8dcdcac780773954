"""Enqueue and claim jobs; the (state, due_at) index makes "what is due" one range scan."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.bulk import dialect_insert
from rapport.kit.clock import now
from rapport.models import Job


def lease_seconds() -> float:
    """How long a claim lasts without a heartbeat (RAPPORT_JOB_LEASE_SECONDS)."""
    return get_settings().job_lease_seconds


def enqueue(
    session: Session,
    kind: str,
    payload: dict,
    *,
    delay_seconds: float = 0,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Queue a job in the caller's transaction; a repeated dedupe_key is ignored."""
    stamp = now()
    stmt = dialect_insert(session, Job).values(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        state="queued",
        due_at=stamp + timedelta(seconds=delay_seconds),
        attempts=0,
        max_attempts=max_attempts,
        created_at=stamp,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]) if dedupe_key else stmt)


def any_due(session: Session) -> bool:
    """True when at least one job is due."""
    return (
        session.scalar(select(Job.id).where(Job.state.in_(("queued", "claimed")), Job.due_at <= now()).limit(1))
        is not None
    )


def claim(session: Session, *, limit: int, owner: str | None = None) -> list[Job]:
    """Take up to `limit` due jobs for `owner`, claimed for RAPPORT_JOB_LEASE_SECONDS (renewed by `renew`).

    A claimed job whose lease ran out (its worker died, so no heartbeat renewed it) is due again and taken here.
    """
    stamp = now()
    query = (
        select(Job).where(Job.state.in_(("queued", "claimed")), Job.due_at <= stamp).order_by(Job.due_at).limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    if jobs:
        session.execute(
            update(Job)
            .where(Job.id.in_([j.id for j in jobs]))
            .values(state="claimed", claimed_by=owner, due_at=stamp + timedelta(seconds=lease_seconds()))
        )
    return jobs


def renew(session: Session, job_ids: list[int], owner: str) -> int:
    """The heartbeat: extend the lease of `owner`'s claimed jobs; returns how many are still its own."""
    if not job_ids:
        return 0
    result = session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.state == "claimed", Job.claimed_by == owner)
        .values(due_at=now() + timedelta(seconds=lease_seconds()))
    )
    return result.rowcount


def finish(session: Session, job_id: int) -> None:
    """A job succeeded: remove it."""
    session.execute(Job.__table__.delete().where(Job.id == job_id))


def fail(session: Session, job: Job, error: str) -> bool:
    """A job failed: retry with exponential backoff, or mark it dead after max_attempts (then True)."""
    attempts = job.attempts + 1
    dead = attempts >= job.max_attempts
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            attempts=attempts,
            last_error=error[:4000],
            state="dead" if dead else "queued",
            claimed_by=None,
            due_at=now() + timedelta(seconds=min(3600, 2**attempts * 5)),
        )
    )
    return dead
