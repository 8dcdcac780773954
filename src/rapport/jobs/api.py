"""REST routes for dead jobs (admin scope): list, retry, discard."""

from __future__ import annotations

from fastapi import APIRouter, Response

from rapport.jobs import service
from rapport.jobs.schemas import JobOut
from rapport.kit.schema import Id, Int, Limit, Page, Str
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["jobs"])


@router.get("/jobs/dead", dependencies=[requires("admin")], response_model=Page[JobOut])
def dead_jobs(session: DB, actor: Me, kind: Str | None = None, cursor: Int | None = None, limit: Limit = 50):
    """Jobs that failed every attempt, newest first; `kind` filters."""
    rows, next_before = service.dead_jobs(session, actor, kind=kind, before=cursor, limit=limit)
    return Page(items=[JobOut.of(r) for r in rows], next_cursor=str(next_before) if next_before else None)


@router.post("/jobs/{job_id:int}/retry", dependencies=[requires("admin")], response_model=JobOut, status_code=202)
def retry(job_id: Id, session: DB, actor: Me):
    """Queue a dead job again now, with a full set of attempts."""
    return JobOut.of(service.retry(session, actor, job_id))


@router.delete("/jobs/{job_id:int}", dependencies=[requires("admin")], status_code=204)
def discard(job_id: Id, session: DB, actor: Me):
    """Discard a dead job."""
    service.discard(session, actor, job_id)
    return Response(status_code=204)
