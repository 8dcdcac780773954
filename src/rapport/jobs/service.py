"""Dead jobs (admins only): list them, retry one with a full set of attempts, or discard it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import Invalid, NotFound
from rapport.models import Job
from rapport.worker import scheduler


def dead_jobs(
    session: Session, actor: Actor, *, kind: str | None = None, before: int | None = None, limit: int = 50
) -> tuple[list[Job], int | None]:
    """A page of dead jobs, newest first (optionally of one kind), and the next page's cursor."""
    authorize(actor, "admin")
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    rows = scheduler.dead(session, kind=kind or None, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more else None


def dead_kinds(session: Session, actor: Actor) -> list[str]:
    """The kinds that have dead jobs (for the filter)."""
    authorize(actor, "admin")
    return scheduler.dead_kinds(session)


def retry(session: Session, actor: Actor, job_id: int) -> Job:
    """Queue dead job `job_id` again now with a full set of attempts; NotFound unless it is dead."""
    authorize(actor, "admin")
    if not scheduler.retry(session, job_id):
        raise NotFound(f"There is no dead job {job_id}; it may have been retried or discarded already.")
    session.expire_all()
    return session.get(Job, job_id)


def discard(session: Session, actor: Actor, job_id: int) -> None:
    """Delete dead job `job_id`; NotFound unless it is dead."""
    authorize(actor, "admin")
    if not scheduler.discard(session, job_id):
        raise NotFound(f"There is no dead job {job_id}; it may have been retried or discarded already.")
