"""The admin page of dead jobs: kind, key, attempts and last error, with Retry and Discard."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request

from rapport.jobs import service
from rapport.kit.schema import Id, Int
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, redirect, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
Kind = Annotated[str, Form(max_length=64)]


def _back(kind: str) -> str:
    return "/admin/jobs" + (f"?{urlencode({'kind': kind})}" if kind else "")


@router.get("/admin/jobs")
def dead_jobs(request: Request, session: DB, viewer: Page, kind: str = "", before: Int = 0):
    """Dead jobs, newest first, filtered by kind."""
    rows, older = service.dead_jobs(session, viewer.actor, kind=kind[:64] or None, before=before or None)
    kinds = service.dead_kinds(session, viewer.actor)
    return render(request, "jobs/dead.html", viewer, jobs=rows, older=older, kind=kind[:64], kinds=kinds)


@router.post("/admin/jobs/{job_id}/retry")
def retry(session: DB, viewer: Page, job_id: Id, kind: Kind = ""):
    """Queue the job again now."""
    service.retry(session, viewer.actor, job_id)
    return redirect(_back(kind), f"Job {job_id} is queued again; it runs within seconds.")


@router.post("/admin/jobs/{job_id}/discard")
def discard(session: DB, viewer: Page, job_id: Id, kind: Kind = ""):
    """Discard the job."""
    service.discard(session, viewer.actor, job_id)
    return redirect(_back(kind), f"Job {job_id} discarded.")
