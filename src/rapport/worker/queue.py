"""Enqueue and claim jobs; the (state, due_at) index makes "what is due" one range scan."""

from __future__ import annotations

from collections.abc import Callable
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


def claim(
    session: Session,
    *,
    limit: int,
    owner: str | None = None,
    running: dict[str, int] | None = None,
    caps: Callable[[str], int] | None = None,
) -> list[Job]:
    """Take up to `limit` due jobs for `owner`, oldest due first, claimed for RAPPORT_JOB_LEASE_SECONDS (renewed by
    `renew`).

    With `caps`, a kind is taken only while the owner runs fewer than `caps(kind)` of it (`running` counts what it
    runs now): the due jobs of a kind at its cap are passed over for the next ones, so a slow kind never holds every
    thread while deadlines wait. A claimed job whose lease ran out (its worker died, so no heartbeat renewed it) is
    due again and taken here.
    """
    stamp = now()
    counts = dict(running or {})
    full = {k for k, n in counts.items() if caps is not None and n >= caps(k)}
    taken: list[Job] = []
    while len(taken) < limit:
        wanted = limit - len(taken)
        query = select(Job).where(Job.state.in_(("queued", "claimed")), Job.due_at <= stamp)
        if full:
            query = query.where(Job.kind.not_in(full))
        if taken:
            query = query.where(Job.id.not_in([j.id for j in taken]))
        query = query.order_by(Job.due_at).limit(wanted)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = list(session.scalars(query))
        passed_over = False
        for job in found:
            if caps is not None and counts.get(job.kind, 0) >= caps(job.kind):
                full.add(job.kind)
                passed_over = True
                continue
            counts[job.kind] = counts.get(job.kind, 0) + 1
            taken.append(job)
        # Another round only when a kind reached its cap: the rows it passed over may hide due jobs of other kinds.
        if not passed_over:
            break
    if taken:
        session.execute(
            update(Job)
            .where(Job.id.in_([j.id for j in taken]))
            .values(state="claimed", claimed_by=owner, due_at=stamp + timedelta(seconds=lease_seconds()))
        )
    return taken


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


def _held(job_id: int, owner: str | None):
    """The row of `job_id` while `owner` still holds it (any owner when None)."""
    where = [Job.id == job_id]
    if owner is not None:
        where += [Job.state == "claimed", Job.claimed_by == owner]
    return where


def finish(session: Session, job_id: int, owner: str | None = None) -> bool:
    """A job succeeded: remove it. False when `owner` no longer holds it (its lease ran out and another took it)."""
    return session.execute(Job.__table__.delete().where(*_held(job_id, owner))).rowcount == 1


def fail(session: Session, job: Job, error: str, owner: str | None = None) -> bool | None:
    """A job failed: retry with exponential backoff, or mark it dead after max_attempts (then True).

    None when `owner` no longer holds it: whoever took it over decides what happens next.
    """
    attempts = job.attempts + 1
    dead = attempts >= job.max_attempts
    result = session.execute(
        update(Job)
        .where(*_held(job.id, owner))
        .values(
            attempts=attempts,
            last_error=error[:4000],
            state="dead" if dead else "queued",
            claimed_by=None,
            due_at=now() + timedelta(seconds=min(3600, 2**attempts * 5)),
        )
    )
    return dead if result.rowcount == 1 else None
